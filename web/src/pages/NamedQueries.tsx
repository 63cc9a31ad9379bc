// Analysts: the named-query library (queries/*.cypher) — pick one, fill its parameters, see the rows.
import { useMemo, useState } from "react";
import { Alert, Button, Card, Form, Input, InputNumber, Select, Switch, Table, Typography } from "antd";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { errorText } from "../lib/client";
import { useT } from "../lib/i18n";
import { cell, columnsOf, parseParam, toParams } from "../lib/params";

const CatalogueQuery = graphql(`
  query NamedQueries {
    namedQueries {
      name
      description
      params
    }
  }
`);

const RunQuery = graphql(`
  query RunNamedQuery($name: String!, $params: JSON) {
    namedQuery(name: $name, params: $params)
  }
`);

export default function NamedQueriesPage() {
  const { t } = useT();
  const [{ data: catalogue, error: catalogueError }] = useQuery({ query: CatalogueQuery });
  const [name, setName] = useState<string>();
  const [run, setRun] = useState<{ name: string; params: Record<string, unknown>; n: number } | null>(null);
  const [form] = Form.useForm();
  const chosen = catalogue?.namedQueries.find((q) => q.name === name);
  const params = useMemo(() => chosen?.params.map(parseParam) ?? [], [chosen]);
  const [{ data, fetching, error }] = useQuery({
    query: RunQuery,
    variables: { name: run?.name ?? "", params: run?.params ?? null },
    pause: !run,
    requestPolicy: "network-only",
  });
  const rows = (Array.isArray(data?.namedQuery) ? data!.namedQuery : []) as Record<string, unknown>[];
  const columns = columnsOf(rows);

  return (
    <section aria-label={t("nq.title")}>
      <Typography.Title level={2} style={{ fontSize: 22 }}>{t("nq.title")}</Typography.Title>
      {catalogueError && <Alert type="error" showIcon title={t("common.error", { text: errorText(catalogueError) })} />}
      <Card style={{ marginBottom: 16 }}>
        <Select
          showSearch
          aria-label={t("nq.pick")}
          placeholder={t("nq.pick")}
          style={{ width: "100%", marginBottom: 8 }}
          value={name}
          onChange={(v) => {
            setName(v);
            setRun(null);
            form.resetFields();
          }}
          optionFilterProp="label"
          options={catalogue?.namedQueries.map((q) => ({ value: q.name, label: `${q.name} — ${q.description}` })) ?? []}
        />
        {chosen && (
          <>
            <Typography.Paragraph type="secondary">{chosen.description}</Typography.Paragraph>
            <Form form={form} layout="inline" onFinish={(v) => setRun({ name: chosen.name, params: toParams(params, v), n: Date.now() })} style={{ rowGap: 8 }}>
              {params.map((p) => (
                <Form.Item key={p.name} name={p.name} label={p.name} valuePropName={p.kind === "bool" ? "checked" : "value"}>
                  {p.kind === "int" || p.kind === "float" ? (
                    <InputNumber aria-label={p.name} />
                  ) : p.kind === "bool" ? (
                    <Switch aria-label={p.name} />
                  ) : p.kind === "list" ? (
                    <Select mode="tags" aria-label={p.name} style={{ minWidth: 200 }} />
                  ) : (
                    <Input aria-label={p.name} />
                  )}
                </Form.Item>
              ))}
              <Form.Item>
                <Button type="primary" htmlType="submit" loading={fetching}>{t("nq.run")}</Button>
              </Form.Item>
            </Form>
          </>
        )}
      </Card>
      {error && <Alert type="error" showIcon title={t("common.error", { text: errorText(error) })} />}
      {run && data && (
        <Card title={t("nq.rows", { n: rows.length })}>
          <Table
            size="small"
            data-testid="query-results"
            rowKey={(_, i) => String(i)}
            dataSource={rows}
            scroll={{ x: true }}
            pagination={{ pageSize: 50, hideOnSinglePage: true }}
            columns={columns.map((c) => ({ title: c, key: c, render: (_: unknown, row: Record<string, unknown>) => cell(row[c]) }))}
          />
        </Card>
      )}
    </section>
  );
}

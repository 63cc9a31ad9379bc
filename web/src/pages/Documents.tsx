// Knowledge engineers: the documents they may read, filtered by name; each opens its chunks.
import { useState } from "react";
import { Alert, Button, Input, Table, Typography } from "antd";
import { Link } from "react-router";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { errorText } from "../lib/client";
import { useT } from "../lib/i18n";

const DocumentsQuery = graphql(`
  query Documents($name: String, $after: String) {
    entities(type: Document, name: $name, first: 50, after: $after) {
      edges {
        cursor
        node {
          id
          name
          ... on Document {
            format
            modifiedAt
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export default function DocumentsPage() {
  const { t } = useT();
  const [name, setName] = useState("");
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, fetching, error }] = useQuery({ query: DocumentsQuery, variables: { name: name || null, after } });
  const rows = data?.entities.edges.map((e) => e.node) ?? [];
  return (
    <section aria-label={t("docs.title")}>
      <Typography.Title level={2} style={{ fontSize: 22 }}>{t("docs.title")}</Typography.Title>
      <Input.Search allowClear placeholder={t("docs.filter")} aria-label={t("docs.filter")} onSearch={(v) => { setAfter(null); setName(v); }} style={{ maxWidth: 360, marginBottom: 12 }} />
      {error && <Alert type="error" showIcon title={t("common.error", { text: errorText(error) })} />}
      <Table
        rowKey="id"
        size="small"
        loading={fetching}
        pagination={false}
        dataSource={rows}
        columns={[
          { title: t("docs.name"), key: "name", render: (_, d) => <Link to={`/doc/${encodeURIComponent(d.id)}`}>{d.name}</Link> },
          { title: t("docs.format"), key: "format", width: 100, render: (_, d) => ("format" in d ? d.format : "") },
          { title: t("docs.modified"), key: "modified", width: 200, render: (_, d) => ("modifiedAt" in d ? d.modifiedAt : "") },
        ]}
      />
      {data?.entities.pageInfo.hasNextPage && (
        <Button style={{ marginTop: 12 }} onClick={() => setAfter(data.entities.pageInfo.endCursor ?? null)}>{t("docs.more")}</Button>
      )}
    </section>
  );
}

// Knowledge engineers: what retrieval returns for a question as a chosen employee would ask it —
// ranked chunks, their fused score, each component's rank and score, the heading path.
import { useEffect, useState } from "react";
import { Alert, Button, Descriptions, Form, Input, Select, Space, Table, Tag, Typography } from "antd";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { type Persona, fetchPersonas, useAuth } from "../lib/auth";
import { errorText } from "../lib/client";
import { useT } from "../lib/i18n";
import type { Role } from "../lib/roles";

const HitTestQuery = graphql(`
  query HitTest($question: String!, $as: ID) {
    hitTest(question: $question, asEmployee: $as, first: 10) {
      question
      asEmployee
      asName
      asRoles
      withheld
      message
      recognized {
        id
        surface
      }
      hits {
        rank
        chunkId
        documentId
        title
        uri
        headingPath
        section
        text
        kind
        score
        scores {
          keywordRank
          keyword
          denseRank
          denseCosine
          dense
          entities
        }
      }
    }
  }
`);

export default function HitTestPage() {
  const { t } = useT();
  const { session } = useAuth();
  const [personas, setPersonas] = useState<Persona[]>([]);
  const [asked, setAsked] = useState<{ question: string; as: string } | null>(null);
  const [form] = Form.useForm<{ question: string; as: string }>();
  const [{ data, fetching, error }] = useQuery({
    query: HitTestQuery,
    variables: { question: asked?.question ?? "", as: asked?.as || null },
    pause: !asked,
  });

  useEffect(() => {
    fetchPersonas().then((p) => setPersonas(p ?? []), () => setPersonas([]));
  }, []);

  const result = data?.hitTest;
  return (
    <section aria-label={t("hit.title")}>
      <Typography.Title level={2} style={{ fontSize: 22 }}>{t("hit.title")}</Typography.Title>
      <Form form={form} layout="inline" initialValues={{ question: "", as: session!.employee }} onFinish={(v) => setAsked({ question: v.question, as: v.as })} style={{ marginBottom: 16, rowGap: 8 }}>
        <Form.Item name="question" label={t("hit.question")} rules={[{ required: true }]} style={{ flex: 1, minWidth: 280 }}>
          <Input allowClear />
        </Form.Item>
        <Form.Item name="as" label={t("hit.as")}>
          <Select
            showSearch
            style={{ width: 260 }}
            optionFilterProp="label"
            options={personas.map((p) => ({ value: p.id, label: `${p.name} ${p.id} · ${p.roles.map((r) => t(`role.${r as Role}` as const)).join("/")}` }))}
          />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" loading={fetching}>{t("hit.run")}</Button>
        </Form.Item>
      </Form>
      {error && <Alert type="error" showIcon title={t("common.error", { text: errorText(error) })} />}
      {result && (
        <>
          <Space direction="vertical" style={{ marginBottom: 12 }}>
            {result.message && <Alert type="info" showIcon title={result.message} />}
            {result.withheld > 0 && <Alert type="warning" showIcon title={t("hit.withheld", { n: result.withheld })} />}
            {result.recognized.length > 0 && (
              <Typography.Text type="secondary">{t("hit.recognized", { list: result.recognized.map((e) => e.surface).join("、") })}</Typography.Text>
            )}
          </Space>
          <Table
            rowKey="chunkId"
            size="small"
            pagination={false}
            data-testid="hits"
            locale={{ emptyText: <Typography.Text type="secondary">{t("hit.none")}</Typography.Text> }}
            dataSource={result.hits}
            columns={[
              { title: t("hit.rank"), dataIndex: "rank", width: 60 },
              {
                title: t("hit.heading"),
                key: "where",
                render: (_, h) => (
                  <div>
                    <Typography.Text strong>{h.title}</Typography.Text>
                    {h.section && <div><Typography.Text type="secondary">{h.section}</Typography.Text></div>}
                    <div className="zk-hit-text">{h.text}</div>
                  </div>
                ),
              },
              { title: t("hit.score"), dataIndex: "score", width: 100, render: (s: number) => s.toFixed(4) },
              {
                title: t("hit.keyword"),
                key: "kw",
                width: 110,
                render: (_, h) => (h.scores.keywordRank ? <span>#{h.scores.keywordRank} · BM25 {h.scores.keyword.toFixed(2)}</span> : <Tag>{t("hit.miss")}</Tag>),
              },
              {
                title: t("hit.dense"),
                key: "dense",
                width: 150,
                render: (_, h) =>
                  h.scores.denseRank ? (
                    <span>#{h.scores.denseRank} · cos {h.scores.dense.toFixed(3)}</span>
                  ) : (
                    <Tag>{t("hit.miss")}</Tag>
                  ),
              },
              { title: t("hit.entities"), key: "ent", width: 120, render: (_, h) => h.scores.entities.map((e) => <Tag key={e} color="purple">{e}</Tag>) },
            ]}
          />
          <Descriptions size="small" style={{ marginTop: 12 }} items={[{ key: "as", label: t("hit.as"), children: `${result.asName} (${result.asEmployee})` }]} />
        </>
      )}
    </section>
  );
}

// Knowledge engineers: the questions the bot declined or that got 👎, grouped by near-duplicate wording
// (the server's knowledgeGaps), with how often and the nearest existing topics. From a group the
// engineer writes the answer as a FAQ entry (question, other wordings, answer, who may read it, and
// optionally the confirmed intent for `zhiku nlu train`): it is stored and indexed at once and the
// group leaves the list — asking again is answered from it. Or the engineer links the group to an
// existing answer (one of the nearest topics: "用此回答", linkKnowledgeGap) or only labels its intent
// ("只标注意图", labelKnowledgeGap: the group stays listed). A linked group's questions, and near-duplicate
// wordings, are answered by the chat from the linked chunk to those who may read it; the resolved groups
// are listed below the open ones, each with "取消链接" (unlinkKnowledgeGap).
import { useState } from "react";
import { Alert, Button, Card, Empty, Form, Input, InputNumber, List, Select, Space, Tag, Typography } from "antd";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { KnowledgeGapsQuery } from "../gql/graphql";
import { errorText } from "../lib/client";
import { useT } from "../lib/i18n";

const GapsQuery = graphql(`
  query KnowledgeGaps($days: Int!) {
    knowledgeGaps(days: $days, first: 50) {
      key
      question
      variants
      asked
      downVoted
      nearest {
        documentId
        chunkId
        title
        section
      }
    }
    resolvedKnowledgeGaps(first: 50) {
      key
      question
      documentId
      title
      section
      by
      at
    }
    nluIntents
    entities(type: Department, first: 100) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

const ResolveMutation = graphql(`
  mutation ResolveKnowledgeGap(
    $key: ID!
    $question: String!
    $answer: String!
    $variants: [String!]
    $departments: [String!]
    $level: Int!
    $intent: String
    $days: Int!
  ) {
    resolveKnowledgeGap(
      key: $key
      question: $question
      answer: $answer
      variants: $variants
      departments: $departments
      level: $level
      intent: $intent
      days: $days
    ) {
      key
      documentId
      outcome
      chunks
      labelled
    }
  }
`);

const LinkMutation = graphql(`
  mutation LinkKnowledgeGap($key: ID!, $documentId: ID!, $chunkId: ID, $section: String!, $days: Int!) {
    linkKnowledgeGap(key: $key, documentId: $documentId, chunkId: $chunkId, section: $section, days: $days) {
      key
      documentId
      title
      section
    }
  }
`);

const UnlinkMutation = graphql(`
  mutation UnlinkKnowledgeGap($key: ID!) {
    unlinkKnowledgeGap(key: $key) {
      key
      question
    }
  }
`);

const LabelMutation = graphql(`
  mutation LabelKnowledgeGap($key: ID!, $intent: String!, $days: Int!) {
    labelKnowledgeGap(key: $key, intent: $intent, days: $days) {
      key
      intent
      labelled
    }
  }
`);

type Gap = KnowledgeGapsQuery["knowledgeGaps"][number];
type FaqForm = { question: string; variants: string[]; answer: string; departments: string[]; level: number; intent?: string };
const DAYS = [7, 30, 90];

function FaqEditor({ gap, days, intents, departments, onDone }: {
  gap: Gap;
  days: number;
  intents: string[];
  departments: { value: string; label: string }[];
  onDone: (documentId: string) => void;
}) {
  const { t } = useT();
  const [form] = Form.useForm<FaqForm>();
  const [state, resolve] = useMutation(ResolveMutation);
  async function submit(v: FaqForm) {
    const r = await resolve({
      key: gap.key, question: v.question.trim(), answer: v.answer.trim(), variants: v.variants ?? [],
      departments: v.departments ?? [], level: v.level ?? 0, intent: v.intent || null, days,
    });
    if (r.data?.resolveKnowledgeGap) onDone(r.data.resolveKnowledgeGap.documentId);
  }
  return (
    <Form
      form={form}
      layout="vertical"
      data-testid="faq-form"
      initialValues={{ question: gap.question, variants: gap.variants, answer: "", departments: [], level: 0 }}
      onFinish={submit}
      style={{ marginTop: 12 }}
    >
      <Form.Item name="question" label={t("gaps.question")} rules={[{ required: true, whitespace: true }]}>
        <Input maxLength={2000} />
      </Form.Item>
      <Form.Item name="variants" label={t("gaps.variants")}>
        <Select mode="tags" aria-label={t("gaps.variants")} open={false} />
      </Form.Item>
      <Form.Item name="answer" label={t("gaps.answer")} rules={[{ required: true, whitespace: true, message: t("gaps.answerRequired") }]}>
        <Input.TextArea rows={4} maxLength={2000} />
      </Form.Item>
      <Space wrap align="start">
        <Form.Item name="departments" label={t("upload.departments")}>
          <Select mode="multiple" allowClear style={{ minWidth: 220 }} options={departments} optionFilterProp="label" aria-label={t("upload.departments")} />
        </Form.Item>
        <Form.Item name="level" label={t("upload.level")}>
          <InputNumber min={0} max={99} aria-label={t("upload.level")} />
        </Form.Item>
        <Form.Item name="intent" label={t("gaps.intent")}>
          <Select allowClear style={{ minWidth: 160 }} options={intents.map((i) => ({ value: i, label: i }))} aria-label={t("gaps.intent")} />
        </Form.Item>
      </Space>
      <Typography.Paragraph type="secondary">{t("gaps.scopeHint")}</Typography.Paragraph>
      {state.error && <Alert type="error" showIcon title={t("common.error", { text: errorText(state.error) })} style={{ marginBottom: 8 }} />}
      <Button type="primary" htmlType="submit" loading={state.fetching}>{t("gaps.save")}</Button>
    </Form>
  );
}

export default function GapsPage() {
  const { t } = useT();
  const [days, setDays] = useState(30);
  const [open, setOpen] = useState<string | null>(null);
  const [done, setDone] = useState<{ text: string; documentId?: string } | null>(null);
  const [intentOf, setIntentOf] = useState<Record<string, string>>({});
  const [{ data, fetching, error }, refetch] = useQuery({ query: GapsQuery, variables: { days } });
  const [linkState, link] = useMutation(LinkMutation);
  const [labelState, label] = useMutation(LabelMutation);
  const [unlinkState, unlink] = useMutation(UnlinkMutation);
  const acted = linkState.error ?? labelState.error ?? unlinkState.error;
  async function linkTo(g: Gap, n: Gap["nearest"][number]) {
    const r = await link({ key: g.key, documentId: n.documentId, chunkId: n.chunkId, section: n.section, days });
    const made = r.data?.linkKnowledgeGap;
    if (!made) return;
    setDone({ text: t("gaps.linked", { question: g.question, title: made.title }), documentId: made.documentId });
    refetch({ requestPolicy: "network-only" });
  }
  async function labelOnly(g: Gap) {
    const r = await label({ key: g.key, intent: intentOf[g.key], days });
    const made = r.data?.labelKnowledgeGap;
    if (made) setDone({ text: t("gaps.labelled", { question: g.question, intent: made.intent, n: made.labelled }) });
  }
  async function unlinkGap(key: string) {
    const r = await unlink({ key });
    const made = r.data?.unlinkKnowledgeGap;
    if (!made) return;
    setDone({ text: t("gaps.unlinked", { question: made.question }) });
    refetch({ requestPolicy: "network-only" });
  }
  const gaps = data?.knowledgeGaps ?? [];
  const resolved = data?.resolvedKnowledgeGaps ?? [];
  const departments = (data?.entities.edges ?? []).map((e) => ({ value: e.node.id, label: e.node.name ?? e.node.id }));

  return (
    <section aria-label={t("gaps.title")}>
      <Typography.Title level={2} style={{ fontSize: 22 }}>{t("gaps.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("gaps.intro")}</Typography.Paragraph>
      <Space style={{ marginBottom: 12 }}>
        <span>{t("gaps.days")}</span>
        <Select value={days} onChange={setDays} options={DAYS.map((d) => ({ value: d, label: t("gaps.lastDays", { n: d }) }))} aria-label={t("gaps.days")} style={{ width: 140 }} />
      </Space>
      {(error ?? acted) && <Alert type="error" showIcon title={t("common.error", { text: errorText((error ?? acted)!) })} />}
      {done && (
        <Alert
          type="success"
          showIcon
          data-testid="resolved"
          title={done.text}
          action={done.documentId && <Link to={`/doc/${encodeURIComponent(done.documentId)}`}>{t("upload.open")}</Link>}
          style={{ marginBottom: 12 }}
          closable
          onClose={() => setDone(null)}
        />
      )}
      <div data-testid="gaps">
        <List
          loading={fetching && !data}
          locale={{ emptyText: <Empty description={t("gaps.none")} /> }}
          dataSource={gaps}
          renderItem={(g) => (
            <Card size="small" style={{ marginBottom: 12 }} data-testid="gap">
              <Space wrap style={{ width: "100%", justifyContent: "space-between" }}>
                <Typography.Text strong>{g.question}</Typography.Text>
                <Space size={4}>
                  <Tag color="orange">{t("gaps.asked", { n: g.asked })}</Tag>
                  {g.downVoted > 0 && <Tag color="red">{t("gaps.downVoted", { n: g.downVoted })}</Tag>}
                </Space>
              </Space>
              {g.variants.length > 0 && (
                <div style={{ marginTop: 6 }}>
                  <Typography.Text type="secondary">{t("gaps.variants")}：</Typography.Text>
                  {g.variants.map((v) => <Tag key={v}>{v}</Tag>)}
                </div>
              )}
              <div style={{ marginTop: 6 }}>
                <Typography.Text type="secondary">{t("gaps.nearest")}：</Typography.Text>
                {g.nearest.length === 0
                  ? <Typography.Text type="secondary">{t("gaps.noNearest")}</Typography.Text>
                  : g.nearest.map((n) => (
                      <span key={n.documentId} style={{ marginRight: 12 }}>
                        <Link to={`/doc/${encodeURIComponent(n.documentId)}`}>
                          {n.title}{n.section ? ` · ${n.section}` : ""}
                        </Link>
                        <Button size="small" type="link" loading={linkState.fetching} onClick={() => linkTo(g, n)}
                          aria-label={`${t("gaps.link")}：${n.title}`}>
                          {t("gaps.link")}
                        </Button>
                      </span>
                    ))}
              </div>
              {open === g.key ? (
                <FaqEditor
                  gap={g}
                  days={days}
                  intents={data?.nluIntents ?? []}
                  departments={departments}
                  onDone={(documentId) => {
                    setDone({ text: t("gaps.resolved", { question: g.question }), documentId });
                    setOpen(null);
                    refetch({ requestPolicy: "network-only" });
                  }}
                />
              ) : (
                <Space wrap style={{ marginTop: 8 }}>
                  <Button onClick={() => setOpen(g.key)}>{t("gaps.writeFaq")}</Button>
                  <Select allowClear style={{ minWidth: 160 }} placeholder={t("gaps.intent")} aria-label={`${t("gaps.intent")}：${g.question}`}
                    value={intentOf[g.key] || undefined} onChange={(v: string | undefined) => setIntentOf({ ...intentOf, [g.key]: v ?? "" })}
                    options={(data?.nluIntents ?? []).map((i) => ({ value: i, label: i }))} />
                  <Button disabled={!intentOf[g.key]} loading={labelState.fetching} onClick={() => labelOnly(g)}>{t("gaps.labelOnly")}</Button>
                </Space>
              )}
            </Card>
          )}
        />
      </div>
      {resolved.length > 0 && (
        <div data-testid="resolved-gaps" style={{ marginTop: 16 }}>
          <Typography.Title level={3} style={{ fontSize: 18 }}>{t("gaps.resolvedTitle")}</Typography.Title>
          <Typography.Paragraph type="secondary">{t("gaps.resolvedIntro")}</Typography.Paragraph>
          <List
            size="small"
            bordered
            dataSource={resolved}
            renderItem={(r) => (
              <List.Item
                data-testid="resolved-gap"
                actions={[
                  <Button key="unlink" size="small" loading={unlinkState.fetching} onClick={() => unlinkGap(r.key)}
                    aria-label={`${t("gaps.unlink")}：${r.question}`}>
                    {t("gaps.unlink")}
                  </Button>,
                ]}
              >
                <Space wrap>
                  <Typography.Text>{r.question}</Typography.Text>
                  {r.title
                    ? <Link to={`/doc/${encodeURIComponent(r.documentId)}`}>{t("gaps.answeredBy", { title: r.title })}{r.section ? ` · ${r.section}` : ""}</Link>
                    : <Typography.Text type="secondary">{t("gaps.hiddenTarget")}</Typography.Text>}
                  <Typography.Text type="secondary">{r.by} · {r.at}</Typography.Text>
                </Space>
              </List.Item>
            )}
          />
        </div>
      )}
    </section>
  );
}

// Knowledge engineers: the review queue — candidate entities extraction could not link (merge into an
// existing entity, accept as a new one, reject with a reason) and facts whose sources disagree (choose
// a source). The evidence is the text of the documents that mention the candidate. A decision shows
// at once: the row turns into the recorded decision, and the decision log gains it.
import { useMemo, useState } from "react";
import { Alert, Button, Form, Input, Modal, Select, Space, Table, Tabs, Tag, Typography } from "antd";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { ReviewCandidatesQuery, ReviewDecisionFieldsFragment } from "../gql/graphql";
import { errorText } from "../lib/client";
import { useT } from "../lib/i18n";
import Orphans, { useOrphanCount } from "./Orphans";

export const DecisionFields = graphql(`
  fragment ReviewDecisionFields on ReviewDecision {
    id
    action
    surface
    target
    decidedBy
    decidedAt
    candidateId
    entityClass
    source
    chosen
    note
  }
`);

export const ReviewQueueQuery = graphql(`
  query ReviewCandidates {
    reviewCandidates(first: 100) {
      id
      name
      type
      mentions
      documents
      suggestion {
        entityId
        name
        score
      }
    }
    factConflicts(first: 100) {
      id
      startId
      start
      relation
      endId
      end
      notes {
        document
        differences
      }
    }
    reviewDecisions(first: 20) {
      ...ReviewDecisionFields
    }
  }
`);

const EvidenceQuery = graphql(`
  query ReviewEvidence($id: ID!) {
    entity(id: $id) {
      id
      name
    }
    documentChunks(id: $id) {
      id
      section
      text
    }
  }
`);

export const EntitySearchQuery = graphql(`
  query ReviewEntitySearch($name: String) {
    entities(name: $name, first: 20) {
      edges {
        node {
          id
          name
          type
        }
      }
    }
  }
`);

const MergeMutation = graphql(`
  mutation MergeCandidate($candidate: ID!, $entity: ID!, $note: String) {
    mergeCandidate(candidateId: $candidate, entityId: $entity, note: $note) {
      ...ReviewDecisionFields
    }
  }
`);

const AcceptMutation = graphql(`
  mutation AcceptCandidate($candidate: ID!, $cls: String!, $name: String, $note: String) {
    acceptCandidate(candidateId: $candidate, entityClass: $cls, name: $name, note: $note) {
      ...ReviewDecisionFields
    }
  }
`);

const RejectMutation = graphql(`
  mutation RejectCandidate($candidate: ID!, $note: String) {
    rejectCandidate(candidateId: $candidate, note: $note) {
      ...ReviewDecisionFields
    }
  }
`);

const ResolveMutation = graphql(`
  mutation ResolveFactConflict($conflict: ID!, $source: String!, $note: String) {
    resolveFactConflict(conflictId: $conflict, source: $source, note: $note) {
      ...ReviewDecisionFields
    }
  }
`);

type Candidate = ReviewCandidatesQuery["reviewCandidates"][number];
type Conflict = ReviewCandidatesQuery["factConflicts"][number];
type Decision = ReviewDecisionFieldsFragment;
type Action =
  | { kind: "merge"; candidate: Candidate }
  | { kind: "accept"; candidate: Candidate }
  | { kind: "reject"; candidate: Candidate }
  | { kind: "resolve"; conflict: Conflict; source: string };

/** The sentences of a document that mention `name`, each cut to a window around the mention. */
export function evidence(chunks: readonly { id: string; section: string; text: string }[], name: string, max = 3, width = 60) {
  const out: { id: string; section: string; before: string; hit: string; after: string }[] = [];
  for (const c of chunks) {
    const at = c.text.indexOf(name);
    if (at < 0) continue;
    const from = Math.max(0, at - width);
    const to = Math.min(c.text.length, at + name.length + width);
    out.push({
      id: c.id,
      section: c.section,
      before: (from > 0 ? "…" : "") + c.text.slice(from, at),
      hit: name,
      after: c.text.slice(at + name.length, to) + (to < c.text.length ? "…" : ""),
    });
    if (out.length >= max) break;
  }
  return out;
}

function Evidence({ candidate }: { candidate: Candidate }) {
  const { t } = useT();
  const doc = candidate.documents[0];
  const [{ data, fetching }] = useQuery({ query: EvidenceQuery, variables: { id: doc ?? "" }, pause: !doc });
  if (!doc) return <Typography.Text type="secondary">{t("review.noEvidence")}</Typography.Text>;
  const found = evidence(data?.documentChunks ?? [], candidate.name);
  return (
    <div data-testid="evidence">
      <Typography.Text type="secondary">
        {t("review.evidenceIn")} <Link to={`/doc/${encodeURIComponent(doc)}`}>{data?.entity?.name ?? doc}</Link>
      </Typography.Text>
      {!fetching && found.length === 0 && <div><Typography.Text type="secondary">{t("review.noEvidence")}</Typography.Text></div>}
      {found.map((e) => (
        <blockquote key={e.id} className="zk-evidence">
          {e.section && <div><Typography.Text type="secondary">{e.section}</Typography.Text></div>}
          {e.before}
          <mark>{e.hit}</mark>
          {e.after}
        </blockquote>
      ))}
    </div>
  );
}

/** A search box over the graph's entities (by name), for choosing the entity to merge into. */
export function EntityPicker({ value, onChange, initial }: { value?: string; onChange?: (v: string) => void; initial?: { id: string; name: string } }) {
  const { t } = useT();
  const [name, setName] = useState(initial?.name ?? "");
  const [{ data, fetching }] = useQuery({ query: EntitySearchQuery, variables: { name: name || null }, pause: !name });
  const options = useMemo(() => {
    const found = (data?.entities.edges ?? []).map((e) => ({ value: e.node.id, label: `${e.node.name ?? e.node.id} · ${e.node.type} · ${e.node.id}` }));
    if (initial && !found.some((o) => o.value === initial.id)) found.unshift({ value: initial.id, label: `${initial.name} · ${initial.id}` });
    return found;
  }, [data, initial]);
  return (
    <Select
      showSearch={{ filterOption: false, onSearch: setName }}
      value={value}
      onChange={onChange}
      loading={fetching}
      options={options}
      placeholder={t("review.searchEntity")}
      aria-label={t("review.searchEntity")}
      notFoundContent={name ? t("review.noEntity") : null}
    />
  );
}

function ActionModal({ action, onClose, onDone }: { action: Action | null; onClose: () => void; onDone: (d: Decision, key: string) => void }) {
  const { t } = useT();
  const [form] = Form.useForm<{ entity?: string; cls?: string; name?: string; note?: string }>();
  const [merge, doMerge] = useMutation(MergeMutation);
  const [accept, doAccept] = useMutation(AcceptMutation);
  const [reject, doReject] = useMutation(RejectMutation);
  const [resolve, doResolve] = useMutation(ResolveMutation);
  const busy = merge.fetching || accept.fetching || reject.fetching || resolve.fetching;
  const [error, setError] = useState("");
  if (!action) return null;
  const title =
    action.kind === "resolve"
      ? t("review.resolveTitle", { source: action.source === "graph" ? t("review.keepGraph") : action.source })
      : t(`review.${action.kind}Title` as const, { name: action.candidate.name });

  async function submit(v: { entity?: string; cls?: string; name?: string; note?: string }) {
    if (!action) return;
    const note = v.note?.trim() || null;
    setError("");
    let made: Decision | undefined;
    let err;
    if (action.kind === "merge") {
      const r = await doMerge({ candidate: action.candidate.id, entity: v.entity!, note });
      made = r.data?.mergeCandidate;
      err = r.error;
    } else if (action.kind === "accept") {
      const r = await doAccept({ candidate: action.candidate.id, cls: v.cls!, name: v.name?.trim() || null, note });
      made = r.data?.acceptCandidate;
      err = r.error;
    } else if (action.kind === "reject") {
      const r = await doReject({ candidate: action.candidate.id, note });
      made = r.data?.rejectCandidate;
      err = r.error;
    } else {
      const r = await doResolve({ conflict: action.conflict.id, source: action.source, note });
      made = r.data?.resolveFactConflict;
      err = r.error;
    }
    if (made) {
      form.resetFields();
      onDone(made, action.kind === "resolve" ? action.conflict.id : action.candidate.id);
    } else setError(errorText(err));
  }

  const c = action.kind === "resolve" ? null : action.candidate;
  return (
    // Rendered in place: in <body> antd locks the page's scrolling with a style element that carries
    // no CSP nonce (@rc-component/portal's useScrollLocker), which the console's CSP refuses.
    <Modal open getContainer={false} title={title} onCancel={onClose} onOk={() => form.submit()} confirmLoading={busy} okText={t("review.confirm")} cancelText={t("review.cancel")} destroyOnHidden>
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ entity: c?.suggestion?.entityId, cls: c?.type, name: c?.name }}>
        {action.kind === "merge" && (
          <Form.Item name="entity" label={t("review.into")} rules={[{ required: true, message: t("review.pickEntity") }]}>
            <EntityPicker initial={c?.suggestion ? { id: c.suggestion.entityId, name: c.suggestion.name } : undefined} />
          </Form.Item>
        )}
        {action.kind === "accept" && (
          <>
            <Form.Item name="cls" label={t("review.class")} rules={[{ required: true }]}>
              <Input />
            </Form.Item>
            <Form.Item name="name" label={t("review.name")}>
              <Input />
            </Form.Item>
          </>
        )}
        <Form.Item
          name="note"
          label={t("review.reason")}
          rules={action.kind === "reject" ? [{ required: true, whitespace: true, message: t("review.reasonNeeded") }] : []}
        >
          <Input.TextArea rows={2} maxLength={2000} />
        </Form.Item>
      </Form>
      {error && <Alert type="error" showIcon title={t("common.error", { text: error })} />}
    </Modal>
  );
}

export function DecisionTag({ d }: { d: Decision }) {
  const { t } = useT();
  const color = { merge: "blue", accept: "purple", reject: "red", resolve: "magenta", delete: "volcano", reingest: "cyan", keep: "green" }[d.action] ?? "default";
  return (
    <Space size={4} wrap data-testid="decision">
      <Tag color={color}>{t(`review.did.${d.action}` as "review.did.merge")}</Tag>
      {d.action !== "reject" && <Typography.Text code>{d.target}</Typography.Text>}
      {d.note && <Typography.Text type="secondary">{d.note}</Typography.Text>}
    </Space>
  );
}

export default function ReviewPage() {
  const { t } = useT();
  const [{ data, fetching, error }, refetch] = useQuery({ query: ReviewQueueQuery });
  const [action, setAction] = useState<Action | null>(null);
  const [decided, setDecided] = useState<Record<string, Decision>>({});
  const [recent, setRecent] = useState<Decision[]>([]);

  function done(d: Decision, key: string) {
    setDecided((m) => ({ ...m, [key]: d }));
    setRecent((r) => [d, ...r]);
    setAction(null);
  }

  const log = [...recent, ...(data?.reviewDecisions ?? []).filter((d) => !recent.some((r) => r.id === d.id))];
  const candidates = data?.reviewCandidates ?? [];
  const conflicts = data?.factConflicts ?? [];
  const orphans = useOrphanCount();
  return (
    <section aria-label={t("review.title")}>
      <Space style={{ justifyContent: "space-between", width: "100%" }}>
        <Typography.Title level={2} style={{ fontSize: 22 }}>{t("review.title")}</Typography.Title>
        <Button onClick={() => { setDecided({}); refetch({ requestPolicy: "network-only" }); }}>{t("review.reload")}</Button>
      </Space>
      {error && <Alert type="error" showIcon title={t("common.error", { text: errorText(error) })} />}
      <Tabs
        items={[
          {
            key: "candidates",
            label: t("review.candidates", { n: candidates.length }),
            children: (
              <Table
                rowKey="id"
                size="small"
                data-testid="candidates"
                loading={fetching && !data}
                dataSource={candidates}
                pagination={{ pageSize: 20, hideOnSinglePage: true }}
                expandable={{ expandedRowRender: (c) => <Evidence candidate={c} />, expandRowByClick: false }}
                columns={[
                  { title: t("review.name"), dataIndex: "name", render: (n: string) => <Typography.Text strong>{n}</Typography.Text> },
                  { title: t("review.type"), dataIndex: "type", width: 120 },
                  { title: t("review.mentions"), dataIndex: "mentions", width: 80 },
                  {
                    title: t("review.suggestion"),
                    key: "suggestion",
                    render: (_, c) => (c.suggestion ? <span>{c.suggestion.name} <Typography.Text type="secondary">({c.suggestion.score.toFixed(0)})</Typography.Text></span> : "—"),
                  },
                  {
                    title: t("review.actions"),
                    key: "actions",
                    width: 260,
                    render: (_, c) =>
                      decided[c.id] ? (
                        <DecisionTag d={decided[c.id]} />
                      ) : (
                        <Space size={4}>
                          <Button size="small" type="primary" onClick={() => setAction({ kind: "merge", candidate: c })}>{t("review.merge")}</Button>
                          <Button size="small" onClick={() => setAction({ kind: "accept", candidate: c })}>{t("review.accept")}</Button>
                          <Button size="small" onClick={() => setAction({ kind: "reject", candidate: c })}>{t("review.reject")}</Button>
                        </Space>
                      ),
                  },
                ]}
              />
            ),
          },
          {
            key: "conflicts",
            label: t("review.conflicts", { n: conflicts.length }),
            children: (
              <Table
                rowKey="id"
                size="small"
                data-testid="conflicts"
                dataSource={conflicts}
                pagination={{ pageSize: 20, hideOnSinglePage: true }}
                columns={[
                  { title: t("review.fact"), key: "fact", render: (_, c) => <span>{c.start ?? c.startId} <Tag>{c.relation}</Tag> {c.end ?? c.endId}</span> },
                  {
                    title: t("review.sources"),
                    key: "notes",
                    render: (_, c) =>
                      decided[c.id] ? (
                        <DecisionTag d={decided[c.id]} />
                      ) : (
                        <Space orientation="vertical" size={4}>
                          {c.notes.map((n) => (
                            <Space key={n.document} size={4} wrap>
                              <Link to={`/doc/${encodeURIComponent(n.document)}`}>{n.document}</Link>
                              <Typography.Text type="secondary">{n.differences}</Typography.Text>
                              <Button size="small" onClick={() => setAction({ kind: "resolve", conflict: c, source: n.document })}>{t("review.useSource")}</Button>
                            </Space>
                          ))}
                          <Button size="small" onClick={() => setAction({ kind: "resolve", conflict: c, source: "graph" })}>{t("review.keepGraph")}</Button>
                        </Space>
                      ),
                  },
                ]}
              />
            ),
          },
          { key: "orphans", label: t("review.orphans", { n: orphans }), children: <Orphans /> },
          {
            key: "log",
            label: t("review.log"),
            children: (
              <Table
                rowKey="id"
                size="small"
                data-testid="decisions"
                dataSource={log}
                pagination={false}
                columns={[
                  { title: t("review.decision"), key: "d", render: (_, d) => <DecisionTag d={d} /> },
                  { title: t("review.subject"), dataIndex: "surface" },
                  { title: t("review.by"), dataIndex: "decidedBy", width: 100 },
                  { title: t("review.at"), dataIndex: "decidedAt", width: 200 },
                ]}
              />
            ),
          },
        ]}
      />
      <ActionModal action={action} onClose={() => setAction(null)} onDone={done} />
    </section>
  );
}

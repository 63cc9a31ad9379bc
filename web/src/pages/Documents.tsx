// Knowledge engineers: the documents they may read, filtered by name; each opens its chunks. Each row
// can be deleted (confirmed, with a reason; its chunks leave the index at once, the entities only it
// mentioned go to the review queue as orphans) or ingested again: a file is read again from its path
// with the job's progress shown (unchanged content is a no-op), an upload is replaced by uploading a
// new version under the same name, a crawled page by running its crawl source.
import { useEffect, useRef, useState } from "react";
import { Alert, Button, Input, Modal, Progress, Space, Table, Typography, message } from "antd";
import { Link } from "react-router";
import { useClient, useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { ReingestJobFieldsFragment } from "../gql/graphql";
import { errorText } from "../lib/client";
import { useT, type MessageKey } from "../lib/i18n";

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
            uri
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

export const JobFields = graphql(`
  fragment ReingestJobFields on ReingestJob {
    id
    documentId
    title
    state
    stage
    done
    total
    outcome
    chunks
    indexedChunks
    error
    errorEn
  }
`);

const DeleteMutation = graphql(`
  mutation DeleteDocument($id: ID!, $note: String) {
    deleteDocument(id: $id, note: $note) {
      documentId
      title
      indexedChunks
      orphans {
        id
        name
      }
    }
  }
`);

const ReingestMutation = graphql(`
  mutation ReingestDocument($id: ID!) {
    reingestDocument(id: $id) {
      ...ReingestJobFields
    }
  }
`);

const JobQuery = graphql(`
  query ReingestJob($id: ID!) {
    reingestJob(id: $id) {
      ...ReingestJobFields
    }
  }
`);

/** How a document comes back: read again from its file, uploaded anew, or crawled again. */
export function sourceOf(uri: string | null | undefined): "file" | "upload" | "web" | "other" {
  const scheme = (uri ?? "").split(":", 1)[0];
  if (scheme === "file") return "file";
  if (scheme === "upload") return "upload";
  if (scheme === "http" || scheme === "https") return "web";
  return "other";
}

/** Percent of a job: the ingest stage is the first half, the index (documents, embeddings) the second. */
export function jobPercent(job: Pick<ReingestJobFieldsFragment, "state" | "stage" | "done" | "total">): number {
  if (job.state !== "running") return 100;
  const part = job.total ? job.done / job.total : 0;
  if (job.stage === "ingest") return Math.round(50 * part);
  if (job.stage === "documents") return Math.round(50 + 20 * part);
  return Math.round(70 + 29 * part);
}

function JobProgress({ id, onDone }: { id: string; onDone: (job: ReingestJobFieldsFragment) => void }) {
  const { t, lang } = useT();
  const client = useClient();
  const [job, setJob] = useState<ReingestJobFieldsFragment | null>(null);
  const done = useRef(onDone);
  done.current = onDone;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      const r = await client.query(JobQuery, { id }, { requestPolicy: "network-only" }).toPromise();
      if (stopped) return;
      const now = (r.data?.reingestJob ?? null) as ReingestJobFieldsFragment | null;
      setJob(now);
      if (now && now.state !== "running") done.current(now);
      else timer = setTimeout(poll, 500);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [id, client]);
  if (!job) return <Progress percent={0} size="small" />;
  if (job.state === "failed") return <Alert type="error" showIcon title={lang === "en" ? job.errorEn : job.error} />;
  const stage = t(`docs.stage.${job.stage}` as MessageKey);
  return (
    <div data-testid="reingest-progress">
      <Progress percent={jobPercent(job)} size="small" status={job.state === "running" ? "active" : "success"} />
      <Typography.Text type="secondary">
        {job.state === "running" ? t("docs.running", { stage, done: job.done, total: job.total }) : t(`docs.outcome.${job.outcome}` as MessageKey, { chunks: job.chunks })}
      </Typography.Text>
    </div>
  );
}

/** Ant Design's red (#ff4d4f) is 3.2:1 on white; this one passes WCAG AA (axe checks it). */
const DANGER = { color: "#cf1322", borderColor: "#cf1322" };

type Row = { id: string; name: string | null; uri?: string | null; format?: string | null; modifiedAt?: string | null };

export default function DocumentsPage() {
  const { t } = useT();
  const [name, setName] = useState("");
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, fetching, error }, refetch] = useQuery({ query: DocumentsQuery, variables: { name: name || null, after } });
  const [deleting, setDeleting] = useState<Row | null>(null);
  const [note, setNote] = useState("");
  const [jobs, setJobs] = useState<Record<string, string>>({});
  const [deleteState, deleteDocument] = useMutation(DeleteMutation);
  const [, reingest] = useMutation(ReingestMutation);
  const [notice, contextHolder] = message.useMessage();
  const rows: Row[] = (data?.entities.edges.map((e) => e.node) ?? []).map((d) => ({
    id: d.id,
    name: d.name,
    uri: "uri" in d ? d.uri : null,
    format: "format" in d ? d.format : null,
    modifiedAt: "modifiedAt" in d ? d.modifiedAt : null,
  }));

  async function confirmDelete() {
    if (!deleting) return;
    const r = await deleteDocument({ id: deleting.id, note: note || null });
    if (r.error) return;
    const made = r.data!.deleteDocument;
    notice.success(t("docs.deleted", { title: made.title, orphans: made.orphans.length }));
    setDeleting(null);
    setNote("");
    refetch({ requestPolicy: "network-only" });
  }

  async function startReingest(row: Row) {
    const r = await reingest({ id: row.id });
    if (r.error) {
      notice.error(errorText(r.error));
      return;
    }
    setJobs((j) => ({ ...j, [row.id]: r.data!.reingestDocument.id }));
  }

  const finished = (job: ReingestJobFieldsFragment) => {
    if (job.state === "done" && job.outcome !== "unchanged") refetch({ requestPolicy: "network-only" });
  };

  return (
    <section aria-label={t("docs.title")}>
      {contextHolder}
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
          { title: t("docs.format"), key: "format", width: 90, render: (_, d) => d.format ?? "" },
          { title: t("docs.modified"), key: "modified", width: 170, render: (_, d) => (d.modifiedAt ?? "").slice(0, 19).replace("T", " ") },
          {
            title: t("docs.actions"),
            key: "actions",
            width: 300,
            render: (_, d) => {
              const source = sourceOf(d.uri);
              return (
                <Space orientation="vertical" size={4} style={{ width: "100%" }}>
                  <Space size={4} wrap>
                    {source === "file" && <Button size="small" onClick={() => void startReingest(d)}>{t("docs.reingest")}</Button>}
                    {source === "upload" && <Link to="/kb/upload">{t("docs.newVersion")}</Link>}
                    {source === "web" && <Link to="/kb/sources">{t("docs.recrawl")}</Link>}
                    <Button size="small" danger style={DANGER} onClick={() => setDeleting(d)}>{t("docs.delete")}</Button>
                  </Space>
                  {jobs[d.id] && <JobProgress id={jobs[d.id]} onDone={finished} />}
                </Space>
              );
            },
          },
        ]}
      />
      {data?.entities.pageInfo.hasNextPage && (
        <Button style={{ marginTop: 12 }} onClick={() => setAfter(data.entities.pageInfo.endCursor ?? null)}>{t("docs.more")}</Button>
      )}
      <Modal
        getContainer={false}
        open={deleting !== null}
        title={t("docs.deleteTitle", { title: deleting?.name ?? "" })}
        okText={t("docs.delete")}
        okButtonProps={{ danger: true, loading: deleteState.fetching, style: { background: "#cf1322" } }}
        cancelText={t("review.cancel")}
        onOk={() => void confirmDelete()}
        onCancel={() => { setDeleting(null); setNote(""); }}
      >
        <Typography.Paragraph>{t("docs.deleteText")}</Typography.Paragraph>
        <Input.TextArea aria-label={t("review.reason")} placeholder={t("review.reason")} value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
        {deleteState.error && <Alert style={{ marginTop: 12 }} type="error" showIcon title={errorText(deleteState.error)} />}
      </Modal>
    </section>
  );
}

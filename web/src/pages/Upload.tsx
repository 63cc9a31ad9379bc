// Knowledge engineers: drop files to ingest them. Each file goes to POST /api/uploads (its bytes as the
// body, its name and the chosen access scope as parameters) with its progress shown; the result row
// names the document, whether it was new, changed or unchanged, and its chunks (a link opens them).
// A refused file shows the server's reason (type, size, unreadable, scope) and stores nothing.
import { useState } from "react";
import { InboxOutlined } from "@ant-design/icons";
import { Form, InputNumber, Progress, Select, Table, Tag, Typography, Upload } from "antd";
import type { UploadProps } from "antd";
import { Link } from "react-router";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { useAuth } from "../lib/auth";
import { useT, type MessageKey } from "../lib/i18n";
import type { Role } from "../lib/roles";

const DepartmentsQuery = graphql(`
  query UploadDepartments {
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

/** What ingestion reads (ingest/loaders LOADERS), for the file picker and the hint. */
export const ACCEPT = [".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".txt", ".csv", ".xlsx"];
const ROLES: Role[] = ["employee", "manager", "hr", "knowledge_engineer", "analyst", "agent", "admin"];

export type Scope = { departments: string[]; roles: string[]; level: number };
export type Row = {
  uid: string;
  file: string;
  percent: number;
  status: "uploading" | "new" | "changed" | "unchanged" | "rejected";
  documentId?: string;
  title?: string;
  chunks?: number;
  message?: string;
};

/** The upload URL for `name` with `scope` as query parameters. */
export function uploadUrl(name: string, scope: Scope): string {
  const q = new URLSearchParams({ name, level: String(scope.level) });
  for (const d of scope.departments) q.append("departments", d);
  for (const r of scope.roles) q.append("roles", r);
  return `/api/uploads?${q}`;
}

/** Send one file with XHR (fetch reports no upload progress); resolve with the JSON answer. */
export function send(file: Blob, url: string, token: string, onProgress: (percent: number) => void): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
    xhr.onload = () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = { error: { message: xhr.statusText || String(xhr.status) } };
      }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = () => reject(new Error("network error"));
    xhr.send(file);
  });
}

export default function UploadPage() {
  const { t, lang } = useT();
  const { session, signOut } = useAuth();
  const [form] = Form.useForm<Scope>();
  const [rows, setRows] = useState<Row[]>([]);
  const [{ data }] = useQuery({ query: DepartmentsQuery });
  const departments = (data?.entities.edges ?? []).map((e) => ({ value: e.node.id, label: e.node.name ?? e.node.id }));

  const update = (uid: string, patch: Partial<Row>) => setRows((rs) => rs.map((r) => (r.uid === uid ? { ...r, ...patch } : r)));

  const customRequest: UploadProps["customRequest"] = async (options) => {
    const file = options.file as File;
    const uid = (file as File & { uid?: string }).uid ?? `${file.name}-${Date.now()}`;
    setRows((rs) => [{ uid, file: file.name, percent: 0, status: "uploading" }, ...rs]);
    const chosen = form.getFieldsValue();
    const scope: Scope = { departments: chosen.departments ?? [], roles: chosen.roles ?? [], level: chosen.level ?? 0 };
    try {
      const { status, body } = await send(file, uploadUrl(file.name, scope), session!.token, (percent) => update(uid, { percent }));
      if (status === 401) signOut("expired");
      const error = body.error as { message?: string; message_en?: string } | undefined;
      if (status !== 200 || error) {
        update(uid, { status: "rejected", percent: 100, message: (lang === "en" ? error?.message_en : error?.message) ?? String(status) });
        options.onError?.(new Error(error?.message ?? String(status)));
        return;
      }
      const doc = body.document as { id: string; title: string };
      update(uid, { status: body.outcome as Row["status"], percent: 100, documentId: doc.id, title: doc.title, chunks: body.chunks as number });
      options.onSuccess?.(body);
    } catch (e) {
      update(uid, { status: "rejected", message: String(e) });
      options.onError?.(e as Error);
    }
  };

  return (
    <section aria-label={t("upload.title")}>
      <Typography.Title level={2} style={{ fontSize: 22 }}>{t("upload.title")}</Typography.Title>
      <Form form={form} layout="inline" initialValues={{ departments: [], roles: [], level: 0 }} style={{ marginBottom: 12, rowGap: 8 }}>
        <Form.Item name="departments" label={t("upload.departments")}>
          <Select mode="multiple" allowClear style={{ minWidth: 220 }} options={departments} optionFilterProp="label" aria-label={t("upload.departments")} />
        </Form.Item>
        <Form.Item name="roles" label={t("upload.roles")}>
          <Select mode="multiple" allowClear style={{ minWidth: 200 }} options={ROLES.map((r) => ({ value: r, label: t(`role.${r}` as const) }))} aria-label={t("upload.roles")} />
        </Form.Item>
        <Form.Item name="level" label={t("upload.level")}>
          <InputNumber min={0} max={99} aria-label={t("upload.level")} />
        </Form.Item>
      </Form>
      <Typography.Paragraph type="secondary">{t("upload.access")}：{t("upload.public")}</Typography.Paragraph>
      <Upload.Dragger multiple accept={ACCEPT.join(",")} customRequest={customRequest} showUploadList={false} data-testid="dropzone">
        <p className="ant-upload-drag-icon"><InboxOutlined /></p>
        <p className="ant-upload-text">{t("upload.drag")}</p>
        <p className="ant-upload-hint">{t("upload.hint", { types: ACCEPT.join(" "), size: "50 MB" })}</p>
      </Upload.Dragger>
      {rows.length > 0 && (
        <>
          <Typography.Title level={3} style={{ fontSize: 16, marginTop: 16 }}>{t("upload.results")}</Typography.Title>
          <Table
            rowKey="uid"
            size="small"
            pagination={false}
            data-testid="uploads"
            dataSource={rows}
            columns={[
              { title: t("upload.file"), dataIndex: "file" },
              {
                title: t("upload.status"),
                key: "status",
                render: (_, r) =>
                  r.status === "uploading" ? (
                    <Progress percent={r.percent} size="small" style={{ width: 160 }} />
                  ) : (
                    <span>
                      <Tag color={r.status === "rejected" ? "red" : r.status === "unchanged" ? "default" : "blue"}>{t(`upload.status.${r.status}` as MessageKey)}</Tag>
                      {r.message && <Typography.Text className="zk-error" data-testid="upload-error">{r.message}</Typography.Text>}
                    </span>
                  ),
              },
              { title: t("upload.chunks"), key: "chunks", width: 90, render: (_, r) => r.chunks ?? "" },
              {
                title: "",
                key: "open",
                width: 160,
                render: (_, r) => (r.documentId ? <Link to={`/doc/${encodeURIComponent(r.documentId)}`}>{r.title} · {t("upload.open")}</Link> : null),
              },
            ]}
          />
        </>
      )}
    </section>
  );
}

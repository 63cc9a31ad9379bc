// Admins: the deployment at a glance (data directory, graph backend, index size, model), every
// setting in effect (secrets masked by the server), the crawl sources with their last runs, and
// people with their roles from the org data. Read-only.
import { useState } from "react";
import { Alert, Descriptions, Input, Select, Table, Tabs, Tag, Typography } from "antd";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { errorText } from "../lib/client";
import { useT } from "../lib/i18n";
import { type Role } from "../lib/roles";

export const AdminQuery = graphql(`
  query AdminOverview {
    systemOverview {
      version
      env
      dataDir
      graphBackend
      graphLocation
      graphOk
      graphLatencyMs
      indexDocuments
      indexChunks
      indexVectors
      indexKind
      indexVersion
      embedModel
      embedDim
      nerModel
      scheduler
      wecom
      settings {
        name
        value
        default
        description
      }
    }
    crawlSources {
      ...CrawlSourceFields
    }
  }
`);

export const PeopleQuery = graphql(`
  query AdminPeople($role: String) {
    people(role: $role, first: 100) {
      id
      name
      department
      level
      roles
    }
  }
`);

const ROLES: Role[] = ["employee", "manager", "hr", "knowledge_engineer", "analyst", "agent", "admin"];

function People() {
  const { t } = useT();
  const [role, setRole] = useState<string | null>(null);
  const [{ data, fetching, error }] = useQuery({ query: PeopleQuery, variables: { role } });
  return (
    <>
      <Select
        allowClear
        style={{ width: 220, marginBottom: 12 }}
        placeholder={t("admin.filterRole")}
        aria-label={t("admin.filterRole")}
        value={role}
        onChange={(v) => setRole(v ?? null)}
        options={ROLES.map((r) => ({ value: r, label: t(`role.${r}` as const) }))}
      />
      {error && <Alert type="error" showIcon title={t("common.error", { text: errorText(error) })} />}
      <Table
        rowKey="id"
        size="small"
        data-testid="people"
        loading={fetching}
        dataSource={data?.people ?? []}
        pagination={{ pageSize: 25, hideOnSinglePage: true }}
        columns={[
          { title: "ID", dataIndex: "id", width: 90 },
          { title: t("admin.name"), dataIndex: "name", width: 120 },
          { title: t("admin.department"), dataIndex: "department" },
          { title: t("admin.level"), dataIndex: "level", width: 70 },
          {
            title: t("admin.roles"),
            key: "roles",
            render: (_, p) => p.roles.map((r) => <Tag key={r} color={r === "admin" ? "red" : "blue"}>{ROLES.includes(r as Role) ? t(`role.${r as Role}` as const) : r}</Tag>),
          },
        ]}
      />
    </>
  );
}

export default function AdminPage() {
  const { t } = useT();
  const [{ data, fetching, error }] = useQuery({ query: AdminQuery });
  const [filter, setFilter] = useState("");
  const o = data?.systemOverview;
  const settings = (o?.settings ?? []).filter((s) => !filter || s.name.toLowerCase().includes(filter.toLowerCase()));
  return (
    <section aria-label={t("admin.title")}>
      <Typography.Title level={2} style={{ fontSize: 22 }}>{t("admin.title")}</Typography.Title>
      {error && <Alert type="error" showIcon title={t("common.error", { text: errorText(error) })} />}
      {o && (
        <Descriptions
          bordered
          size="small"
          column={2}
          data-testid="overview"
          style={{ marginBottom: 16 }}
          items={[
            { key: "v", label: "Version / env", children: `${o.version} · ${o.env}` },
            { key: "d", label: "ZHIKU_DATA_DIR", children: <Typography.Text code>{o.dataDir}</Typography.Text> },
            { key: "g", label: "Graph", children: <span>{o.graphBackend} · {o.graphLocation} <Tag color={o.graphOk ? "blue" : "red"}>{o.graphOk ? `ok ${o.graphLatencyMs ?? ""} ms` : "down"}</Tag></span> },
            { key: "i", label: "Index", children: `${o.indexDocuments} docs · ${o.indexChunks} chunks · ${o.indexVectors} vectors (${o.indexKind}) · v${o.indexVersion}` },
            { key: "m", label: "Embedding model", children: `${o.embedModel} (${o.embedDim} d)` },
            { key: "n", label: "NER model", children: o.nerModel ?? "built-in" },
            { key: "s", label: "Scheduler", children: o.scheduler ?? "—" },
            { key: "w", label: "WeCom", children: o.wecom ? <Tag color="blue">on</Tag> : <Tag>off</Tag> },
          ]}
        />
      )}
      <Tabs
        items={[
          {
            key: "settings",
            label: t("admin.settings"),
            children: (
              <>
                <Input.Search allowClear placeholder="ZHIKU_…" aria-label={t("admin.settings")} onSearch={setFilter} style={{ maxWidth: 320, marginBottom: 12 }} />
                <Table
                  rowKey="name"
                  size="small"
                  data-testid="settings"
                  loading={fetching}
                  dataSource={settings}
                  pagination={false}
                  columns={[
                    { title: "Name", dataIndex: "name", width: 280, render: (n: string, s) => <span><Typography.Text code>{n}</Typography.Text>{!s.default && <Tag color="purple" style={{ marginLeft: 4 }}>set</Tag>}</span> },
                    { title: "Value", dataIndex: "value", render: (v: string) => <span style={{ wordBreak: "break-all" }}>{v}</span> },
                    { title: "", dataIndex: "description", render: (d: string) => <Typography.Text type="secondary">{d}</Typography.Text> },
                  ]}
                />
              </>
            ),
          },
          {
            key: "crawls",
            label: t("admin.crawls"),
            children: (
              <Table
                rowKey="name"
                size="small"
                data-testid="crawls"
                dataSource={data?.crawlSources ?? []}
                pagination={false}
                locale={{ emptyText: t("admin.noCrawls") }}
                columns={[
                  { title: t("admin.name"), dataIndex: "name" },
                  { title: "Schedule", dataIndex: "schedule" },
                  { title: t("admin.lastRun"), dataIndex: "lastRunAt", render: (v: string | null) => v ?? "—" },
                  { title: t("admin.outcome"), dataIndex: "outcome", render: (v: string | null) => (v ? <Tag color={v === "ok" ? "blue" : v === "failed" ? "red" : "blue"}>{v}</Tag> : "—") },
                  { title: t("admin.pages"), key: "pages", render: (_, c) => `${c.pages} · ${c.new}/${c.changed}/${c.removed}` },
                  { title: t("admin.errors"), key: "errors", render: (_, c) => (c.errors ? <span title={c.recentErrors.join("\n")}>{c.errors}</span> : 0) },
                  { title: t("admin.nextRun"), dataIndex: "nextRunAt", render: (v: string | null) => v ?? "—" },
                ]}
              />
            ),
          },
          { key: "people", label: t("admin.people"), children: <People /> },
        ]}
      />
    </section>
  );
}

// Knowledge engineers: the crawl sources of sources.yaml — last run, next run, pages added / changed /
// removed, errors — and "立即运行", which asks the crawl scheduler's leader to crawl one now (the API
// never crawls itself). A source already running or already asked for is not started twice; with no
// scheduler running the page says so. While a crawl is queued or under way the page polls its progress.
import { useEffect, useState } from "react";
import { Alert, Button, Space, Table, Tag, Typography } from "antd";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { errorText } from "../lib/client";
import { useT, type MessageKey } from "../lib/i18n";

const SourcesQuery = graphql(`
  query CrawlSourcesPage {
    crawlSources {
      ...CrawlSourceFields
    }
    crawlRuns {
      leader
      runs {
        source
        state
        since
        pages
      }
    }
  }
`);

const RunMutation = graphql(`
  mutation RunCrawl($name: String!) {
    runCrawl(name: $name) {
      source
      accepted
      state
      message
      messageEn
      leader
    }
  }
`);

/** How often to look again: often while something is queued or running, rarely otherwise. */
export function pollEvery(states: readonly string[]): number {
  return states.some((s) => s === "queued" || s === "running") ? 2000 : 15000;
}

export default function SourcesPage() {
  const { t, lang } = useT();
  const [{ data, fetching, error }, refetch] = useQuery({ query: SourcesQuery });
  const [runState, run] = useMutation(RunMutation);
  const [said, setSaid] = useState<{ ok: boolean; text: string } | null>(null);
  const runs = new Map((data?.crawlRuns.runs ?? []).map((r) => [r.source, r]));
  const every = pollEvery([...runs.values()].map((r) => r.state));
  useEffect(() => {
    const timer = setInterval(() => refetch({ requestPolicy: "network-only" }), every);
    return () => clearInterval(timer);
  }, [every, refetch]);

  async function runNow(name: string) {
    const r = await run({ name });
    if (r.error) return setSaid({ ok: false, text: errorText(r.error) });
    const made = r.data!.runCrawl;
    setSaid({ ok: made.accepted, text: lang === "en" ? made.messageEn : made.message });
    refetch({ requestPolicy: "network-only" });
  }

  const leader = data?.crawlRuns.leader;
  return (
    <section aria-label={t("src.title")}>
      <Typography.Title level={2} style={{ fontSize: 22 }}>{t("src.title")}</Typography.Title>
      {data && (
        <Alert
          style={{ marginBottom: 12 }}
          type={leader ? "info" : "warning"}
          showIcon
          title={leader ? t("src.leader", { leader }) : t("src.noScheduler")}
        />
      )}
      {error && <Alert type="error" showIcon title={t("common.error", { text: errorText(error) })} />}
      {said && <Alert data-testid="run-said" style={{ marginBottom: 12 }} type={said.ok ? "success" : "warning"} showIcon closable title={said.text} onClose={() => setSaid(null)} />}
      <Table
        rowKey="name"
        size="small"
        data-testid="sources"
        loading={fetching && !data}
        dataSource={data?.crawlSources ?? []}
        pagination={false}
        locale={{ emptyText: t("admin.noCrawls") }}
        expandable={{
          rowExpandable: (c) => c.recentErrors.length > 0,
          expandedRowRender: (c) => (
            <ul className="zk-errors">{c.recentErrors.map((e) => <li key={e}>{e}</li>)}</ul>
          ),
        }}
        columns={[
          { title: t("docs.name"), dataIndex: "name", render: (n: string) => <Typography.Text strong>{n}</Typography.Text> },
          { title: t("src.schedule"), dataIndex: "schedule", width: 100 },
          { title: t("admin.lastRun"), dataIndex: "lastRunAt", render: (v: string | null) => v ?? "—" },
          {
            title: t("src.state"),
            key: "state",
            render: (_, c) => {
              const now = runs.get(c.name);
              if (now && now.state !== "idle")
                return (
                  <Tag color={now.state === "running" ? "processing" : "gold"} data-testid={`state-${c.name}`}>
                    {t(`src.state.${now.state}` as MessageKey, { pages: now.pages })}
                  </Tag>
                );
              return c.outcome ? <Tag color={c.outcome === "ok" ? "green" : c.outcome === "failed" ? "red" : "blue"} data-testid={`state-${c.name}`}>{c.outcome}</Tag> : "—";
            },
          },
          { title: t("admin.pages"), key: "pages", render: (_, c) => `${c.pages} · ${c.new}/${c.changed}/${c.removed}` },
          { title: t("admin.errors"), dataIndex: "errors", width: 70 },
          { title: t("admin.nextRun"), dataIndex: "nextRunAt", render: (v: string | null) => v ?? "—" },
          {
            title: t("review.actions"),
            key: "run",
            width: 110,
            render: (_, c) => {
              const busy = ["queued", "running"].includes(runs.get(c.name)?.state ?? "");
              return (
                <Space>
                  <Button size="small" type="primary" disabled={busy} loading={runState.fetching && runState.operation?.variables?.name === c.name} onClick={() => void runNow(c.name)}>
                    {t("src.runNow")}
                  </Button>
                </Space>
              );
            },
          },
        ]}
      />
    </section>
  );
}

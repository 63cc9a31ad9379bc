// The dashboard's approval analytics — the evidence for "耗时降低": time per step, SLA breaches by
// process, step or approver, and how often each process sends applications back. Drawn from the named
// queries approval_step_times, approval_sla_breaches and approval_return_rates (the same Cypher the
// notebooks and the named-query page run). Shown on the dashboard, which only analysts and admins open.
import { useMemo, useState } from "react";
import { Alert, Card, Col, Row, Segmented, Typography } from "antd";
import { useQuery } from "urql";
import { EChart } from "../components/EChart";
import { graphql } from "../gql";
import { errorText } from "../lib/client";
import { useT } from "../lib/i18n";

const ApprovalQuery = graphql(`
  query ApprovalAnalytics {
    stepTimes: namedQuery(name: "approval_step_times")
    breaches: namedQuery(name: "approval_sla_breaches", params: { limit: 500 })
    returns: namedQuery(name: "approval_return_rates")
  }
`);

export type StepTime = { process: string; step: string; decisions: number; avgHours: number; maxHours: number; breaches: number };
export type Breach = { process: string; step: string; approver: string | null; approverId: string; breaches: number };
export type ReturnRate = { process: string; instances: number; returned: number; returnRatePct: number };
export type BreachBy = "process" | "step" | "person";

/** SLA breaches summed by process, by step (within its process) or by approver; most first. */
export function groupBreaches(rows: readonly Breach[], by: BreachBy): { name: string; breaches: number }[] {
  const sums = new Map<string, number>();
  for (const r of rows) {
    const key = by === "process" ? r.process : by === "step" ? `${r.process} · ${r.step}` : r.approver || r.approverId;
    sums.set(key, (sums.get(key) ?? 0) + Number(r.breaches));
  }
  return [...sums].map(([name, breaches]) => ({ name, breaches })).sort((a, b) => b.breaches - a.breaches || a.name.localeCompare(b.name));
}

function rowsOf<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

function bars(names: string[], series: { name: string; data: number[]; color: string }[], unit = "") {
  return {
    tooltip: { trigger: "axis", valueFormatter: (v: number) => `${v}${unit}` },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 36, bottom: 80 },
    xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 30 : 0, width: 120, overflow: "truncate" } },
    yAxis: { type: "value" },
    series: series.map((s) => ({ name: s.name, type: "bar", data: s.data, itemStyle: { color: s.color } })),
  };
}

export default function ApprovalCharts() {
  const { t } = useT();
  const [{ data, error }] = useQuery({ query: ApprovalQuery });
  const [by, setBy] = useState<BreachBy>("process");
  const steps = rowsOf<StepTime>(data?.stepTimes);
  const breaches = rowsOf<Breach>(data?.breaches);
  const returns = rowsOf<ReturnRate>(data?.returns);
  const stepOption = useMemo(
    () =>
      bars(
        steps.map((s) => `${s.process} · ${s.step}`),
        [
          { name: t("appr.avgHours"), data: steps.map((s) => s.avgHours), color: "#0958d9" },
          { name: t("appr.maxHours"), data: steps.map((s) => s.maxHours), color: "#d46b08" },
        ],
        " h",
      ),
    [steps, t],
  );
  const grouped = useMemo(() => groupBreaches(breaches, by).slice(0, 15), [breaches, by]);
  const breachOption = useMemo(
    () => bars(grouped.map((g) => g.name), [{ name: t("appr.breaches"), data: grouped.map((g) => g.breaches), color: "#cf1322" }]),
    [grouped, t],
  );
  const returnOption = useMemo(
    () => bars(returns.map((r) => r.process), [{ name: t("appr.returnRate"), data: returns.map((r) => r.returnRatePct), color: "#531dab" }], " %"),
    [returns, t],
  );
  const empty = <Typography.Text type="secondary">{t("dash.noData")}</Typography.Text>;
  return (
    <section aria-label={t("appr.title")} data-testid="approval-analytics">
      <Typography.Title level={3} style={{ fontSize: 18, marginTop: 24 }}>{t("appr.title")}</Typography.Title>
      {error && <Alert type="error" showIcon title={t("common.error", { text: errorText(error) })} />}
      <Card title={t("appr.stepTimes")} style={{ marginBottom: 16 }}>
        {steps.length ? <EChart option={stepOption} label={t("appr.stepTimes")} /> : empty}
      </Card>
      <Row gutter={16}>
        <Col xs={24} lg={12}>
          <Card
            title={t("appr.breachesBy")}
            extra={
              <Segmented
                size="small"
                aria-label={t("appr.breachesBy")}
                value={by}
                onChange={(v) => setBy(v as BreachBy)}
                options={(["process", "step", "person"] as const).map((k) => ({ value: k, label: t(`appr.by.${k}` as const) }))}
              />
            }
          >
            {grouped.length ? <EChart option={breachOption} label={t("appr.breachesBy")} /> : empty}
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t("appr.returns")}>
            {returns.length ? <EChart option={returnOption} label={t("appr.returns")} /> : empty}
          </Card>
        </Col>
      </Row>
    </section>
  );
}

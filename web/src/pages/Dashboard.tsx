// Analysts: questions per day (answered vs. not), the answer rate, the questions left unanswered most.
import { useMemo, useState } from "react";
import { Alert, Card, Col, Row, Segmented, Statistic, Table, Typography } from "antd";
import { useQuery } from "urql";
import { EChart } from "../components/EChart";
import { graphql } from "../gql";
import { errorText } from "../lib/client";
import { useT } from "../lib/i18n";
import ApprovalCharts from "./ApprovalCharts";

const StatsQuery = graphql(`
  query QuestionStats($days: Int!) {
    questionStats(days: $days, top: 10) {
      days {
        day
        answered
        unanswered
      }
      topUnanswered {
        question
        count
      }
    }
  }
`);

export default function DashboardPage() {
  const { t } = useT();
  const [days, setDays] = useState(14);
  const [{ data, error }] = useQuery({ query: StatsQuery, variables: { days } });
  const stats = data?.questionStats;
  const totals = useMemo(() => {
    const answered = stats?.days.reduce((n, d) => n + d.answered, 0) ?? 0;
    const unanswered = stats?.days.reduce((n, d) => n + d.unanswered, 0) ?? 0;
    return { answered, unanswered, all: answered + unanswered };
  }, [stats]);
  const option = useMemo(
    () => ({
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [t("dash.answered"), t("dash.unanswered")] },
      grid: { left: 40, right: 16, top: 40, bottom: 30 },
      xAxis: { type: "category", data: stats?.days.map((d) => d.day.slice(5)) ?? [] },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: t("dash.answered"), type: "bar", stack: "q", data: stats?.days.map((d) => d.answered) ?? [], itemStyle: { color: "#52c41a" } },
        { name: t("dash.unanswered"), type: "bar", stack: "q", data: stats?.days.map((d) => d.unanswered) ?? [], itemStyle: { color: "#ff7875" } },
      ],
    }),
    [stats, t],
  );
  return (
    <section aria-label={t("dash.title")}>
      <Typography.Title level={2} style={{ fontSize: 22 }}>{t("dash.title")}</Typography.Title>
      <Segmented
        aria-label={t("dash.days")}
        value={days}
        onChange={(v) => setDays(Number(v))}
        options={[7, 14, 30, 90].map((d) => ({ value: d, label: `${d}` }))}
        style={{ marginBottom: 16 }}
      />
      {error && <Alert type="error" showIcon title={t("common.error", { text: errorText(error) })} />}
      <Row gutter={16} style={{ marginBottom: 16 }}>
        <Col span={8}><Card><Statistic title={t("dash.total", { days })} value={totals.all} /></Card></Col>
        <Col span={8}><Card><Statistic title={t("dash.answered")} value={totals.answered} /></Card></Col>
        <Col span={8}>
          <Card>
            <Statistic title={t("dash.rate")} value={totals.all ? (100 * totals.answered) / totals.all : 0} precision={1} suffix="%" />
          </Card>
        </Col>
      </Row>
      <Card title={t("dash.perDay")} style={{ marginBottom: 16 }}>
        <EChart option={option} label={t("dash.perDay")} />
      </Card>
      <Card title={t("dash.topUnanswered")}>
        <Table
          rowKey="question"
          size="small"
          pagination={false}
          locale={{ emptyText: <Typography.Text type="secondary">{t("dash.noData")}</Typography.Text> }}
          dataSource={stats?.topUnanswered ?? []}
          columns={[
            { title: t("dash.question"), dataIndex: "question" },
            { title: t("dash.count"), dataIndex: "count", width: 100 },
          ]}
        />
      </Card>
      <ApprovalCharts />
    </section>
  );
}

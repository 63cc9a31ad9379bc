import { screen } from "@testing-library/react";
import { renderPage } from "../testing/stub";
import ApprovalCharts, { groupBreaches, type Breach } from "./ApprovalCharts";

vi.setConfig({ testTimeout: 30_000 }); // antd pages render slowly in jsdom on a shared machine
// jsdom has no canvas: the charts are drawn by the browser test; here, which charts and with what data
vi.mock("../components/EChart", () => ({ EChart: ({ label }: { label: string }) => <div role="img" aria-label={label} /> }));

const breaches: Breach[] = [
  { process: "请假", step: "直属上级", approver: "李志强", approverId: "E1005", breaches: 3 },
  { process: "请假", step: "人事", approver: "王芳", approverId: "E1010", breaches: 1 },
  { process: "报销", step: "直属上级", approver: "李志强", approverId: "E1005", breaches: 2 },
  { process: "报销", step: "财务", approver: null, approverId: "E1099", breaches: 2 },
];

it("sums SLA breaches by process, by step within its process, and by approver", () => {
  expect(groupBreaches(breaches, "process")).toEqual([{ name: "报销", breaches: 4 }, { name: "请假", breaches: 4 }]);
  expect(groupBreaches(breaches, "step")[0]).toEqual({ name: "请假 · 直属上级", breaches: 3 });
  expect(groupBreaches(breaches, "person")).toEqual([
    { name: "李志强", breaches: 5 },
    { name: "E1099", breaches: 2 }, // no name: the id
    { name: "王芳", breaches: 1 },
  ]);
});

it("draws the three charts from the named queries, and says when there is nothing yet", async () => {
  const { sent } = renderPage(<ApprovalCharts />, {
    ApprovalAnalytics: {
      stepTimes: [{ process: "请假", step: "直属上级", decisions: 4, avgHours: 5.5, maxHours: 20, breaches: 1 }],
      breaches,
      returns: [],
    },
  });
  expect(await screen.findByRole("img", { name: "各步骤耗时（小时）" })).toBeInTheDocument();
  expect(screen.getByRole("img", { name: "审批超时" })).toBeInTheDocument();
  expect(screen.getByText("暂无数据")).toBeInTheDocument(); // no return rates yet
  expect(screen.getByText("按审批人")).toBeInTheDocument();
  expect(new Set(sent.map((s) => s.name))).toEqual(new Set(["ApprovalAnalytics"])); // one request for all three
});

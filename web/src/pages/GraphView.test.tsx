import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderPage } from "../testing/stub";
import GraphViewPage, { EMPTY, filtered, merge } from "./GraphView";

vi.setConfig({ testTimeout: 30_000 }); // antd pages render slowly in jsdom on a shared machine
// jsdom has no canvas: the chart itself is left out here (the browser test draws it); the page's
// state, its filter and the keyboard-reachable node list are what this file checks.
vi.mock("../components/EChart", () => ({ EChart: ({ label }: { label: string }) => <div role="img" aria-label={label} /> }));

const hoods: Record<string, unknown> = {
  "D-HR": {
    center: "D-HR",
    nodes: [{ id: "D-HR", name: "人力资源部", type: "Department" }, { id: "E1010", name: "王丽华", type: "Employee" }, { id: "D-SVC", name: "员工服务中心", type: "Department" }],
    edges: [{ source: "E1010", type: "HEAD_OF", target: "D-HR" }, { source: "D-SVC", type: "PART_OF", target: "D-HR" }],
  },
  E1010: {
    center: "E1010",
    nodes: [{ id: "E1010", name: "王丽华", type: "Employee" }, { id: "D-HR", name: "人力资源部", type: "Department" }, { id: "E1002", name: "林晓燕", type: "Employee" }],
    edges: [{ source: "E1010", type: "HEAD_OF", target: "D-HR" }, { source: "E1010", type: "REPORTS_TO", target: "E1002" }],
  },
};

it("merges neighbourhoods once and filters by relation type, keeping the centres", () => {
  const a = merge(EMPTY, "D-HR", (hoods["D-HR"] as { nodes: never[] }).nodes, (hoods["D-HR"] as { edges: never[] }).edges);
  const b = merge(a, "E1010", (hoods.E1010 as { nodes: never[] }).nodes, (hoods.E1010 as { edges: never[] }).edges);
  expect(Object.keys(b.nodes).sort()).toEqual(["D-HR", "D-SVC", "E1002", "E1010"]);
  expect(b.edges).toHaveLength(3); // HEAD_OF once
  const only = filtered(b, ["REPORTS_TO"]);
  expect(only.edges).toEqual([{ source: "E1010", type: "REPORTS_TO", target: "E1002" }]);
  expect(only.nodes.map((n) => n.id).sort()).toEqual(["D-HR", "E1002", "E1010"]);
  const noPeople = filtered(b, [], ["Employee"]); // hidden classes go, expanded centres stay
  expect(noPeople.edges.map((e) => e.type).sort()).toEqual(["HEAD_OF", "PART_OF"]); // E1002 is hidden, E1010 expanded
});

it("opens at ?id= and expands a node when it is chosen", async () => {
  const { sent } = renderPage(<GraphViewPage />, { Neighborhood: (v) => ({ neighborhood: hoods[String(v.id)] }), ReviewEntitySearch: { entities: { edges: [] } } }, { path: "/kb/graph?id=D-HR" });
  await waitFor(() => expect(screen.getByTestId("graph-counts")).toHaveTextContent("3 个实体，2 条关系"));
  await userEvent.click(screen.getByRole("button", { name: "王丽华" }));
  await waitFor(() => expect(screen.getByTestId("graph-counts")).toHaveTextContent("4 个实体，3 条关系"));
  expect(screen.getByTestId("graph-selected")).toHaveTextContent("王丽华（Employee）");
  expect(sent.filter((s) => s.name === "Neighborhood").map((s) => s.variables.id)).toEqual(["D-HR", "E1010"]);
});

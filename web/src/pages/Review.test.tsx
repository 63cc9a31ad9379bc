import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderPage } from "../testing/stub";
import ReviewPage, { evidence } from "./Review";

vi.setConfig({ testTimeout: 30_000 }); // antd pages render slowly in jsdom on a shared machine

const decision = (action: string, note: string | null) => ({
  id: "rd-1", action, surface: "首汽集团", target: "cand-org-1", decidedBy: "E1003", decidedAt: "2026-12-01T20:00:00",
  candidateId: "cand-org-1", entityClass: null, source: null, chosen: [], note,
});

const queue = {
  reviewCandidates: [
    { id: "cand-org-1", name: "首汽集团", type: "Organization", mentions: 3, documents: ["doc-1"], suggestion: { entityId: "ORG-SHOUQI", name: "北京首都汽车集团", score: 86 } },
  ],
  factConflicts: [
    { id: "fc-1", startId: "P-1", start: "采购申请", relation: "REQUIRES_FORM", endId: "F-1", end: "PUR-F-001", notes: [{ document: "doc-2", differences: "amount: 5万 ≠ 3万" }] },
  ],
  reviewDecisions: [],
};

it("cuts the evidence around each mention of the candidate", () => {
  const chunks = [
    { id: "c1", section: "班车", text: "班车由首汽集团运营。" },
    { id: "c2", section: "其他", text: "与此无关" },
  ];
  expect(evidence(chunks, "首汽集团")).toEqual([{ id: "c1", section: "班车", before: "班车由", hit: "首汽集团", after: "运营。" }]);
});

it("lists candidates with their suggestion and conflicts with each source's claim", async () => {
  renderPage(<ReviewPage />, { ReviewCandidates: queue, OrphanEntities: { orphanEntities: [] } });
  expect(await screen.findByText("首汽集团")).toBeInTheDocument();
  expect(screen.getByText(/北京首都汽车集团/)).toBeInTheDocument();
  await userEvent.click(screen.getByRole("tab", { name: /事实冲突/ }));
  expect(await screen.findByText("amount: 5万 ≠ 3万")).toBeInTheDocument();
  expect(screen.getByRole("button", { name: "保留图中取值" })).toBeInTheDocument();
});

it("needs a reason to reject, then shows the decision in the row at once", async () => {
  const { sent } = renderPage(<ReviewPage />, {
    ReviewCandidates: queue, OrphanEntities: { orphanEntities: [] },
    RejectCandidate: (v) => ({ rejectCandidate: decision("reject", String(v.note)) }),
  });
  const row = (await screen.findByText("首汽集团")).closest("tr")!;
  await userEvent.click(within(row).getByRole("button", { name: "驳 回" }));
  const dialog = await screen.findByRole("dialog");
  await userEvent.click(within(dialog).getByRole("button", { name: "确 定" }));
  expect(await within(dialog).findByText("驳回须填写理由")).toBeInTheDocument();
  expect(sent.some((s) => s.name === "RejectCandidate")).toBe(false);

  await userEvent.type(within(dialog).getByRole("textbox"), "不是供应商");
  await userEvent.click(within(dialog).getByRole("button", { name: "确 定" }));
  await waitFor(() => expect(within(row).getByText("已驳回")).toBeInTheDocument());
  expect(within(row).getByText("不是供应商")).toBeInTheDocument();
  expect(sent.find((s) => s.name === "RejectCandidate")?.variables).toEqual({ candidate: "cand-org-1", note: "不是供应商" });
});

it("merges into the suggested entity by default", async () => {
  const { sent } = renderPage(<ReviewPage />, {
    ReviewCandidates: queue, OrphanEntities: { orphanEntities: [] },
    ReviewEntitySearch: { entities: { edges: [{ node: { id: "ORG-SHOUQI", name: "北京首都汽车集团", type: "Organization" } }] } },
    MergeCandidate: { mergeCandidate: { ...decision("merge", null), target: "ORG-SHOUQI" } },
  });
  const row = (await screen.findByText("首汽集团")).closest("tr")!;
  await userEvent.click(within(row).getByRole("button", { name: "合 并" }));
  const dialog = await screen.findByRole("dialog");
  await userEvent.click(within(dialog).getByRole("button", { name: "确 定" }));
  await waitFor(() => expect(within(row).getByText("已合并")).toBeInTheDocument());
  expect(sent.find((s) => s.name === "MergeCandidate")?.variables).toMatchObject({ candidate: "cand-org-1", entity: "ORG-SHOUQI" });
});

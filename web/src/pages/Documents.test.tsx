import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderPage } from "../testing/stub";
import DocumentsPage, { jobPercent, sourceOf } from "./Documents";

vi.setConfig({ testTimeout: 30_000 }); // antd pages render slowly in jsdom on a shared machine

const docs = {
  entities: {
    edges: [
      { cursor: "1", node: { __typename: "Document", id: "doc-a", name: "班车管理规定", format: "markdown", modifiedAt: "2026-01-01", uri: "file:///srv/kb/shuttle-bus.md" } },
      { cursor: "2", node: { __typename: "Document", id: "doc-b", name: "值班安排", format: "markdown", modifiedAt: "2026-01-02", uri: "upload://E1003/duty.md" } },
    ],
    pageInfo: { hasNextPage: false, endCursor: null },
  },
};
const job = (state: string, outcome: string | null) => ({
  reingestJob: { id: "job-1", documentId: "doc-a", title: "班车管理规定", state, stage: "embeddings", done: 3, total: 4, outcome, chunks: 5, indexedChunks: 300, error: null, errorEn: null },
});

it("knows how each source comes back and how far a job is", () => {
  expect([sourceOf("file:///a.md"), sourceOf("upload://E1/a.md"), sourceOf("https://x/a"), sourceOf(null)]).toEqual(["file", "upload", "web", "other"]);
  expect(jobPercent({ state: "running", stage: "ingest", done: 1, total: 2 })).toBe(25);
  expect(jobPercent({ state: "running", stage: "embeddings", done: 0, total: 0 })).toBe(70);
  expect(jobPercent({ state: "done", stage: "embeddings", done: 1, total: 1 })).toBe(100);
});

it("deletes a document after confirming, with the reason, and says how many entities became orphans", async () => {
  const { sent } = renderPage(<DocumentsPage />, {
    Documents: docs,
    DeleteDocument: () => ({ deleteDocument: { documentId: "doc-a", title: "班车管理规定", indexedChunks: 300, orphans: [{ id: "ORG-X", name: "首汽" }] } }),
  });
  const row = (await screen.findByText("班车管理规定")).closest("tr")!;
  await userEvent.click(within(row).getByRole("button", { name: "删 除" }));
  const dialog = await screen.findByRole("dialog");
  expect(within(dialog).getByText(/孤立实体进入审核队列/)).toBeInTheDocument();
  await userEvent.type(within(dialog).getByRole("textbox"), "已废止");
  await userEvent.click(within(dialog).getByRole("button", { name: "删 除" }));
  expect(await screen.findByText(/孤立实体 1 个/)).toBeInTheDocument();
  expect(sent.find((s) => s.name === "DeleteDocument")?.variables).toEqual({ id: "doc-a", note: "已废止" });
});

it("re-ingests a file with progress until the outcome, and sends uploads to the upload page", async () => {
  let polls = 0;
  renderPage(<DocumentsPage />, {
    Documents: docs,
    ReingestDocument: () => ({ reingestDocument: job("running", null).reingestJob }),
    ReingestJob: () => (++polls < 2 ? job("running", null) : job("done", "unchanged")),
  });
  const upload = (await screen.findByText("值班安排")).closest("tr")!;
  expect(within(upload).getByRole("link", { name: "上传新版本" })).toHaveAttribute("href", "/kb/upload");
  const row = screen.getByText("班车管理规定").closest("tr")!;
  await userEvent.click(within(row).getByRole("button", { name: "重新摄取" }));
  await waitFor(() => expect(within(row).getByText("内容未变，无需更新")).toBeInTheDocument(), { timeout: 10_000 });
  expect(polls).toBeGreaterThanOrEqual(2);
});

import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderPage } from "../testing/stub";
import SourcesPage, { pollEvery } from "./Sources";

vi.setConfig({ testTimeout: 30_000 }); // antd pages render slowly in jsdom on a shared machine

const source = (name: string) => ({
  name, schedule: "1h", lastRunAt: "2026-12-01T20:00:00+00:00", outcome: "ok", pages: 12, new: 2, changed: 1, removed: 0,
  errors: 0, nextRunAt: "2026-12-01T21:00:00+00:00", recentErrors: [],
});
const page = (leader: string | null, state = "idle") => ({
  crawlSources: [source("intranet-hr")],
  crawlRuns: { leader, runs: [{ source: "intranet-hr", state, since: null, pages: 7 }] },
});

it("polls often only while a crawl is queued or under way", () => {
  expect(pollEvery(["idle", "running"])).toBe(2000);
  expect(pollEvery(["idle"])).toBe(15000);
});

it("runs a source now through the scheduler and shows its progress", async () => {
  let asked = false;
  const { sent } = renderPage(<SourcesPage />, {
    CrawlSourcesPage: () => page("host:42", asked ? "running" : "idle"),
    RunCrawl: () => {
      asked = true;
      return { runCrawl: { source: "intranet-hr", accepted: true, state: "queued", message: "已请求立即爬取 intranet-hr", messageEn: "", leader: "host:42" } };
    },
  });
  expect(await screen.findByText(/主调度：host:42/)).toBeInTheDocument();
  const row = screen.getByText("intranet-hr").closest("tr")!;
  await userEvent.click(within(row).getByRole("button", { name: "立即运行" }));
  expect(await screen.findByText("已请求立即爬取 intranet-hr")).toBeInTheDocument();
  await waitFor(() => expect(within(row).getByText("爬取中（已抓取 7 页）")).toBeInTheDocument());
  expect(within(row).getByRole("button", { name: "立即运行" })).toBeDisabled();
  expect(sent.find((s) => s.name === "RunCrawl")?.variables).toEqual({ name: "intranet-hr" });
});

it("says when no scheduler runs, and shows the refusal", async () => {
  renderPage(<SourcesPage />, {
    CrawlSourcesPage: page(null),
    RunCrawl: { runCrawl: { source: "intranet-hr", accepted: false, state: "no_scheduler", message: "没有运行中的爬取调度器，无法立即运行", messageEn: "", leader: null } },
  });
  expect(await screen.findByText(/没有运行中的爬取调度器：/)).toBeInTheDocument();
  await userEvent.click(screen.getByRole("button", { name: "立即运行" }));
  expect(await screen.findByText("没有运行中的爬取调度器，无法立即运行")).toBeInTheDocument();
});

import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderPage } from "../testing/stub";
import AdminPage from "./Admin";

vi.setConfig({ testTimeout: 30_000 }); // antd pages render slowly in jsdom on a shared machine

const overview = {
  systemOverview: {
    version: "0.9.0", env: "development", dataDir: "/srv/zhiku/.zhiku", graphBackend: "falkordb", graphLocation: "/srv/zhiku/.zhiku/graph",
    graphOk: true, graphLatencyMs: 0.4, indexDocuments: 140, indexChunks: 315, indexVectors: 315, indexKind: "flat", indexVersion: 3,
    embedModel: "zhiku-static-zh", embedDim: 256, nerModel: null, scheduler: null, wecom: false,
    settings: [
      { name: "ZHIKU_SECRET_KEY", value: "******", default: false, description: "Signs API tokens" },
      { name: "ZHIKU_INGEST_MAX_BYTES", value: "52428800", default: true, description: "Larger files are rejected" },
    ],
  },
  crawlSources: [{ name: "intranet", schedule: "0 2 * * *", lastRunAt: "2026-12-01T02:00:00+00:00", outcome: "ok", pages: 12, new: 1, changed: 2, removed: 0, errors: 0, nextRunAt: null, recentErrors: [] }],
};

it("shows the deployment, the settings as the server masked them, crawls and people", async () => {
  const { sent } = renderPage(<AdminPage />, {
    AdminOverview: overview,
    AdminPeople: (v) => ({ people: v.role === "agent" ? [] : [{ id: "E1003", name: "周文博", department: "总经办", level: 6, roles: ["employee", "knowledge_engineer"] }] }),
  }, { employee: "E1001", roles: ["employee", "admin"] });
  expect(await screen.findByText("/srv/zhiku/.zhiku")).toBeInTheDocument();
  expect(screen.getByText(/315 chunks/)).toBeInTheDocument();
  expect(screen.getByText("******")).toBeInTheDocument();
  await userEvent.click(screen.getByRole("tab", { name: "爬取源" }));
  expect(await screen.findByText("intranet")).toBeInTheDocument();
  await userEvent.click(screen.getByRole("tab", { name: "人员与角色" }));
  expect(await screen.findByText("周文博")).toBeInTheDocument();
  expect(screen.getByText("知识工程师")).toBeInTheDocument();
  expect(sent.filter((s) => s.name === "AdminPeople")[0].variables).toEqual({ role: null });
});

import { render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { Guard } from "./App";
import { I18nProvider } from "./lib/i18n";

function renderGuard(path: string, roles: string[]) {
  render(
    <MemoryRouter>
      <I18nProvider initial="zh">
        <Guard path={path} roles={roles}>
          <p>page body</p>
        </Guard>
      </I18nProvider>
    </MemoryRouter>,
  );
}

it("tells a role that may not use a page so, instead of a blank page", () => {
  renderGuard("/analytics", ["employee"]);
  expect(screen.getByText("无权访问")).toBeInTheDocument();
  expect(screen.getByText(/分析师/)).toBeInTheDocument();
  expect(screen.queryByText("page body")).toBeNull();
});

it("shows the page to a role that may use it, and to admins", () => {
  renderGuard("/kb/hit-test", ["employee", "knowledge_engineer"]);
  expect(screen.getByText("page body")).toBeInTheDocument();
});

it.each([
  ["/kb/review", ["employee", "analyst"], "知识工程师"],
  ["/kb/upload", ["employee", "agent"], "知识工程师"],
  ["/kb/graph", ["employee"], "知识工程师"],
  ["/desk", ["employee", "knowledge_engineer"], "人工客服"],
  ["/admin", ["employee", "knowledge_engineer", "agent"], "管理员"],
])("tells a role without access to %s so", (path, roles, needed) => {
  renderGuard(path, roles);
  expect(screen.getByText("无权访问")).toBeInTheDocument();
  expect(screen.getByText(new RegExp(needed))).toBeInTheDocument();
  expect(screen.queryByText("page body")).toBeNull();
});

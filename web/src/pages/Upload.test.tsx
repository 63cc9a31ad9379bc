import { screen } from "@testing-library/react";
import { renderPage } from "../testing/stub";
import UploadPage, { uploadUrl } from "./Upload";

vi.setConfig({ testTimeout: 30_000 }); // antd pages render slowly in jsdom on a shared machine

it("puts the file name and the chosen scope in the upload URL", () => {
  const url = uploadUrl("年假 制度.md", { departments: ["D-HR", "D-SVC"], roles: ["hr"], level: 3 });
  const q = new URL(url, "http://x").searchParams;
  expect(url.startsWith("/api/uploads?")).toBe(true);
  expect([q.get("name"), q.getAll("departments"), q.getAll("roles"), q.get("level")]).toEqual(["年假 制度.md", ["D-HR", "D-SVC"], ["hr"], "3"]);
});

it("offers the drop zone with the accepted types and the scope form", async () => {
  renderPage(<UploadPage />, { UploadDepartments: { entities: { edges: [{ node: { id: "D-HR", name: "人力资源部" } }] } } });
  expect(await screen.findByText("把文件拖到这里，或点击选择")).toBeInTheDocument();
  expect(screen.getByText(/\.pdf/)).toBeInTheDocument();
  expect(screen.getByText(/全员可见/)).toBeInTheDocument();
  expect(document.querySelector('input[type="file"]')).toHaveAttribute("accept", expect.stringContaining(".docx"));
});

import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderPage } from "../testing/stub";
import OntologyPage, { classTree } from "./Ontology";

vi.setConfig({ testTimeout: 30_000 }); // antd pages render slowly in jsdom on a shared machine

const klass = (name: string, labelZh: string, parents: string[] = [], core = true, instances = 0) => ({
  name, labelZh, labelEn: name, definition: "", parents, core, instances, properties: [], rules: [],
  labelCoverage: ["zh", "en", "ja", "ko", "de", "fr", "it", "nl", "pt", "ru"].map((language, i) => ({
    language, labelled: Math.max(0, instances - 10 * i), share: instances ? Math.max(0, instances - 10 * i) / instances : 0,
  })),
});
const classes = [
  { ...klass("Employee", "员工", [], true, 30), properties: [{ name: "belongsTo", kind: "object", labelZh: "所属部门", labelEn: "belongs to", range: "Department", functional: true }],
    rules: [{ path: "belongsTo", zh: "所属部门（belongsTo）：必填；最多 1 个；值须为 部门（Department）", en: "belongs to (belongsTo): required", message: "" }] },
  klass("Organization", "组织", [], true, 3),
  klass("Department", "部门", ["Organization"], true, 12),
  klass("Vendor", "供应商", ["Organization"], false, 0),
];

it("builds the class tree under each class's parent, marking extensions", () => {
  const tree = classTree(classes, "zh");
  expect(tree.map((n) => n.key)).toEqual(["Employee", "Organization"].sort((a, b) => (a === "Employee" ? "员工" : "组织").localeCompare(b === "Employee" ? "员工" : "组织", "zh")));
  const org = tree.find((n) => n.key === "Organization")!;
  expect(org.children.map((n) => n.title)).toEqual(expect.arrayContaining(["部门 · 12", "供应商 ⊕ · 0"]));
  expect(classTree(classes, "en").find((n) => n.key === "Employee")!.title).toBe("Employee · 30");
});

it("shows a class's properties and rules in words, and a proposed extension's diff", async () => {
  const { sent } = renderPage(<OntologyPage />, {
    OntologyClasses: { ontologyClasses: classes },
    OntologyDiff: { ontologyDiff: { affected: 0, changes: [{ kind: "class", name: "Vendor", change: "removed", old: "", new: "", breaking: true, affected: 0, text: "类 Vendor：删除（可能使已有数据失效）" }] } },
  });
  expect(await screen.findByText(/必填；最多 1 个；值须为 部门/)).toBeInTheDocument();
  expect(screen.getByText(/4 个类（扩展 1 个/)).toBeInTheDocument();
  const file = new File(["@prefix zk: <http://zhiku.example.org/ontology#> ."], "vendor.ttl", { type: "text/turtle" });
  await userEvent.upload(document.querySelector('input[type="file"]') as HTMLInputElement, file);
  expect(await screen.findByText("类 Vendor：删除（可能使已有数据失效）")).toBeInTheDocument();
  await waitFor(() => expect(sent.find((s) => s.name === "OntologyDiff")?.variables.filename).toBe("vendor.ttl"));
});

it("shows the selected class's label coverage in the ten languages", async () => {
  renderPage(<OntologyPage />, { OntologyClasses: { ontologyClasses: classes } });
  const table = await screen.findByTestId("label-coverage");
  const headers = within(table).getAllByRole("columnheader").map((h) => h.textContent);
  expect(headers).toEqual(["zh", "en", "ja", "ko", "de", "fr", "it", "nl", "pt", "ru"]);
  const cells = within(table).getAllByRole("cell").map((c) => c.textContent);
  expect(cells.slice(0, 4)).toEqual(["100%", "67%", "33%", "0%"]); // Employee: 30, 20, 10, 0 of 30
  expect(within(table).getByTitle("20 / 30")).toHaveTextContent("67%");
});

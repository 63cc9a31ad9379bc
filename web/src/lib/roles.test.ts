import { mayOpen, pagesFor } from "./roles";

describe("pages by role", () => {
  it("gives an employee the chat only", () => {
    expect(pagesFor(["employee"]).map((p) => p.path)).toEqual(["/chat"]);
  });
  it("gives knowledge engineers the knowledge pages and the named queries, not the dashboard", () => {
    const paths = pagesFor(["employee", "knowledge_engineer"]).map((p) => p.path);
    expect(paths).toEqual(["/chat", "/kb/hit-test", "/kb/documents", "/analytics/queries", "/kb/review", "/kb/upload", "/kb/graph", "/kb/sources", "/kb/ontology", "/kb/gaps"]);
  });
  it("gives agents the desk and admins the administration page", () => {
    expect(pagesFor(["employee", "agent"]).map((p) => p.path)).toEqual(["/chat", "/desk"]);
    expect(pagesFor(["employee", "knowledge_engineer"]).map((p) => p.path)).not.toContain("/admin");
    expect(pagesFor(["admin"]).map((p) => p.path)).toContain("/admin");
  });
  it("lets an admin open every page", () => {
    expect(mayOpen(["admin"], ["analyst"])).toBe(true);
    expect(mayOpen(["employee", "hr"], ["analyst"])).toBe(false);
  });
});

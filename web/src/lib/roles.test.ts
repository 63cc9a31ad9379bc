import { mayOpen, pagesFor } from "./roles";

describe("pages by role", () => {
  it("gives an employee the chat only", () => {
    expect(pagesFor(["employee"]).map((p) => p.path)).toEqual(["/chat"]);
  });
  it("gives knowledge engineers the knowledge pages and the named queries, not the dashboard", () => {
    const paths = pagesFor(["employee", "knowledge_engineer"]).map((p) => p.path);
    expect(paths).toEqual(["/chat", "/kb/hit-test", "/kb/documents", "/analytics/queries"]);
  });
  it("lets an admin open every page", () => {
    expect(mayOpen(["admin"], ["analyst"])).toBe(true);
    expect(mayOpen(["employee", "hr"], ["analyst"])).toBe(false);
  });
});

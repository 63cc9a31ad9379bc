// Which role may open which page: the one table the menu and the route guards both read.
// The server enforces the same rules on every field; this only keeps people off pages they cannot use.
import type { MessageKey } from "./i18n";

export type Role = "employee" | "manager" | "hr" | "knowledge_engineer" | "analyst" | "agent" | "admin";

export type PageDef = { path: string; label: MessageKey; roles: Role[] | null };

/** `roles: null`: every signed-in employee. Admins may open every page. */
export const PAGES: PageDef[] = [
  { path: "/chat", label: "nav.chat", roles: null },
  { path: "/kb/hit-test", label: "nav.hitTest", roles: ["knowledge_engineer"] },
  { path: "/kb/documents", label: "nav.documents", roles: ["knowledge_engineer"] },
  { path: "/analytics", label: "nav.dashboard", roles: ["analyst"] },
  { path: "/analytics/queries", label: "nav.queries", roles: ["analyst", "knowledge_engineer"] },
  { path: "/kb/review", label: "nav.review", roles: ["knowledge_engineer"] },
  { path: "/kb/upload", label: "nav.upload", roles: ["knowledge_engineer"] },
  { path: "/kb/graph", label: "nav.graph", roles: ["knowledge_engineer"] },
  { path: "/kb/sources", label: "nav.sources", roles: ["knowledge_engineer"] },
  { path: "/kb/ontology", label: "nav.ontology", roles: ["knowledge_engineer"] },
  { path: "/kb/gaps", label: "nav.gaps", roles: ["knowledge_engineer"] },
  { path: "/desk", label: "nav.desk", roles: ["agent"] },
  { path: "/admin", label: "nav.admin", roles: ["admin"] },
];

export function mayOpen(userRoles: readonly string[], allowed: readonly Role[] | null): boolean {
  if (allowed === null) return true;
  if (userRoles.includes("admin")) return true;
  return allowed.some((r) => userRoles.includes(r));
}

export function pagesFor(userRoles: readonly string[]): PageDef[] {
  return PAGES.filter((p) => mayOpen(userRoles, p.roles));
}

export function pageOf(path: string): PageDef | undefined {
  return PAGES.find((p) => p.path === path);
}

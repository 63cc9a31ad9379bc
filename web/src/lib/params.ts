// A named query's parameters as `namedQueries` describes them ("limit: int", "role: string"…),
// turned into form fields and back into the JSON `namedQuery` takes.
export type ParamKind = "int" | "float" | "bool" | "list" | "string";
export type Param = { name: string; kind: ParamKind };

export function parseParam(spec: string): Param {
  const [name, type = "string"] = spec.split(":").map((s) => s.trim());
  const t = type.toLowerCase();
  const kind: ParamKind =
    t === "int" || t === "integer" ? "int" : t === "float" || t === "number" ? "float" : t === "bool" || t === "boolean" ? "bool" : t === "list" ? "list" : "string";
  return { name, kind };
}

/** Form values → the query's params: empty fields left out (the query's defaults apply). */
export function toParams(params: Param[], values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of params) {
    const v = values[p.name];
    if (v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0)) continue;
    out[p.name] = p.kind === "int" ? Math.trunc(Number(v)) : p.kind === "float" ? Number(v) : v;
  }
  return out;
}

/** Result rows (objects) → table columns, in the order the first row names them. */
export function columnsOf(rows: unknown): string[] {
  if (!Array.isArray(rows) || rows.length === 0 || typeof rows[0] !== "object" || rows[0] === null) return [];
  const seen: string[] = [];
  for (const row of rows.slice(0, 50)) for (const k of Object.keys(row as object)) if (!seen.includes(k)) seen.push(k);
  return seen;
}

export function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

// An application form generated from a process definition in the graph: the fields its steps'
// conditions read (金额 → amount, 天 → days) plus the reason, and a fingerprint of the definition
// so a form whose process changed while it was being filled in is noticed before submitting.
import { t } from "./i18n";

export type StepDef = { id: string; name: string; order: number; mode: string; condition: string; approverRoles: string[] };
export type ProcessDef = { id: string; name?: string | null; description?: string | null; steps: StepDef[] };

export type Field = { name: "amount" | "days" | "reason"; label: string; kind: "number" | "text"; required: boolean };
export type Values = { amount: string; days: string; reason: string };

export function formFields(p: ProcessDef): Field[] {
  const conditions = p.steps.map((s) => s.condition).join(" ");
  const fields: Field[] = [];
  if (conditions.includes("金额")) fields.push({ name: "amount", label: t("apply.amount"), kind: "number", required: true });
  if (/天/.test(conditions)) fields.push({ name: "days", label: t("apply.days"), kind: "number", required: true });
  fields.push({ name: "reason", label: t("apply.reason"), kind: "text", required: true });
  return fields;
}

/** The first problem with the values, in the user's language; "" when the form can be submitted. */
export function validate(fields: Field[], v: Values): string {
  for (const f of fields) {
    const value = v[f.name].trim();
    if (f.required && !value) return t("apply.required", { field: f.label });
    if (f.kind === "number" && value && !(Number(value) > 0)) return t("apply.positive", { field: f.label });
  }
  return "";
}

export function fingerprint(p: ProcessDef): string {
  return JSON.stringify(
    [...p.steps]
      .sort((a, b) => a.order - b.order)
      .map((s) => [s.id, s.order, s.mode, s.condition, [...s.approverRoles].sort()]),
  );
}

export const num = (s: string): number | null => (s.trim() && Number(s) > 0 ? Number(s) : null);

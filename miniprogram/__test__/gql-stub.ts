// The GraphQL transport (src/lib/gql) replaced for component tests: each test file says
// `jest.mock("../src/lib/gql", () => require("./gql-stub"))`, sets `answers` per operation name and
// reads what the page `sent`. Everything above the transport (the page, lib/forms…) runs unchanged.
export type Sent = { op: string; variables: Record<string, unknown> };
export const sent: Sent[] = [];
export const answers: Record<string, (variables: Record<string, unknown>) => unknown> = {};

export function gql(doc: { toString(): string }, variables: Record<string, unknown> = {}): Promise<unknown> {
  const op = /(?:query|mutation)\s+(\w+)/.exec(doc.toString())![1];
  sent.push({ op, variables });
  const answer = answers[op];
  return answer ? Promise.resolve(answer(variables)) : Promise.reject(new Error(`no answer for ${op}`));
}

export const sentOf = (op: string) => sent.filter((s) => s.op === op);

// For component tests: a real urql Client whose one exchange answers each operation from a table
// keyed by operation name (jsdom has no server), recording every operation so tests can check what a
// page sent; and a wrapper with the providers a page needs (router, language, session, client).
import type { ReactNode } from "react";
import { render } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { Client, Provider, makeResult, makeErrorResult, type Exchange, type Operation } from "urql";
import { filter, map, pipe } from "wonka";
import { AuthProvider, saveSession } from "../lib/auth";
import { I18nProvider } from "../lib/i18n";

export type Answer = Record<string, unknown> | ((variables: Record<string, unknown>) => Record<string, unknown>);

export function operationName(op: Operation): string {
  for (const d of op.query.definitions) if (d.kind === "OperationDefinition" && d.name) return d.name.value;
  return "";
}

export function stubClient(answers: Record<string, Answer>) {
  const sent: { name: string; variables: Record<string, unknown> }[] = [];
  const exchange: Exchange = () => (ops$) =>
    pipe(
      ops$,
      filter((op) => op.kind !== "teardown"),
      map((op) => {
        const name = operationName(op);
        const variables = (op.variables ?? {}) as Record<string, unknown>;
        sent.push({ name, variables });
        const answer = answers[name];
        if (answer === undefined) return makeErrorResult(op, new Error(`no stub for ${name}`));
        return makeResult(op, { data: typeof answer === "function" ? answer(variables) : answer });
      }),
    );
  const client = new Client({ url: "/graphql", exchanges: [exchange], requestPolicy: "network-only" });
  return { client, sent };
}

export function renderPage(ui: ReactNode, answers: Record<string, Answer>, { path = "/", employee = "E1003", roles = ["employee"] } = {}) {
  saveSession({ token: "t", employee, name: "测试", roles, expiresAt: Date.now() + 3_600_000 });
  const stub = stubClient(answers);
  const view = render(
    <MemoryRouter initialEntries={[path]}>
      <I18nProvider initial="zh">
        <AuthProvider>
          <Provider value={stub.client}>{ui}</Provider>
        </AuthProvider>
      </I18nProvider>
    </MemoryRouter>,
  );
  return { ...view, sent: stub.sent };
}

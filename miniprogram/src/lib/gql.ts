// GraphQL over HTTP with the operations typed by codegen (src/gql, from ../api/schema.graphql): the
// document is the operation text (documentMode "string"), the result and variables are typed.
import type { TypedDocumentString } from "../gql/graphql";
import { request } from "./net";
import { AUTH_CODES, AuthExpired, expire, freshSession } from "./session";

export class GqlError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "GqlError";
  }
}

type Body<R> = { data?: R | null; errors?: { message: string; extensions?: { code?: string } }[] };

export async function gql<R, V>(doc: TypedDocumentString<R, V>, variables?: V): Promise<R> {
  let token: string;
  try {
    token = (await freshSession()).token;
  } catch (e) {
    if (e instanceof AuthExpired) expire();
    throw e;
  }
  const body = await request<Body<R>>({ path: "/graphql", data: { query: doc.toString(), variables: variables ?? {} }, token });
  const first = body.errors?.[0];
  if (first) {
    const code = first.extensions?.code ?? "ERROR";
    if (AUTH_CODES.has(code)) {
      expire();
      throw new AuthExpired();
    }
    throw new GqlError(first.message, code);
  }
  return body.data as R;
}

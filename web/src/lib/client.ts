// The GraphQL client (urql): same origin, the bearer token on every request, and a hook that signs
// out when the API says the token is missing, expired or forged.
import { Client, fetchExchange, mapExchange, type CombinedError } from "urql";
import { AUTH_CODES } from "./auth";

export function errorCode(error: CombinedError | undefined): string | undefined {
  const ext = error?.graphQLErrors?.[0]?.extensions as { code?: string } | undefined;
  return ext?.code;
}

export function errorText(error: CombinedError | undefined): string {
  return error?.graphQLErrors?.[0]?.message ?? error?.networkError?.message ?? error?.message ?? "";
}

export function makeClient(token: string, onAuthError: () => void): Client {
  return new Client({
    url: "/graphql",
    requestPolicy: "cache-and-network",
    preferGetMethod: false,
    fetchOptions: () => ({ headers: { Authorization: `Bearer ${token}` } }),
    exchanges: [
      mapExchange({
        onError(error) {
          const code = errorCode(error);
          if (code && AUTH_CODES.has(code)) onAuthError();
        },
      }),
      fetchExchange,
    ],
  });
}

// Live approval status over `graphql-transport-ws` (graphql-ws's client on TaroWebSocket): the
// approvals pages re-read an instance when its status event arrives.
import { createClient, type Client } from "graphql-ws";
import type { ApprovalStatusSubscription } from "../gql/graphql";
import { graphql } from "../gql";
import { loadSession } from "./session";
import { TaroWebSocket, wsUrl } from "./socket";

export const ApprovalStatus = graphql(`
  subscription ApprovalStatus($instanceId: ID) {
    approvalStatus(instanceId: $instanceId) {
      eventId
      kind
      instanceId
      status
      step
      actorId
      summary
      at
    }
  }
`);

let client: Client | null = null;
let clientToken = "";

function liveClient(): Client | null {
  const s = loadSession();
  if (!s) return null;
  if (!client || clientToken !== s.token) {
    void client?.dispose();
    clientToken = s.token;
    client = createClient({
      url: wsUrl("/graphql"),
      webSocketImpl: TaroWebSocket,
      connectionParams: { Authorization: `Bearer ${s.token}` },
      retryAttempts: 20,
      shouldRetry: () => true,
      lazy: true,
    });
  }
  return client;
}

export type StatusEvent = ApprovalStatusSubscription["approvalStatus"];

/** Call ``onEvent`` for each status event (of one instance, or all that involve me); returns stop. */
export function watchApprovals(onEvent: (e: StatusEvent) => void, instanceId?: string): () => void {
  const c = liveClient();
  if (!c) return () => undefined;
  return c.subscribe<ApprovalStatusSubscription>(
    { query: ApprovalStatus.toString(), variables: { instanceId: instanceId ?? null } },
    {
      next: (r) => r.data && onEvent(r.data.approvalStatus),
      error: () => undefined,
      complete: () => undefined,
    },
  );
}

// What each /ws/chat event does to a conversation, shared by the console's chat page and the
// embeddable widget (web/src/widget.ts): a line to show, the typing indicator, the session to resume,
// or an expired sign-in. Rendering is each one's own; the protocol's meaning is written once here.
import { AUTH_CODES } from "./auth";
import type { WsCitation, WsEvent } from "./chatSocket";
import type { MessageKey } from "./i18n";

export type Line = {
  id: string;
  who: "me" | "bot" | "agent" | "system";
  text: string;
  question?: string;
  citations?: WsCitation[];
  followUps?: string[];
  answerable?: boolean;
  agent?: string | null;
  feedback?: boolean;
  ticketId?: string | null;
};

export type Effect = { line?: Omit<Line, "id">; typing?: boolean; session?: string; expired?: boolean };
type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function effectOf(e: WsEvent, question: string | undefined, t: Translate): Effect {
  switch (e.type) {
    case "ready":
      return { session: (e as { sessionId: string }).sessionId };
    case "typing":
      return { typing: true };
    case "pong":
    case "heartbeat":
      return {};
    case "error": {
      const err = e as { code: string; content: string };
      if (AUTH_CODES.has(err.code)) return { typing: false, expired: true };
      return { typing: false, line: { who: "system", text: t("chat.error", { text: err.content }) } };
    }
    case "agent_joined":
      return { line: { who: "system", text: t("chat.agentJoined", { name: (e as { agent: string | null }).agent ?? "" }) } };
    case "ticket_closed":
      return { line: { who: "system", text: t("chat.ticketClosed", { text: (e as { content: string }).content }) } };
    case "agent_message": {
      const a = e as { agent: string | null; content: string };
      return { line: { who: "agent", text: a.content, agent: a.agent } };
    }
    default: {
      const r = e as Extract<WsEvent, { content: string; sessionId: string }> & {
        citations?: WsCitation[];
        followUps?: string[];
        ticketId?: string | null;
        notice?: string;
      };
      return {
        typing: false,
        line: {
          who: "bot",
          text: (r.notice ? r.notice + "\n" : "") + r.content,
          question,
          citations: r.citations,
          followUps: r.followUps,
          ticketId: r.ticketId,
          answerable: e.type === "answer" || e.type === "clarify",
        },
      };
    }
  }
}

// The chat thread as both clients draw it (the console's Chat page and the mini-program's ask page,
// which compiles this file too): how /ws/chat's events become lines — a reply with its citations and
// follow-ups, a progressive reply's pieces replaced by the whole reply, the human agent's messages,
// errors — and what 👍/👎 sends. Pure functions: each client keeps the lines in its own state and
// storage and draws them with its own components and wording.
import type { WsCitation, WsEvent } from "./chatSocket";

export type Line = {
  id: string;
  who: "me" | "bot" | "agent" | "system";
  text: string;
  question?: string;
  citations?: WsCitation[];
  followUps?: string[];
  /** A reply 👍/👎 applies to (an answer or a clarifying question from the knowledge base). */
  answerable?: boolean;
  /** The id the server gave the answer for this employee (`answerId` of /ws/chat): feedback names it. */
  answerId?: string;
  agent?: string | null;
  feedback?: boolean;
  ticketId?: string | null;
  /** A reply still arriving in pieces; the whole reply replaces it. */
  partial?: boolean;
};

/** The client's wording for the lines that are not the server's own text. */
export type Wording = {
  agentJoined: (agent: string, content: string) => string;
  ticketClosed: (content: string) => string;
  error: (content: string) => string;
};

/** What one event means for the page: a line to add, a piece of a reply, the typing state, the
 *  session to remember, an error code (the page signs out on its authentication codes). */
export type Step = {
  line?: Omit<Line, "id">;
  piece?: { index: number; text: string; question?: string };
  typing?: boolean;
  sessionId?: string;
  errorCode?: string;
};

/** How many lines a thread keeps (older ones are dropped). */
export const THREAD_LIMIT = 100;

type Reply = {
  type: string;
  content: string;
  citations?: WsCitation[];
  followUps?: string[];
  ticketId?: string | null;
  notice?: string;
  answerId?: string;
};

export function interpret(e: WsEvent, question: string | undefined, say: Wording): Step {
  switch (e.type) {
    case "ready":
      return { sessionId: (e as { sessionId: string }).sessionId };
    case "typing":
      return { typing: true };
    case "pong":
    case "heartbeat":
      return {};
    case "delta": {
      const d = e as { index: number; content: string };
      return { typing: false, piece: { index: d.index, text: d.content, question } };
    }
    case "error": {
      const err = e as { code: string; content: string };
      return { typing: false, errorCode: err.code, line: { who: "system", text: say.error(err.content) } };
    }
    case "agent_joined":
    case "agent_message":
    case "ticket_closed": {
      const a = e as { agent: string | null; content: string; ticketId: string | null };
      if (e.type === "agent_message") return { line: { who: "agent", text: a.content, agent: a.agent } };
      const text = e.type === "agent_joined" ? say.agentJoined(a.agent ?? "", a.content) : say.ticketClosed(a.content);
      return { line: { who: "system", text, agent: a.agent } };
    }
    default: {
      const r = e as Reply;
      return {
        typing: false,
        line: {
          who: "bot",
          text: (r.notice ? r.notice + "\n" : "") + r.content,
          question,
          citations: r.citations,
          followUps: r.followUps,
          ticketId: r.ticketId,
          answerable: (e.type === "answer" || e.type === "clarify") && Boolean(r.answerId),
          answerId: r.answerId,
        },
      };
    }
  }
}

/** The thread after a step: a piece grows the reply under way (piece 0 starts it afresh, so a reply
 *  sent again after a reconnect is not doubled); the whole reply replaces its pieces. */
export function advance(lines: Line[], step: Step, newId: () => string): Line[] {
  const last = lines[lines.length - 1];
  const growing = last?.who === "bot" && last.partial ? last : null;
  let next = lines;
  if (step.piece) {
    const { index, text, question } = step.piece;
    next = growing
      ? [...lines.slice(0, -1), { ...growing, text: index === 0 ? text : growing.text + text }]
      : [...lines, { id: newId(), who: "bot", text, question, partial: true }];
  } else if (step.line) {
    next =
      growing && step.line.who === "bot"
        ? [...lines.slice(0, -1), { ...step.line, id: growing.id }]
        : [...lines, { ...step.line, id: newId() }];
  }
  return next.length > THREAD_LIMIT ? next.slice(-THREAD_LIMIT) : next;
}

/** The `feedback` mutation's variables for 👍/👎 on ``line`` (an answerable line: it has an answer id). */
export function feedbackVariables(line: Line, helpful: boolean) {
  return { answerId: line.answerId ?? "", question: line.question ?? "", helpful };
}

/** The thread with ``id``'s 👍/👎 recorded. */
export function withFeedback(lines: Line[], id: string, helpful: boolean): Line[] {
  return lines.map((l) => (l.id === id ? { ...l, feedback: helpful } : l));
}

// The employee's chat over /ws/chat (api/rest/chat_ws.py): auth first, then questions; replies,
// typing and the human agent's messages come back as events. When the socket drops (the server
// restarted, the network blinked) it reconnects with back-off, resuming the same session and
// asking for the agent events it missed (lastEventId); a question not yet answered is sent again.
// With ``stream`` it asks for progressive replies: ``delta`` events carry a reply's text in pieces
// (passed on with the question they answer) before the reply itself; lib/chatThread.ts draws them.

export type WsCitation = {
  title: string;
  section: string;
  snippet: string;
  uri: string;
  documentId?: string;
  chunkId?: string;
};

export type WsEvent =
  | { type: "ready"; sessionId: string; resumed: boolean; notice: string }
  | { type: "typing"; sessionId: string }
  | { type: "error"; code: string; content: string }
  | { type: "pong" | "heartbeat" }
  | { type: "delta"; sessionId: string; index: number; content: string }
  | {
      type: "agent_joined" | "agent_message" | "ticket_closed";
      eventId: string;
      ticketId: string | null;
      agent: string | null;
      content: string;
    }
  | {
      type: string; // answer | clarify | confirm | handoff | action | greeting | smalltalk | cancelled | forwarded
      sessionId: string;
      content: string;
      intent?: string;
      confidence?: number;
      citations?: WsCitation[];
      followUps?: string[];
      ticketId?: string | null;
      notice?: string;
      /** A knowledge-base answer's id, bound to this employee: what 👍/👎 (`feedback`) name. */
      answerId?: string;
    };

export type Status = "connecting" | "open" | "reconnecting" | "closed";

type Options = {
  token: string;
  sessionId?: string | null;
  /** ``question``: for a reply, the question it answers. */
  onEvent: (e: WsEvent, question?: string) => void;
  onStatus: (s: Status) => void;
  url?: string;
  /** Ask for progressive replies (``delta`` pieces before each reply). */
  stream?: boolean;
  /** The reply language (zh, en…); without it the server goes by Accept-Language, then the profile.
   * Sent with the sign-in and with every question: set ``socket.language`` when the UI language changes. */
  language?: string;
  WebSocketImpl?: typeof WebSocket;
};

const REPLY_TYPES = new Set(["error", "pong", "heartbeat", "typing", "ready", "delta", "agent_joined", "agent_message", "ticket_closed"]);

export class ChatSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  sessionId: string | null;
  lastEventId: string | null = null;
  /** Questions sent but not answered yet (sent again after a reconnect), and those not sent yet. */
  private pending: string[] = [];
  private ready = false;
  /** The language replies should be in (the UI's), sent with each question. */
  language: string | undefined;

  constructor(private opts: Options) {
    this.sessionId = opts.sessionId ?? null;
    this.language = opts.language;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close(1000);
    this.ws = null;
    this.opts.onStatus("closed");
  }

  ask(question: string): void {
    this.pending.push(question);
    if (this.ready) this.send(question);
  }

  private send(question: string): void {
    this.ws?.send(JSON.stringify({ type: "question", content: question, language: this.language }));
  }

  private open(): void {
    const Impl = this.opts.WebSocketImpl ?? WebSocket;
    const url = this.opts.url ?? `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/chat`;
    this.opts.onStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    const ws = new Impl(url);
    this.ws = ws;
    this.ready = false;
    ws.onopen = () => {
      ws.send(
        JSON.stringify({
          type: "auth",
          token: this.opts.token,
          sessionId: this.sessionId ?? undefined,
          lastEventId: this.lastEventId ?? undefined,
          stream: this.opts.stream || undefined,
          language: this.language,
        }),
      );
    };
    ws.onmessage = (m) => {
      let event: WsEvent;
      try {
        event = JSON.parse(String(m.data)) as WsEvent;
      } catch {
        return;
      }
      let question: string | undefined;
      if (event.type === "ready") {
        this.attempt = 0;
        this.ready = true;
        this.sessionId = (event as { sessionId: string }).sessionId;
        this.opts.onStatus("open");
        for (const q of this.pending) this.send(q);
      } else if ("eventId" in event && event.eventId) {
        this.lastEventId = event.eventId;
      } else if (event.type === "error") {
        if (this.ready && this.pending.length) question = this.pending.shift(); // failed: told, not retried
      } else if (event.type === "delta") {
        question = this.pending[0]; // a piece of the reply to come: the question stays pending
      } else if (!REPLY_TYPES.has(event.type)) {
        question = this.pending.shift(); // this question got its reply
      }
      this.opts.onEvent(event, question);
    };
    ws.onclose = (e) => {
      this.ready = false;
      if (this.stopped) return;
      if (e.code === 4401) {
        this.opts.onStatus("closed"); // the server said why (an error event) before closing
        return;
      }
      this.attempt += 1;
      const delay = Math.min(10_000, 300 * 2 ** Math.min(this.attempt, 6));
      this.opts.onStatus("reconnecting");
      this.timer = setTimeout(() => this.open(), delay);
    };
  }
}

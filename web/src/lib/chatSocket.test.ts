import { ChatSocket, type Status, type WsEvent } from "./chatSocket";

class FakeSocket {
  static all: FakeSocket[] = [];
  sent: Record<string, unknown>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {}
  server(event: object) {
    this.onmessage?.({ data: JSON.stringify(event) });
  }
}

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

function start() {
  const events: [WsEvent, string | undefined][] = [];
  const statuses: Status[] = [];
  const socket = new ChatSocket({
    token: "T",
    url: "ws://test/ws/chat",
    onEvent: (e, q) => events.push([e, q]),
    onStatus: (s) => statuses.push(s),
    WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
  });
  socket.start();
  return { socket, events, statuses };
}

it("signs in first, then sends the question and pairs the reply with it", () => {
  const { socket, events } = start();
  const ws = FakeSocket.all[0];
  ws.onopen?.();
  expect(ws.sent[0]).toEqual({ type: "auth", token: "T" });
  socket.ask("年假怎么请"); // not ready yet: held
  expect(ws.sent).toHaveLength(1);
  ws.server({ type: "ready", sessionId: "s1", resumed: false, notice: "" });
  expect(ws.sent[1]).toEqual({ type: "question", content: "年假怎么请" });
  ws.server({ type: "typing", sessionId: "s1" });
  ws.server({ type: "answer", sessionId: "s1", content: "…" });
  expect(events.at(-1)?.[1]).toBe("年假怎么请");
});

it("reconnects after the server goes away, resumes the session and resends the unanswered question", () => {
  const { socket, statuses } = start();
  const first = FakeSocket.all[0];
  first.onopen?.();
  first.server({ type: "ready", sessionId: "s1", resumed: false, notice: "" });
  first.server({ type: "agent_message", eventId: "5-0", ticketId: "t", agent: "何佳", content: "hi" });
  socket.ask("报销8000元谁审批");
  first.onclose?.({ code: 1012, reason: "restart" });
  expect(statuses.at(-1)).toBe("reconnecting");
  vi.advanceTimersByTime(10_000);
  const second = FakeSocket.all[1];
  expect(second).toBeDefined();
  second.onopen?.();
  expect(second.sent[0]).toEqual({ type: "auth", token: "T", sessionId: "s1", lastEventId: "5-0" });
  second.server({ type: "ready", sessionId: "s1", resumed: true, notice: "" });
  expect(second.sent[1]).toEqual({ type: "question", content: "报销8000元谁审批" });
  expect(statuses.at(-1)).toBe("open");
});

it("does not reconnect when the server refuses the token", () => {
  const { events, statuses } = start();
  const ws = FakeSocket.all[0];
  ws.onopen?.();
  ws.server({ type: "error", code: "INVALID_TOKEN", content: "令牌无效" });
  ws.onclose?.({ code: 4401, reason: "" });
  vi.advanceTimersByTime(30_000);
  expect(FakeSocket.all).toHaveLength(1);
  expect(statuses.at(-1)).toBe("closed");
  expect(events[0][0]).toMatchObject({ type: "error", code: "INVALID_TOKEN" });
});

it("asks for progressive replies and passes each piece on with its question, still pending", () => {
  const events: [WsEvent, string | undefined][] = [];
  const socket = new ChatSocket({
    token: "T",
    url: "ws://test/ws/chat",
    stream: true,
    onEvent: (e, q) => events.push([e, q]),
    onStatus: () => {},
    WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
  });
  socket.start();
  const ws = FakeSocket.all[0];
  ws.onopen?.();
  expect(ws.sent[0]).toEqual({ type: "auth", token: "T", stream: true });
  ws.server({ type: "ready", sessionId: "s1", resumed: false, notice: "" });
  socket.ask("年假怎么请");
  ws.server({ type: "delta", sessionId: "s1", index: 0, content: "员工每年享有带薪年假。" });
  ws.server({ type: "delta", sessionId: "s1", index: 1, content: "详见考勤制度。" });
  ws.server({ type: "answer", sessionId: "s1", content: "员工每年享有带薪年假。详见考勤制度。", streamed: true });
  socket.ask("病假呢");
  ws.server({ type: "answer", sessionId: "s1", content: "…" });
  expect(events.slice(1).map(([e, q]) => [e.type, q])).toEqual([
    ["delta", "年假怎么请"],
    ["delta", "年假怎么请"],
    ["answer", "年假怎么请"],
    ["answer", "病假呢"],
  ]);
});

it("sends the UI language with the sign-in and with each question, following the switch", () => {
  const socket = new ChatSocket({
    token: "T",
    url: "ws://test/ws/chat",
    language: "zh",
    onEvent: () => {},
    onStatus: () => {},
    WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
  });
  socket.start();
  const ws = FakeSocket.all[0];
  ws.onopen?.();
  expect(ws.sent[0]).toEqual({ type: "auth", token: "T", language: "zh" });
  ws.server({ type: "ready", sessionId: "s1", resumed: false, notice: "" });
  socket.ask("年假怎么请");
  socket.language = "en"; // the console's language switch
  socket.ask("How do I apply for annual leave?");
  expect(ws.sent.slice(1)).toEqual([
    { type: "question", content: "年假怎么请", language: "zh" },
    { type: "question", content: "How do I apply for annual leave?", language: "en" },
  ]);
});

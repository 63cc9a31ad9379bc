import type { WsEvent } from "./chatSocket";
import { advance, feedbackVariables, interpret, type Line, THREAD_LIMIT, withFeedback } from "./chatThread";

const say = {
  agentJoined: (agent: string) => `${agent} joined`,
  ticketClosed: (content: string) => `closed: ${content}`,
  error: (content: string) => `error: ${content}`,
};

function play(events: [object, string?][], start: Line[] = []) {
  let n = 0;
  return events.reduce((lines, [e, q]) => advance(lines, interpret(e as WsEvent, q, say), () => `L${++n}`), start);
}

it("grows a reply from its pieces, then replaces them with the whole reply and its sources", () => {
  const pieces = play([
    [{ type: "delta", sessionId: "s", index: 0, content: "员工每年享有带薪年假。" }, "年假怎么请"],
    [{ type: "delta", sessionId: "s", index: 1, content: "详见考勤制度。" }, "年假怎么请"],
  ]);
  expect(pieces).toEqual([{ id: "L1", who: "bot", text: "员工每年享有带薪年假。详见考勤制度。", question: "年假怎么请", partial: true }]);
  const whole = play(
    [[{ type: "answer", sessionId: "s", answerId: "ans-1.mac", content: "员工每年享有带薪年假。详见考勤制度。", citations: [{ title: "考勤制度", section: "", snippet: "", uri: "" }], followUps: ["病假呢"] }, "年假怎么请"]],
    pieces,
  );
  expect(whole).toHaveLength(1);
  expect(whole[0]).toMatchObject({ id: "L1", who: "bot", answerable: true, followUps: ["病假呢"] });
  expect(whole[0].partial).toBeUndefined();
  expect(whole[0].citations).toHaveLength(1);
});

it("starts a reply afresh when its first piece comes again (resent after a reconnect)", () => {
  const lines = play([
    [{ type: "delta", sessionId: "s", index: 0, content: "第一句。" }],
    [{ type: "delta", sessionId: "s", index: 0, content: "第一句。" }],
    [{ type: "delta", sessionId: "s", index: 1, content: "第二句。" }],
  ]);
  expect(lines.map((l) => l.text)).toEqual(["第一句。第二句。"]);
});

it("words the agent's and the server's lines, keeps the session and reports error codes", () => {
  expect(interpret({ type: "ready", sessionId: "s9", resumed: false, notice: "" }, undefined, say)).toEqual({ sessionId: "s9" });
  expect(interpret({ type: "typing", sessionId: "s9" }, undefined, say)).toEqual({ typing: true });
  const error = interpret({ type: "error", code: "INVALID_TOKEN", content: "令牌无效" }, undefined, say);
  expect(error).toMatchObject({ errorCode: "INVALID_TOKEN", typing: false, line: { who: "system", text: "error: 令牌无效" } });
  const lines = play([
    [{ type: "agent_joined", eventId: "1-0", ticketId: "T1", agent: "何佳", content: "" }],
    [{ type: "agent_message", eventId: "2-0", ticketId: "T1", agent: "何佳", content: "您好" }],
    [{ type: "ticket_closed", eventId: "3-0", ticketId: "T1", agent: "何佳", content: "已解决" }],
    [{ type: "handoff", sessionId: "s", content: "已为您转人工", ticketId: "T1", notice: "会话已恢复" }],
  ]);
  expect(lines.map((l) => [l.who, l.text])).toEqual([
    ["system", "何佳 joined"],
    ["agent", "您好"],
    ["system", "closed: 已解决"],
    ["bot", "会话已恢复\n已为您转人工"],
  ]);
  expect(lines[3]).toMatchObject({ ticketId: "T1", answerable: false });
});

it("keeps the last lines only, and records 👍/👎 under the answer id the server gave", () => {
  const many = Array.from({ length: THREAD_LIMIT }, (_, i) => ({ id: `x${i}`, who: "me" as const, text: String(i) }));
  const lines = play([[{ type: "answer", sessionId: "s", answerId: "ans-2.mac", content: "好" }, "问"]], many);
  expect(lines).toHaveLength(THREAD_LIMIT);
  expect(lines[0].id).toBe("x1");
  const answer = lines[lines.length - 1];
  expect(feedbackVariables(answer, true)).toEqual({ answerId: "ans-2.mac", question: "问", helpful: true });
  expect(withFeedback(lines, "L1", false).at(-1)?.feedback).toBe(false);
});

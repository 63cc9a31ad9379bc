import { interpret } from "./lib/chatThread";
import { mount } from "./widget";

it("reads /ws/chat events the way the console's chat does", () => {
  const say = { agentJoined: (n: string) => `${n} 已接入`, ticketClosed: (x: string) => x, error: (x: string) => x };
  expect(interpret({ type: "ready", sessionId: "s1", resumed: false, notice: "" }, undefined, say)).toEqual({ sessionId: "s1" });
  expect(interpret({ type: "error", code: "UNAUTHENTICATED", content: "x" }, undefined, say)).toMatchObject({ errorCode: "UNAUTHENTICATED" });
  const answer = interpret({ type: "answer", sessionId: "s1", answerId: "ans-1.mac", content: "有班车。", citations: [], followUps: ["几点发车？"] }, "有班车吗", say);
  expect(answer).toMatchObject({ typing: false, line: { who: "bot", text: "有班车。", question: "有班车吗", answerable: true } });
  expect(interpret({ type: "agent_message", eventId: "1", ticketId: "T", agent: "何佳", content: "您好" }, undefined, say).line)
    .toEqual({ who: "agent", text: "您好", agent: "何佳" });
});

it("mounts in a shadow root, asks to sign in, and ignores tokens from other origins", () => {
  const root = mount("http://zhiku.test", { title: "问问知库" });
  const host = document.querySelector("zhiku-widget")!;
  expect(host.shadowRoot).toBe(root);
  expect(document.body.querySelector(".panel")).toBeNull(); // nothing of it in the page's own DOM
  const fab = root.querySelector<HTMLButtonElement>(".fab")!;
  expect(fab.textContent).toBe("问问知库");
  fab.click();
  expect(root.querySelector<HTMLElement>(".panel")!.hidden).toBe(false);
  expect(root.querySelector(".signin")!.textContent).toContain("登录");
  window.dispatchEvent(new MessageEvent("message", { origin: "http://evil.test", data: { type: "zhiku-widget-token", token: "t", expiresAt: Date.now() + 1e6 } }));
  expect(root.querySelector("form")).toBeNull(); // still asking to sign in
  expect(sessionStorage.length).toBe(0);
});

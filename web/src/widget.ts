// The embeddable chat widget: one tag on an intranet page,
//   <script src="https://zhiku.example/widget.js" data-lang="zh" data-title="问问知库" async></script>
// adds a floating button that opens a chat with Zhiku. Everything lives in a Shadow DOM, so the host
// page's CSS cannot reach it (and its CSS cannot leak out). Sign-in goes through the console's own
// flow in a pop-up (/widget/signin: WeCom SSO or the development login), which hands the token back
// by postMessage only to origins the server allows (ZHIKU_WIDGET_ORIGINS); the chat is the same
// /ws/chat protocol and event handling as the console's chat page (lib/chatSocket, lib/chatThread).
// Built by vite.widget.config.ts as one classic script, served by `zhiku serve` at /widget.js.
import { AUTH_CODES } from "./lib/auth";
import { interpret, type Line, type Wording } from "./lib/chatThread";
import { ChatSocket, type Status } from "./lib/chatSocket";
import { format, type Lang, type MessageKey } from "./lib/i18n";
import { TOKEN_MESSAGE } from "./widgetProtocol";

const STYLE = `
.fab, .panel { font: 14px/1.5 "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif; color: #1f1f1f; }
* { box-sizing: border-box; }
button { font: inherit; cursor: pointer; }
.fab { border: 0; border-radius: 24px; padding: 10px 18px; background: #0958d9; color: #fff;
  box-shadow: 0 4px 14px rgba(0,0,0,.25); }
.panel { position: absolute; right: 0; bottom: 56px; width: 360px; height: 520px; max-height: 80vh; display: flex;
  flex-direction: column; background: #fff; border: 1px solid #d9d9d9; border-radius: 10px;
  box-shadow: 0 8px 28px rgba(0,0,0,.2); overflow: hidden; }
.panel[hidden] { display: none; }
header { display: flex; justify-content: space-between; align-items: center; padding: 10px 14px;
  background: #0958d9; color: #fff; font-weight: 600; }
header button { background: transparent; border: 0; color: #fff; font-size: 18px; line-height: 1; }
.status { font-size: 12px; font-weight: 400; opacity: .9; margin-left: 8px; }
.thread { flex: 1; overflow-y: auto; padding: 12px; background: #f5f5f5; }
.msg { margin: 8px 0; display: flex; }
.msg.me { justify-content: flex-end; }
.bubble { max-width: 85%; padding: 8px 10px; border-radius: 8px; background: #fff; white-space: pre-wrap;
  word-break: break-word; border: 1px solid #e8e8e8; }
.me .bubble { background: #e6f4ff; border-color: #bae0ff; }
.system .bubble { background: transparent; border: 0; color: #595959; font-size: 12px; }
.sources { margin-top: 6px; font-size: 12px; color: #595959; }
.sources a { color: #0958d9; margin-right: 8px; }
.chips button { margin: 6px 6px 0 0; border: 1px solid #d9d9d9; background: #fff; border-radius: 12px;
  padding: 2px 10px; font-size: 12px; }
form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #f0f0f0; }
input { flex: 1; font: inherit; padding: 6px 10px; border: 1px solid #8c8c8c; border-radius: 6px; }
form button, .signin button { border: 0; border-radius: 6px; padding: 6px 14px; background: #0958d9; color: #fff; }
.signin { padding: 24px; text-align: center; }
`;

type Token = { token: string; name: string; expiresAt: number };

function script(): HTMLScriptElement | null {
  return (document.currentScript as HTMLScriptElement | null) ?? document.querySelector<HTMLScriptElement>('script[src$="/widget.js"]');
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ""): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

export function mount(base: string, options: { lang?: Lang; title?: string } = {}): ShadowRoot {
  const lang: Lang = options.lang === "en" ? "en" : "zh";
  const t = (key: MessageKey, params?: Record<string, string | number>) => format(lang, key, params);
  const storeKey = `zhiku.widget.${base}`;
  // A custom element the page's selectors (div, section…) do not name; its placement set inline and
  // !important, which outranks the page's own !important rules (only the shadow's inside is sealed).
  const host = document.createElement("zhiku-widget");
  const place = { all: "initial", position: "fixed", right: "20px", bottom: "20px", "z-index": "2147483000", display: "block" };
  for (const [k, v] of Object.entries(place)) host.style.setProperty(k, v, "important");
  document.body.appendChild(host);
  const root = host.attachShadow({ mode: "open" });
  root.appendChild(el("style", {}, STYLE));

  const fab = el("button", { class: "fab", type: "button", "aria-expanded": "false" }, options.title ?? t("widget.open"));
  const panel = el("section", { class: "panel", role: "dialog", "aria-label": options.title ?? t("widget.open") });
  panel.hidden = true;
  const header = el("header");
  const heading = el("span", {}, options.title ?? t("app.title"));
  const status = el("span", { class: "status", "data-testid": "status" });
  heading.appendChild(status);
  const close = el("button", { type: "button", "aria-label": t("widget.close") }, "×");
  header.append(heading, close);
  const thread = el("div", { class: "thread", "aria-live": "polite" });
  const body = el("div", { class: "signin" });
  panel.append(header, thread, body);
  root.append(panel, fab);

  let socket: ChatSocket | null = null;
  const say: Wording = {
    agentJoined: (name) => t("chat.agentJoined", { name }),
    ticketClosed: (text) => t("chat.ticketClosed", { text }),
    error: (text) => t("chat.error", { text }),
  };

  function add(line: Omit<Line, "id">) {
    const row = el("div", { class: `msg ${line.who}`, "data-testid": `msg-${line.who}` });
    const bubble = el("div", { class: "bubble" });
    bubble.textContent = line.who === "agent" ? `${t("chat.agent", { name: line.agent ?? "" })}：${line.text}` : line.text;
    if (line.citations?.length) {
      const sources = el("div", { class: "sources" }, `${t("chat.sources")}：`);
      line.citations.forEach((c, i) => {
        const label = `[${i + 1}] ${c.title}${c.section ? ` · ${c.section}` : ""}`;
        if (c.documentId) {
          const href = `${base}/doc/${encodeURIComponent(c.documentId)}${c.chunkId ? `?chunk=${encodeURIComponent(c.chunkId)}` : ""}`;
          sources.appendChild(el("a", { href, target: "_blank", rel: "noopener" }, label));
        } else sources.appendChild(el("span", {}, label));
      });
      bubble.appendChild(sources);
    }
    if (line.followUps?.length) {
      const chips = el("div", { class: "chips" });
      for (const q of line.followUps) {
        const chip = el("button", { type: "button" }, q);
        chip.addEventListener("click", () => ask(q));
        chips.appendChild(chip);
      }
      bubble.appendChild(chips);
    }
    row.appendChild(bubble);
    thread.appendChild(row);
    thread.scrollTop = thread.scrollHeight;
  }

  function ask(q: string) {
    const text = q.trim();
    if (!text || !socket) return;
    add({ who: "me", text });
    socket.ask(text);
  }

  function showStatus(s: Status) {
    status.textContent = t(s === "open" ? "chat.connected" : s === "reconnecting" ? "chat.reconnecting" : "chat.connecting");
  }

  function signInPrompt() {
    body.className = "signin";
    body.replaceChildren(el("p", {}, t("widget.signInHint")));
    const button = el("button", { type: "button" }, t("auth.signIn"));
    button.addEventListener("click", () => {
      window.open(`${base}/widget/signin?origin=${encodeURIComponent(location.origin)}`, "zhiku-signin", "width=520,height=680");
    });
    body.appendChild(button);
  }

  function start(token: Token) {
    socket?.stop();
    const form = el("form");
    const input = el("input", { type: "text", "aria-label": t("chat.placeholder"), placeholder: t("chat.placeholder"), maxlength: "500" });
    form.append(input, el("button", { type: "submit" }, t("chat.send")));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      ask(input.value);
      input.value = "";
    });
    body.className = "";
    body.replaceChildren(form);
    if (!thread.childElementCount) add({ who: "system", text: t("chat.empty") });
    const ws = base.replace(/^http/, "ws") + "/ws/chat";
    socket = new ChatSocket({
      token: token.token,
      sessionId: sessionStorage.getItem(`${storeKey}.session`),
      url: ws,
      language: lang,
      onStatus: showStatus,
      onEvent: (e, question) => {
        const step = interpret(e, question, say); // the console's chat reads events the same way
        if (step.sessionId) sessionStorage.setItem(`${storeKey}.session`, step.sessionId);
        if (step.errorCode && AUTH_CODES.has(step.errorCode)) {
          sessionStorage.removeItem(storeKey);
          socket?.stop();
          signInPrompt();
        } else if (step.line) add(step.line);
      },
    });
    socket.start();
  }

  window.addEventListener("message", (e: MessageEvent) => {
    const data = e.data as { type?: string } & Partial<Token>;
    if (e.origin !== base || data?.type !== TOKEN_MESSAGE || !data.token) return;
    const token = { token: data.token, name: data.name ?? "", expiresAt: data.expiresAt ?? 0 };
    sessionStorage.setItem(storeKey, JSON.stringify(token));
    start(token);
  });

  function toggle(open: boolean) {
    panel.hidden = !open;
    fab.setAttribute("aria-expanded", String(open));
    if (!open || socket) return;
    try {
      const saved = JSON.parse(sessionStorage.getItem(storeKey) ?? "null") as Token | null;
      if (saved && saved.expiresAt > Date.now()) return start(saved);
    } catch {
      /* a damaged entry: sign in again */
    }
    signInPrompt();
  }
  fab.addEventListener("click", () => toggle(panel.hidden));
  close.addEventListener("click", () => toggle(false));
  return root;
}

const tag = script();
if (tag && typeof window !== "undefined") {
  const base = new URL(tag.src, location.href).origin;
  const run = () => mount(base, { lang: tag.dataset.lang as Lang | undefined, title: tag.dataset.title });
  if (document.body) run();
  else document.addEventListener("DOMContentLoaded", run);
}

// Ask: the chat over /ws/chat with the web console's own client and thread logic (web/src/lib/
// chatSocket.ts, chatThread.ts) on TaroWebSocket — "typing" while the answer is composed, the reply
// growing piece by piece (progressive replies), then whole with its citations (tap one to open the
// cited section), follow-up chips, 👍/👎, hand-off to a person and the agent's replies.
// The thread and the unsent draft are kept per employee, so a reconnect or a new sign-in loses nothing.
import { useEffect, useRef, useState } from "react";
import { Input, Text, View } from "@tarojs/components";
import Taro, { useDidShow } from "@tarojs/taro";
import { ChatSocket, type Status, type WsCitation, type WsEvent } from "../../../../web/src/lib/chatSocket";
import { advance, feedbackVariables, interpret, type Line, withFeedback } from "../../../../web/src/lib/chatThread";
import { graphql } from "../../gql";
import { loadDraft, saveDraft } from "../../lib/drafts";
import { gql } from "../../lib/gql";
import { t } from "../../lib/i18n";
import { AUTH_CODES, expire, loadSession } from "../../lib/session";
import { TaroWebSocket, wsUrl } from "../../lib/socket";

const Feedback = graphql(`
  mutation MpFeedback($answerId: ID!, $question: String!, $helpful: Boolean!) {
    feedback(answerId: $answerId, question: $question, helpful: $helpful) {
      id
      recorded
    }
  }
`);

export type { Line };

export function citationUrl(c: WsCitation): string | null {
  if (!c.documentId) return null;
  return `/pages/doc/index?id=${encodeURIComponent(c.documentId)}${c.chunkId ? `&chunk=${encodeURIComponent(c.chunkId)}` : ""}`;
}

export function Message({ line, onFollowUp, onFeedback }: { line: Line; onFollowUp: (q: string) => void; onFeedback: (l: Line, helpful: boolean) => void }) {
  const cls = line.who === "me" ? "bubble-me" : line.who === "agent" ? "bubble-agent" : line.who === "system" ? "banner" : "bubble-bot";
  return (
    <View className={cls} data-who={line.who} data-partial={line.partial ? "1" : undefined}>
      {line.who === "agent" ? <View className="muted">{t("ask.agent", { name: line.agent ?? "" })}</View> : null}
      <Text userSelect>{line.text}</Text>
      {line.citations?.length ? (
        <View>
          <View className="muted">{t("ask.sources")}</View>
          {line.citations.map((c, i) => {
            const url = citationUrl(c);
            return (
              <View key={i} className="citation" data-testid="citation" onClick={() => url && void Taro.navigateTo({ url })}>
                [{i + 1}] {c.title}
                {c.section ? ` · ${c.section}` : ""}
              </View>
            );
          })}
        </View>
      ) : null}
      {line.followUps?.length ? (
        <View>
          <View className="muted">{t("ask.followUps")}</View>
          <View className="chips">
            {line.followUps.map((q) => (
              <View key={q} className="chip" onClick={() => onFollowUp(q)}>
                {q}
              </View>
            ))}
          </View>
        </View>
      ) : null}
      {line.answerable && !line.partial ? (
        line.feedback === undefined ? (
          <View className="chips">
            <View className="chip" onClick={() => onFeedback(line, true)}>
              {t("ask.helpful")}
            </View>
            <View className="chip" onClick={() => onFeedback(line, false)}>
              {t("ask.unhelpful")}
            </View>
          </View>
        ) : (
          <View className="muted">{t("ask.thanks")}</View>
        )
      ) : null}
    </View>
  );
}

const threadKey = (employee: string) => `zhiku.mp.thread.${employee}`;
const sessionKey = (employee: string) => `zhiku.mp.chat.${employee}`;

export default function AskPage() {
  const session = loadSession();
  const employee = session?.employee ?? "";
  const [lines, setLines] = useState<Line[]>(() => {
    try {
      return JSON.parse((Taro.getStorageSync(threadKey(employee)) as string) || "[]") as Line[];
    } catch {
      return [];
    }
  });
  const [draft, setDraft] = useState<string>(() => loadDraft<string>(employee, "ask") ?? "");
  const [typing, setTyping] = useState(false);
  const [status, setStatus] = useState<Status>("connecting");
  const socket = useRef<ChatSocket | null>(null);
  const nextId = useRef(lines.reduce((m, l) => Math.max(m, Number(l.id) || 0), 0) + 1);
  const newId = () => String(nextId.current++);

  const update = (change: (ls: Line[]) => Line[]) =>
    setLines((ls) => {
      const next = change(ls);
      if (next !== ls) Taro.setStorageSync(threadKey(employee), JSON.stringify(next));
      return next;
    });

  useDidShow(() => {
    if (!loadSession()) expire();
  });

  useEffect(() => {
    if (!session) return;
    const say = { agentJoined: (_: string, content: string) => content, ticketClosed: (c: string) => c, error: (c: string) => c };
    const onEvent = (e: WsEvent, question?: string) => {
      const step = interpret(e, question, say);
      if (step.sessionId) Taro.setStorageSync(sessionKey(employee), step.sessionId);
      if (step.typing !== undefined) setTyping(step.typing);
      if (step.errorCode && AUTH_CODES.has(step.errorCode)) expire();
      else update((ls) => advance(ls, step, newId));
    };
    const s = new ChatSocket({
      token: session.token,
      sessionId: (Taro.getStorageSync(sessionKey(employee)) as string) || null,
      url: wsUrl("/ws/chat"),
      WebSocketImpl: TaroWebSocket as unknown as typeof WebSocket,
      stream: true,
      onEvent,
      onStatus: setStatus,
    });
    socket.current = s;
    s.start();
    return () => s.stop();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [session?.token]);

  const send = (text: string) => {
    const q = text.trim();
    if (!q) return;
    update((ls) => advance(ls, { line: { who: "me", text: q } }, newId));
    setTyping(true);
    socket.current?.ask(q); // queued while (re)connecting, sent when the socket is ready
    setDraft("");
    saveDraft(employee, "ask", "");
  };

  const onFeedback = async (line: Line, helpful: boolean) => {
    try {
      await gql(Feedback, feedbackVariables(line, helpful));
      update((ls) => withFeedback(ls, line.id, helpful));
    } catch (e) {
      void Taro.showToast({ title: (e as Error).message, icon: "none" });
    }
  };

  return (
    <View className="page">
      {status === "reconnecting" ? <View className="banner">{t("ask.reconnecting")}</View> : null}
      {lines.map((line) => (
        <Message key={line.id} line={line} onFollowUp={send} onFeedback={(l, h) => void onFeedback(l, h)} />
      ))}
      {typing ? <View className="muted typing">{t("ask.thinking")}</View> : null}
      <View className="chips">
        <View className="chip" onClick={() => send("转人工")}>
          {t("ask.handoff")}
        </View>
      </View>
      {/* H5 draws the tab bar inside the page (50px); the mini-program draws it outside */}
      <View className="composer" style={{ bottom: process.env.TARO_ENV === "h5" ? "50px" : "0" }}>
        <Input
          className="input"
          value={draft}
          placeholder={t("ask.placeholder")}
          confirmType="send"
          onInput={(e) => {
            setDraft(e.detail.value);
            saveDraft(employee, "ask", e.detail.value);
          }}
          onConfirm={() => send(draft)}
        />
        <View className="btn ask-send" style={{ marginTop: 0 }} onClick={() => send(draft)}>
          {t("ask.send")}
        </View>
      </View>
    </View>
  );
}

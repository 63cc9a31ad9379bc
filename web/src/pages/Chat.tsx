// The employee's chat: questions over /ws/chat, answers with their sources (each opens the cited
// section in the console), follow-up chips, 👍/👎 (GraphQL `feedback`), hand-off to a person and
// the agent's replies as they come. The draft and the conversation survive a reload or a sign-in.
import { useCallback, useEffect, useRef, useState } from "react";
import { DislikeOutlined, LikeOutlined } from "@ant-design/icons";
import { Alert, Button, Input, Space, Tag, Tooltip, Typography, message as toast } from "antd";
import { Link } from "react-router";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { AUTH_CODES, useAuth } from "../lib/auth";
import { ChatSocket, type Status, type WsCitation, type WsEvent } from "../lib/chatSocket";
import { advance, feedbackVariables, interpret, type Line, withFeedback } from "../lib/chatThread";
import { useT } from "../lib/i18n";

export type { Line };

const Feedback = graphql(`
  mutation ChatFeedback($answerId: ID!, $question: String!, $helpful: Boolean!) {
    feedback(answerId: $answerId, question: $question, helpful: $helpful) {
      id
      recorded
    }
  }
`);

const store = (employee: string) => ({
  draftKey: `zhiku.chat.draft.${employee}`,
  threadKey: `zhiku.chat.thread.${employee}`,
  sessionKey: `zhiku.chat.session.${employee}`,
});

/** Where a citation opens: the document inside the console, at the cited chunk. */
export function citationHref(c: WsCitation): string | null {
  if (!c.documentId) return null;
  return `/doc/${encodeURIComponent(c.documentId)}${c.chunkId ? `?chunk=${encodeURIComponent(c.chunkId)}` : ""}`;
}

export function Message({ line, onFollowUp, onFeedback }: { line: Line; onFollowUp: (q: string) => void; onFeedback: (line: Line, helpful: boolean) => void }) {
  const { t } = useT();
  return (
    <div className={`zk-msg ${line.who}`} data-testid={`msg-${line.who}`}>
      <div className="zk-bubble">
        {line.who === "agent" && <Typography.Text strong>{t("chat.agent", { name: line.agent ?? "" })}：</Typography.Text>}
        {line.text}
        {!!line.citations?.length && (
          <div className="zk-sources">
            <Typography.Text type="secondary">{t("chat.sources")}：</Typography.Text>
            {line.citations.map((c, i) => {
              const href = citationHref(c);
              const label = `[${i + 1}] ${c.title}${c.section ? ` · ${c.section}` : ""}`;
              return href ? (
                <Link key={i} to={href} data-testid="citation">{label}</Link>
              ) : (
                <span key={i}>{label}</span>
              );
            })}
          </div>
        )}
        {line.ticketId && <div><Tag color="orange">{t("chat.ticket", { id: line.ticketId })}</Tag></div>}
        {!!line.followUps?.length && (
          <div className="zk-chips" style={{ marginTop: 8 }}>
            {line.followUps.map((q) => (
              <Tag.CheckableTag key={q} checked={false} onChange={() => onFollowUp(q)} data-testid="follow-up" style={{ border: "1px solid #d9d9d9" }}>
                {q}
              </Tag.CheckableTag>
            ))}
          </div>
        )}
        {line.who === "bot" && line.answerable && !line.partial && (
          <div style={{ marginTop: 6 }}>
            {line.feedback === undefined ? (
              <Space size={4}>
                <Tooltip title={t("chat.helpful")}><Button size="small" type="text" aria-label={t("chat.helpful")} icon={<LikeOutlined />} onClick={() => onFeedback(line, true)} /></Tooltip>
                <Tooltip title={t("chat.unhelpful")}><Button size="small" type="text" aria-label={t("chat.unhelpful")} icon={<DislikeOutlined />} onClick={() => onFeedback(line, false)} /></Tooltip>
              </Space>
            ) : (
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>{line.feedback ? <LikeOutlined /> : <DislikeOutlined />} {t("chat.thanks")}</Typography.Text>
            )}
          </div>
        )}
      </div>
    </div>
  );
}

function restore<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch {
    return fallback;
  }
}

export default function ChatPage() {
  const { t, chosen } = useT();
  const { session, signOut } = useAuth();
  const keys = store(session!.employee);
  const [lines, setLines] = useState<Line[]>(() => restore<Line[]>(keys.threadKey, []));
  const [draft, setDraft] = useState<string>(() => localStorage.getItem(keys.draftKey) ?? "");
  const [status, setStatus] = useState<Status>("connecting");
  const [typing, setTyping] = useState(false);
  const socket = useRef<ChatSocket | null>(null);
  const thread = useRef<HTMLDivElement>(null);
  const [, feedback] = useMutation(Feedback);

  useEffect(() => localStorage.setItem(keys.draftKey, draft), [draft, keys.draftKey]);
  useEffect(() => {
    localStorage.setItem(keys.threadKey, JSON.stringify(lines.slice(-100)));
    thread.current?.scrollTo({ top: thread.current.scrollHeight });
  }, [lines, keys.threadKey]);

  const add = useCallback((line: Omit<Line, "id">) => {
    setLines((ls) => advance(ls, { line }, () => `${Date.now()}-${ls.length}`));
  }, []);

  useEffect(() => {
    const say = {
      agentJoined: (name: string) => t("chat.agentJoined", { name }),
      ticketClosed: (text: string) => t("chat.ticketClosed", { text }),
      error: (text: string) => t("chat.error", { text }),
    };
    const onEvent = (e: WsEvent, question?: string) => {
      const step = interpret(e, question, say);
      if (step.sessionId) localStorage.setItem(keys.sessionKey, step.sessionId);
      if (step.typing !== undefined) setTyping(step.typing);
      if (step.errorCode && AUTH_CODES.has(step.errorCode)) signOut("expired");
      else setLines((ls) => advance(ls, step, () => `${Date.now()}-${ls.length}`));
    };
    const s = new ChatSocket({
      token: session!.token,
      sessionId: localStorage.getItem(keys.sessionKey),
      stream: true,
      language: chosen ?? undefined,
      onEvent,
      onStatus: setStatus,
    });
    socket.current = s;
    s.start();
    return () => s.stop();
  }, [session, keys.sessionKey, add, signOut, t]);
  // replies in the language chosen with the UI's switch, not the browser's (sent with each question);
  // never chosen: the server goes by the browser's Accept-Language, then the employee's profile
  useEffect(() => {
    if (socket.current) socket.current.language = chosen ?? undefined;
  }, [chosen]);

  const send = (text: string) => {
    const q = text.trim();
    if (!q) return;
    add({ who: "me", text: q });
    socket.current?.ask(q);
    setDraft("");
  };

  const onFeedback = async (line: Line, helpful: boolean) => {
    const result = await feedback(feedbackVariables(line, helpful));
    if (result.error) {
      toast.error(t("common.error", { text: result.error.message }));
      return;
    }
    setLines((ls) => withFeedback(ls, line.id, helpful));
  };

  const reset = () => {
    localStorage.removeItem(keys.sessionKey);
    localStorage.removeItem(keys.threadKey);
    setLines([]);
    socket.current?.stop();
    const s = socket.current;
    if (s) {
      s.sessionId = null;
      s.start();
    }
  };

  return (
    <section className="zk-chat" aria-label={t("nav.chat")}>
      {status === "reconnecting" && <Alert type="warning" showIcon title={t("chat.reconnecting")} />}
      <div className="zk-thread" ref={thread} data-testid="thread">
        {lines.length === 0 && <Typography.Paragraph type="secondary">{t("chat.empty")}</Typography.Paragraph>}
        {lines.map((line) =>
          line.who === "system" ? (
            <div key={line.id} style={{ textAlign: "center" }}><Typography.Text type="secondary">{line.text}</Typography.Text></div>
          ) : (
            <Message key={line.id} line={line} onFollowUp={send} onFeedback={onFeedback} />
          ),
        )}
        {typing && <Typography.Text type="secondary">{t("chat.thinking")}</Typography.Text>}
      </div>
      <div className="zk-composer">
        <Input.TextArea
          aria-label={t("chat.placeholder")}
          placeholder={t("chat.placeholder")}
          value={draft}
          rows={2}  /* not autoSize: it measures with setAttribute("style"), which the CSP refuses */
          maxLength={500}
          onChange={(e) => setDraft(e.target.value)}
          onPressEnter={(e) => {
            if (!e.shiftKey) {
              e.preventDefault();
              send(draft);
            }
          }}
        />
        <Button type="primary" onClick={() => send(draft)} disabled={!draft.trim()}>{t("chat.send")}</Button>
        <Button onClick={() => send(t("chat.handoffQuestion"))}>{t("chat.handoff")}</Button>
        <Button onClick={reset}>{t("chat.newChat")}</Button>
      </div>
      <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="status">
        {status === "open" ? t("chat.connected") : status === "reconnecting" ? t("chat.reconnecting") : t("chat.connecting")}
      </Typography.Text>
    </section>
  );
}

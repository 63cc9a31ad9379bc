// Agents: the hand-off queue (tickets raised from chat), one ticket's conversation with the knowledge
// base's suggested answer, and the actions — take, reply (delivered live to the employee's chat),
// close with a resolution. Every action's result replaces the ticket shown. Each ticket shows its
// first-response timer (from the server's Ticket.sla, advanced between refetches); the server lists the
// longest-waiting first and the queue refetches every 30 s.
import { useEffect, useState } from "react";
import { Alert, Badge, Button, Card, Checkbox, Empty, Input, List, Segmented, Space, Tag, Typography } from "antd";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { DeskTicketFieldsFragment } from "../gql/graphql";
import { useAuth } from "../lib/auth";
import { errorText } from "../lib/client";
import { useT, type MessageKey } from "../lib/i18n";
import { SLA_COLOR, advance, duration, useElapsed } from "../lib/sla";

export const TicketFields = graphql(`
  fragment DeskTicketFields on Ticket {
    id
    title
    category
    status
    createdAt
    updatedAt
    employeeId
    employeeName
    department
    assigneeId
    assigneeName
    messageCount
    sla {
      state
      waitedSeconds
      targetSeconds
      nearSeconds
    }
    conversation {
      speaker
      text
    }
    resolution
  }
`);

export const DeskQueueQuery = graphql(`
  query DeskQueue($status: String, $mine: Boolean!, $search: String) {
    tickets(status: $status, mine: $mine, first: 100, search: $search) {
      ...DeskTicketFields
    }
  }
`);

const SuggestionQuery = graphql(`
  query DeskSuggestion($id: ID!) {
    ticket(id: $id) {
      id
      suggestion {
        text
        answered
        notice
      }
    }
  }
`);

const ClaimMutation = graphql(`
  mutation DeskClaim($id: ID!) {
    claimTicket(id: $id) {
      applied
      message
      ticket {
        ...DeskTicketFields
      }
    }
  }
`);

const ReplyMutation = graphql(`
  mutation DeskReply($id: ID!, $text: String!, $key: String) {
    replyToTicket(id: $id, text: $text, idempotencyKey: $key) {
      applied
      message
      ticket {
        ...DeskTicketFields
      }
    }
  }
`);

const CloseMutation = graphql(`
  mutation DeskClose($id: ID!, $resolution: String!) {
    closeTicket(id: $id, resolution: $resolution) {
      applied
      message
      ticket {
        ...DeskTicketFields
      }
    }
  }
`);

type Ticket = DeskTicketFieldsFragment;
const STATUSES = ["open", "in_progress", "closed"] as const;
const COLOR: Record<string, string> = { open: "magenta", in_progress: "blue", closed: "default" };

const REFRESH_MS = 30_000;

/** The ticket's first-response timer: waited / target, amber near the target, red past it. */
export function SlaTag({ sla, elapsed }: { sla: Ticket["sla"]; elapsed: number }) {
  const { t } = useT();
  const { state, waited } = advance(sla, elapsed);
  const text = t(`desk.sla.${state}` as MessageKey, { wait: duration(waited), target: duration(sla.targetSeconds) });
  return (
    <Tag color={SLA_COLOR[state]} data-testid="sla" data-state={state} title={text} aria-label={text}>
      {state === "met" || state === "missed" ? text : `${duration(waited)} / ${duration(sla.targetSeconds)}`}
    </Tag>
  );
}

function statusLabel(t: (k: MessageKey) => string, s: string) {
  return (STATUSES as readonly string[]).includes(s) ? t(`desk.status.${s}` as MessageKey) : s;
}

export function TicketView({ ticket, me, onChange }: { ticket: Ticket; me: string; onChange: (t: Ticket) => void }) {
  const { t } = useT();
  const elapsed = useElapsed(ticket);
  const [reply, setReply] = useState("");
  const [resolution, setResolution] = useState("");
  const [notice, setNotice] = useState("");
  const [claim, doClaim] = useMutation(ClaimMutation);
  const [sent, doReply] = useMutation(ReplyMutation);
  const [closed, doClose] = useMutation(CloseMutation);
  const [{ data: hint }] = useQuery({ query: SuggestionQuery, variables: { id: ticket.id }, pause: ticket.status === "closed" });
  const error = claim.error ?? sent.error ?? closed.error;
  const open = ticket.status !== "closed";
  const mine = ticket.assigneeId === me;

  function after(r: { applied: boolean; message: string; ticket: Ticket } | undefined) {
    if (!r) return false;
    setNotice(r.applied ? "" : r.message);
    onChange(r.ticket);
    return r.applied;
  }

  return (
    <Card
      data-testid="ticket"
      title={<span>{ticket.title} <Tag color={COLOR[ticket.status]}>{statusLabel(t, ticket.status)}</Tag></span>}
      extra={<Typography.Text type="secondary">{ticket.employeeName} · {ticket.department} · {ticket.id}</Typography.Text>}
    >
      <Space wrap>
        <Typography.Text type="secondary">{ticket.assigneeName ? t("desk.assignee", { name: ticket.assigneeName }) : t("desk.unassigned")}</Typography.Text>
        <SlaTag sla={ticket.sla} elapsed={elapsed} />
      </Space>
      <Typography.Title level={3} style={{ fontSize: 16, marginTop: 12 }}>{t("desk.conversation")}</Typography.Title>
      <div className="zk-desk-thread" data-testid="conversation">
        {ticket.conversation.map((m, i) => (
          <div key={i} className="zk-desk-line">
            <span className="who">{m.speaker}</span>
            {m.text}
          </div>
        ))}
      </div>
      {ticket.resolution && <Alert type="success" showIcon title={ticket.resolution} style={{ marginTop: 8 }} />}
      {hint?.ticket?.suggestion && open && (
        <Alert
          style={{ marginTop: 12 }}
          type="info"
          title={t("desk.suggestion")}
          description={
            <div>
              <div style={{ whiteSpace: "pre-wrap" }}>{hint.ticket.suggestion.text}</div>
              {hint.ticket.suggestion.notice && <Typography.Text type="secondary">{hint.ticket.suggestion.notice}</Typography.Text>}
            </div>
          }
          action={<Button size="small" onClick={() => setReply(hint.ticket!.suggestion.text)}>{t("desk.useSuggestion")}</Button>}
        />
      )}
      {notice && <Alert type="warning" showIcon title={notice} style={{ marginTop: 8 }} />}
      {error && <Alert type="error" showIcon title={t("common.error", { text: errorText(error) })} style={{ marginTop: 8 }} />}
      {open && (
        <Space orientation="vertical" style={{ width: "100%", marginTop: 12 }}>
          {!mine && (
            <Button type="primary" loading={claim.fetching} onClick={async () => after((await doClaim({ id: ticket.id })).data?.claimTicket)}>
              {t("desk.take")}
            </Button>
          )}
          <Input.TextArea rows={3} value={reply} onChange={(e) => setReply(e.target.value)} placeholder={t("desk.replyPlaceholder")} aria-label={t("desk.reply")} maxLength={2000} />
          <Button
            type={mine ? "primary" : "default"}
            disabled={!reply.trim()}
            loading={sent.fetching}
            onClick={async () => {
              const r = await doReply({ id: ticket.id, text: reply.trim(), key: crypto.randomUUID() });
              if (after(r.data?.replyToTicket)) setReply("");
            }}
          >
            {t("desk.reply")}
          </Button>
          <Space.Compact style={{ width: "100%" }}>
            <Input value={resolution} onChange={(e) => setResolution(e.target.value)} placeholder={t("desk.resolution")} aria-label={t("desk.resolution")} maxLength={2000} />
            <Button loading={closed.fetching} onClick={async () => after((await doClose({ id: ticket.id, resolution: resolution.trim() })).data?.closeTicket)}>
              {t("desk.close")}
            </Button>
          </Space.Compact>
        </Space>
      )}
    </Card>
  );
}

export default function DeskPage() {
  const { t } = useT();
  const { session } = useAuth();
  const [status, setStatus] = useState<string>("open");
  const [mine, setMine] = useState(false);
  const [search, setSearch] = useState(""); // by employee, title or text (the server searches what this agent may read)
  const [chosen, setChosen] = useState<Ticket | null>(null);
  const [{ data, fetching, error }, refetch] = useQuery({
    query: DeskQueueQuery,
    variables: { status: status === "all" ? null : status, mine, search: search.trim() || null },
  });
  const tickets = data?.tickets ?? [];
  const elapsed = useElapsed(data);
  useEffect(() => {
    const id = setInterval(() => refetch({ requestPolicy: "network-only" }), REFRESH_MS);
    return () => clearInterval(id);
  }, [refetch]);

  function changed(tk: Ticket) {
    setChosen(tk);
    refetch({ requestPolicy: "network-only" });
  }

  return (
    <section aria-label={t("desk.title")}>
      <Typography.Title level={2} style={{ fontSize: 22 }}>{t("desk.title")}</Typography.Title>
      {error && <Alert type="error" showIcon title={t("common.error", { text: errorText(error) })} />}
      <div className="zk-desk">
        <Card
          title={t("desk.queue")}
          size="small"
          extra={<Checkbox checked={mine} onChange={(e) => setMine(e.target.checked)}>{t("desk.mine")}</Checkbox>}
        >
          <Input.Search
            allowClear
            placeholder={t("desk.search")}
            aria-label={t("desk.search")}
            onSearch={(v) => setSearch(v)}
            maxLength={200}
            style={{ marginBottom: 8 }}
          />
          <Segmented
            block
            value={status}
            onChange={(v) => setStatus(String(v))}
            options={[...STATUSES.map((s) => ({ value: s, label: statusLabel(t, s) })), { value: "all", label: t("desk.all") }]}
            style={{ marginBottom: 8 }}
          />
          <div data-testid="queue">
          <List
            loading={fetching && !data}
            locale={{ emptyText: <Empty description={t("desk.noTickets")} /> }}
            dataSource={tickets}
            renderItem={(tk) => (
              <List.Item
                onClick={() => setChosen(tk)}
                className={chosen?.id === tk.id ? "ant-list-item-active" : undefined}
                style={{ cursor: "pointer", background: chosen?.id === tk.id ? "#e6f4ff" : undefined, paddingInline: 8 }}
              >
                <List.Item.Meta
                  title={<button type="button" className="zk-linkish" onClick={() => setChosen(tk)}>{tk.title}</button>}
                  description={
                    <Space size={4} wrap>
                      <span>{`${tk.employeeName} · ${tk.updatedAt.slice(0, 16).replace("T", " ")}`}</span>
                      {tk.status !== "closed" && <SlaTag sla={tk.sla} elapsed={elapsed} />}
                    </Space>
                  }
                />
                <Badge count={tk.messageCount} color="#0958d9" />
              </List.Item>
            )}
          />
          </div>
        </Card>
        {chosen ? <TicketView key={chosen.id} ticket={chosen} me={session!.employee} onChange={changed} /> : <Empty description={t("desk.empty")} />}
      </div>
    </section>
  );
}

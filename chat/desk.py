"""The human side of hand-off: the agents' ticket desk and the live channel back to the employee.

A hand-off ticket (``chat.tickets``) carries the conversation, what the bot found and the chat
session it came from. Here agents list and open tickets (with suggested answers from the knowledge
base, retrieved *as the employee* so nothing the employee may not see is offered for forwarding),
claim, reply and close them. Every change is one compare-and-set statement in the graph (a closed
ticket takes no more replies; a retried reply with the same key is written once) and appends to
the ticket's history. Replies and closures go on the Redis stream ``zhiku:events:tickets``;
:class:`~approvals.events.StreamHub` follows it once per process and hands each event to the
employee's open chat sockets, so a reply reaches the employee whichever API worker holds their
WebSocket.

Example::

    desk = TicketDesk(store, search, principals.get, stream)
    desk.reply("TKT-…", agent, "您好，年假余额可在 OA 的考勤模块查看。", key="r1")
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis
import redis.asyncio

from approvals.events import EventStream, StreamHub
from chat.answer import Answer, compose_answer
from graph.base import GraphStore
from graph.versions import RECORDS
from queries import load as load_query
from search.service import SearchService
from zhiku.access import Principal
from zhiku.errors import InputError, NotFoundError
from zhiku.types import WriteStats

log = logging.getLogger(__name__)

TICKET_STREAM = "zhiku:events:tickets"
STATUSES = ("open", "in_progress", "closed")
MAX_REPLY_CHARS = 2000
#: Agent-side names of the conversation's speakers (lines are stored as "角色: 内容").
AGENT_PREFIX = "客服"
EMPLOYEE_PREFIX = "员工"


def ticket_stream(kv: redis.Redis) -> EventStream:
    """The ticket events' stream (flat string fields)."""
    return EventStream(kv, TICKET_STREAM, list_fields=())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class ActionResult:
    applied: bool  # False: a repeat (same key), or the ticket was already closed
    message: str


@dataclass(slots=True)
class TicketView:
    id: str
    title: str
    category: str
    status: str
    created_at: str
    updated_at: str
    employee_id: str
    employee_name: str
    department: str
    assignee_id: str | None
    assignee_name: str | None
    conversation: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    concerns: list[str] = field(default_factory=list)
    session: str = ""
    resolution: str = ""
    messages: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TicketView:
        return cls(
            id=row["id"],
            title=row["title"] or "",
            category=row["category"] or "",
            status=row["status"] or "open",
            created_at=row["createdAt"] or "",
            updated_at=row["updatedAt"] or row["createdAt"] or "",
            employee_id=row["employeeId"],
            employee_name=row["employeeName"] or "",
            department=row.get("department") or "",
            assignee_id=row.get("assigneeId"),
            assignee_name=row.get("assigneeName"),
            conversation=list(row.get("conversation") or []),
            found=list(row.get("found") or []),
            history=list(row.get("history") or []),
            concerns=[c for c in row.get("concerns") or [] if c],
            session=row.get("session") or "",
            resolution=row.get("resolution") or "",
            messages=int(row.get("messages") or len(row.get("conversation") or [])),
        )

    def last_question(self) -> str:
        """The employee's latest line that is not a request for a human."""
        for line in reversed(self.conversation):
            speaker, _, text = line.partition(": ")
            if speaker == EMPLOYEE_PREFIX and text and "人工" not in text:
                return text
        return self.title


class TicketDesk:
    """Agents' operations on tickets; ``principal_of`` resolves an employee id to their permissions."""

    def __init__(
        self,
        store: GraphStore,
        search: SearchService,
        principal_of: Callable[[str], Principal],
        stream: EventStream | None = None,
    ) -> None:
        self.store = store
        self.search = search
        self.principal_of = principal_of
        self.stream = stream

    # -- reading -----------------------------------------------------------------------------------

    def list(self, *, status: str = "", assignee: str = "", limit: int = 50) -> list[TicketView]:
        if status and status not in STATUSES:
            raise InputError(
                f"未知的工单状态：{status}（可选 {'/'.join(STATUSES)}）", f"unknown status {status}"
            )
        rows = self.store.query(
            load_query("ticket_list").text, {"status": status, "assignee": assignee, "limit": limit}
        )
        return [TicketView.from_row(r) for r in rows]

    def get(self, ticket_id: str) -> TicketView:
        rows = self.store.query(load_query("ticket_detail").text, {"id": ticket_id})
        if not rows or rows[0]["id"] is None:
            raise NotFoundError(f"没有这个工单：{ticket_id}", f"no such ticket: {ticket_id}")
        return TicketView.from_row(rows[0])

    def suggest(self, ticket: TicketView) -> Answer:
        """What the knowledge base answers to the employee's question, within the employee's scope."""
        return compose_answer(self.search, ticket.last_question(), self.principal_of(ticket.employee_id))

    # -- acting ------------------------------------------------------------------------------------

    def claim(self, ticket_id: str, agent: Principal) -> ActionResult:
        ticket = self.get(ticket_id)
        if ticket.assignee_id == agent.id:
            return ActionResult(False, "工单已由您处理")
        changed = self._write("ticket_claim", {"id": ticket_id, "agent": agent.id, "at": _now()})
        if not changed:
            return ActionResult(False, "工单已关闭")
        self._publish(ticket, "ticket_claimed", agent, f"客服{agent.name}已接手您的问题。")
        return ActionResult(True, f"已接手工单 {ticket_id}")

    def reply(self, ticket_id: str, agent: Principal, text: str, *, key: str | None = None) -> ActionResult:
        text = _clean(text)
        ticket = self.get(ticket_id)
        if ticket.status == "closed":
            return ActionResult(False, "工单已关闭，不能再回复")
        if ticket.assignee_id is None:
            self.claim(ticket_id, agent)
        params = {
            "id": ticket_id,
            "line": f"{AGENT_PREFIX} {agent.name}: {text}",
            "key": f"agent:{agent.id}:{key or uuid.uuid4().hex}",
            "event": f"reply:{agent.id}",
            "at": _now(),
        }
        if not self._write("ticket_append", params):
            closed = self.get(ticket_id).status == "closed"
            return ActionResult(False, "工单已关闭，不能再回复" if closed else "该回复已发送过")
        self._publish(ticket, "agent_message", agent, text)
        return ActionResult(True, "已回复")

    def close(self, ticket_id: str, agent: Principal, resolution: str = "") -> ActionResult:
        resolution = _clean(resolution, required=False)
        ticket = self.get(ticket_id)
        changed = self._write(
            "ticket_close", {"id": ticket_id, "agent": agent.id, "resolution": resolution, "at": _now()}
        )
        if not changed:
            return ActionResult(False, "工单已关闭")
        closing = "您的工单已处理完毕。" + (f"处理结果：{resolution}" if resolution else "")
        self._publish(ticket, "ticket_closed", agent, closing)
        return ActionResult(True, f"已关闭工单 {ticket_id}")

    def employee_message(self, ticket_id: str, who: Principal, text: str, key: str) -> bool:
        """Add the employee's message to their open ticket; False when it is closed (or not theirs)."""
        ticket = self.get(ticket_id)
        if ticket.employee_id != who.id:
            return False
        params = {
            "id": ticket_id,
            "line": f"{EMPLOYEE_PREFIX}: {_clean(text)}",
            "key": f"employee:{key}",
            "event": f"message:{who.id}",
            "at": _now(),
        }
        return bool(self._write("ticket_append", params)) or self.get(ticket_id).status != "closed"

    def _write(self, name: str, params: dict[str, Any]) -> int:
        return self.store.query_write_count(load_query(name).text, params, WriteStats(), writes=RECORDS)

    def _publish(self, ticket: TicketView, kind: str, agent: Principal, text: str) -> None:
        if self.stream is None:
            return
        self.stream.publish(
            {
                "kind": kind,
                "ticket": ticket.id,
                "employee": ticket.employee_id,
                "session": ticket.session,
                "agent": agent.id,
                "agent_name": agent.name,
                "text": text,
                "at": _now(),
            }
        )


def _clean(text: str, *, required: bool = True) -> str:
    text = (text or "").strip()
    if required and not text:
        raise InputError("回复内容不能为空", "the reply is empty")
    if len(text) > MAX_REPLY_CHARS:
        raise InputError(f"内容过长（上限 {MAX_REPLY_CHARS} 字）", f"too long (limit {MAX_REPLY_CHARS})")
    return text


def ticket_hub(stream: EventStream, kv: redis.asyncio.Redis) -> StreamHub:
    """The ticket events, fanned out by the employee they are for."""
    return StreamHub(stream, kv, keys=lambda event: [event.get("employee", "")], name="ticket-hub")

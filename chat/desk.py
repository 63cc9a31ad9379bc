"""The human side of hand-off: the agents' ticket desk and the live channel back to the employee.

A hand-off ticket (``chat.tickets``) carries the conversation, what the bot found and the chat
session it came from. Here agents list and open tickets (with suggested answers from the knowledge
base), claim, reply and close them. Every change is one compare-and-set statement in the graph (a
closed ticket takes no more replies; a retried reply with the same key is written once) and appends
to the ticket's history. Replies and closures go on the Redis stream ``zhiku:events:tickets``;
:class:`~graph.streams.StreamHub` follows it once per process and hands each event to the
employee's open chat sockets, so a reply reaches the employee whichever API worker holds their
WebSocket.

Scope: the bot answered the employee from what *the employee* may read, and an agent may read less
(an HR employee's question about the salary plan reaches a service-desk agent). So an agent sees a
ticket through :func:`seen_by`: a bot line or found source drawn from a document the agent may not
read is replaced by :data:`WITHHELD` (decided from the document ids the ticket recorded, with the
one rule in :mod:`zhiku.access`), and the suggested answer is retrieved from what *both* may read,
saying so when the employee's own answer would have drawn on more. Admins and the employee who
raised the ticket see it whole.

Example::

    desk = TicketDesk(store, search, principals.get, stream)
    desk.reply("TKT-…", agent, "您好，年假余额可在 OA 的考勤模块查看。", key="r1")
"""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis
import redis.asyncio

from chat.answer import Answer, compose_answer
from chat.links import AnswerLinks
from graph.base import GraphStore
from graph.streams import EventStream, StreamHub
from graph.versions import RECORDS
from queries import load as load_query
from search.service import SearchService
from zhiku.access import Principal, node_visibility
from zhiku.errors import InputError, NotFoundError
from zhiku.i18n import N_
from zhiku.settings import MAX_TEXT_CHARS
from zhiku.types import ActionResult as ActionResult  # re-exported: the GraphQL ticket mutations use it
from zhiku.types import WriteStats

log = logging.getLogger(__name__)

TICKET_STREAM = "zhiku:events:tickets"
STATUSES = ("open", "in_progress", "closed")
MAX_REPLY_CHARS = MAX_TEXT_CHARS
#: Agent-side names of the conversation's speakers (lines are stored as "角色: 内容").
AGENT_PREFIX = "客服"
EMPLOYEE_PREFIX = "员工"
BOT_PREFIX = "知库"
#: Shown to an agent in place of what the bot drew from documents the employee may read and the
#: agent may not (a bot line, a found source), and with a suggestion that leaves such documents out.
WITHHELD = "该员工可见的受限资料未显示"
#: The most tickets a search looks through (the queue's order: the most urgent first).
SEARCH_SCAN = 2000
SUGGESTION_SOURCES = 3
#: A ticket's status as the employee reads it.
TICKET_STATUS_ZH = {"open": N_("处理中"), "assigned": N_("已分派"), "closed": N_("已完成")}


def ticket_stream(kv: redis.Redis) -> EventStream:
    """The ticket events' stream (flat string fields)."""
    return EventStream(kv, TICKET_STREAM, list_fields=())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
    #: The documents each of the first lines of ``conversation`` drew on (None: not recorded —
    #: a ticket from before they were, or an unreadable entry); ``None`` as a whole: none recorded.
    line_documents: list[tuple[str, ...] | None] | None = None
    found_documents: list[str] | None = None  # the document of each ``found`` title

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
            line_documents=_line_documents(row.get("lineDocuments")),
            found_documents=row.get("foundDocuments"),
        )

    def documents_of_line(self, index: int) -> tuple[str, ...] | None:
        """What line ``index`` drew on: ``None`` when unknown; lines added after hand-off (the agent's
        and the employee's own words) drew on nothing."""
        if self.line_documents is None:
            return None
        return self.line_documents[index] if index < len(self.line_documents) else ()

    def cited_documents(self) -> set[str]:
        """Every document a bot line or found source of this ticket drew on."""
        ids = {d for docs in self.line_documents or [] if docs for d in docs}
        return ids | {d for d in self.found_documents or [] if d}

    def last_question(self) -> str:
        """The question the ticket is about: its title when that is one of the employee's lines (a
        hand-off is titled with the question asked before it, so a later "在吗？" does not replace it),
        else the employee's latest line that is not a request for a human."""
        if f"{EMPLOYEE_PREFIX}: {self.title}" in self.conversation:
            return self.title
        for line in reversed(self.conversation):
            speaker, _, text = line.partition(": ")
            if speaker == EMPLOYEE_PREFIX and text and "人工" not in text:
                return text
        return self.title


def _line_documents(raw: list[str] | None) -> list[tuple[str, ...] | None] | None:
    if raw is None:
        return None
    out: list[tuple[str, ...] | None] = []
    for item in raw:
        try:
            ids = json.loads(item)
        except (TypeError, ValueError):
            ids = None
        ok = isinstance(ids, list) and all(isinstance(i, str) for i in ids)
        out.append(tuple(ids) if ok else None)
    return out


def matches(ticket: TicketView, query: str) -> bool:
    """Whether every word of ``query`` is in the ticket's employee (name or id), title or text — the
    ticket as the searcher sees it (:func:`seen_by`: a withheld line is not searched)."""
    haystack = "\n".join(
        [ticket.employee_id, ticket.employee_name, ticket.title, *ticket.conversation, ticket.resolution]
    ).casefold()
    return all(word in haystack for word in query.casefold().split())


def seen_by(ticket: TicketView, viewer: Principal, readable: Callable[[str], bool]) -> TicketView:
    """``ticket`` as ``viewer`` may see it; ``readable(document_id)``: whether ``viewer`` may read it.

    Admins and the employee who raised it see everything. Anyone else (an agent) sees each
    conversation line only when they may read every document it drew on — a bot line whose sources
    were not recorded counts as drawn on documents they may not read — and each found source only
    when they may read its document; the rest is replaced by :data:`WITHHELD` (one entry for all the
    found sources withheld, so their number is not told either). The employee's and agents' own
    lines are shown as written."""
    if viewer.is_admin or viewer.id == ticket.employee_id:
        return ticket
    conversation = []
    for i, line in enumerate(ticket.conversation):
        speaker, sep, _ = line.partition(": ")
        documents = ticket.documents_of_line(i)
        unknown = documents is None and speaker == BOT_PREFIX
        if unknown or (documents and not all(readable(d) for d in documents)):
            line = f"{speaker}{sep or ': '}（{WITHHELD}）"
        conversation.append(line)
    found = []
    withheld = False
    for i, title in enumerate(ticket.found):
        docs = ticket.found_documents
        document = docs[i] if docs is not None and i < len(docs) else None
        if document and readable(document):
            found.append(title)
        else:
            withheld = True
    if withheld:
        found.append(f"（{WITHHELD}）")
    return dataclasses.replace(ticket, conversation=conversation, found=found)


@dataclass(frozen=True, slots=True)
class Suggestion:
    answer: Answer  # from the documents both the employee and the agent may read
    withheld: bool  # the employee's own answer would also draw on documents the agent may not read


class TicketDesk:
    """Agents' operations on tickets; ``principal_of`` resolves an employee id to their permissions."""

    def __init__(
        self,
        store: GraphStore,
        search: SearchService,
        principal_of: Callable[[str], Principal],
        stream: EventStream | None = None,
        links: AnswerLinks | None = None,
    ) -> None:
        self.store = store
        self.search = search
        self.principal_of = principal_of
        self.stream = stream
        self.links = links  # answers engineers linked to questions (chat.links): suggested first

    # -- reading -----------------------------------------------------------------------------------

    def find(
        self, query: str, viewer: Principal, *, status: str = "", assignee: str = "", limit: int = 50
    ) -> list[TicketView]:
        """The queue's tickets (same order) whose employee, title or text, as ``viewer`` sees them,
        contain every word of ``query``; each as ``viewer`` sees it."""
        seen = (
            self.seen_by(v, viewer) for v in self.list(status=status, assignee=assignee, limit=SEARCH_SCAN)
        )
        return [v for v in seen if matches(v, query)][:limit]

    def list(
        self, *, status: str = "", assignee: str = "", employee: str = "", limit: int = 50
    ) -> list[TicketView]:
        if status and status not in STATUSES:
            raise InputError(
                f"未知的工单状态：{status}（可选 {'/'.join(STATUSES)}）", f"unknown status {status}"
            )
        rows = self.store.query(
            load_query("ticket_list").text,
            {"status": status, "assignee": assignee, "employee": employee, "limit": limit},
        )
        return [TicketView.from_row(r) for r in rows]

    def get(self, ticket_id: str) -> TicketView:
        rows = self.store.query(load_query("ticket_detail").text, {"id": ticket_id})
        if not rows or rows[0]["id"] is None:
            raise NotFoundError(f"没有这个工单：{ticket_id}", f"no such ticket: {ticket_id}")
        return TicketView.from_row(rows[0])

    def seen_by(self, ticket: TicketView, viewer: Principal) -> TicketView:
        """The ticket as ``viewer`` may see it (:func:`seen_by`, with the documents' scopes as they
        are in the graph now; a document no longer there is not readable)."""
        if viewer.is_admin or viewer.id == ticket.employee_id:
            return ticket
        allowed = self.readable(ticket.cited_documents(), viewer)
        return seen_by(ticket, viewer, allowed.__contains__)

    def readable(self, document_ids: Iterable[str], viewer: Principal) -> set[str]:
        """Those of ``document_ids`` that ``viewer`` may read (documents that are gone are not)."""
        return {d for d, seen in node_visibility(self.store, document_ids, viewer).items() if seen}

    def suggest(self, ticket: TicketView, viewer: Principal) -> Suggestion:
        """What the knowledge base answers to the employee's question from what both the employee and
        ``viewer`` may read: nothing the employee may not see is offered for forwarding, nothing the
        agent may not read is shown; ``withheld`` when the employee's own answer would cite more."""
        employee = self.principal_of(ticket.employee_id)
        question = ticket.last_question()
        answer = compose_answer(
            self.search, question, employee, sources=SUGGESTION_SOURCES, also=viewer, links=self.links
        )
        withheld = False
        if not (viewer.is_admin or viewer.id == employee.id):
            theirs = self.search.search(question, employee, k=SUGGESTION_SOURCES).hits
            cited = {h.document_id for h in theirs}
            withheld = bool(cited - self.readable(cited, viewer))
        return Suggestion(answer, withheld)

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

"""Tickets: the agents' queue, one ticket (for agents and its employee), a suggested answer, and the
agents' actions (claim, reply, close)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from api.graphql.chat import Citation, citations
from api.graphql.context import Context, ctx
from api.graphql.paging import page
from chat.desk import WITHHELD, ActionResult, TicketView
from chat.sla import response_clock
from zhiku.errors import InputError, NotFoundError
from zhiku.settings import MAX_KEY_CHARS


@strawberry.type(description="工单对话中的一条 / one line of a ticket's conversation")
class TicketMessage:
    speaker: str = strawberry.field(description="员工 / 知库 / 客服 姓名")
    text: str


@strawberry.type(description="知识库建议的回复（只用提问员工与客服都可读的资料）/ a suggested answer")
class SuggestedAnswer:
    text: str
    answered: bool
    confidence: float
    citations: list[Citation]
    withheld: bool = strawberry.field(
        description="员工可见、客服不可读的资料未用于此建议 / restricted sources left out"
    )
    notice: str = strawberry.field(description="withheld 时的说明（该员工可见的受限资料未显示）")


@strawberry.type(description="首次响应计时（服务器时钟）/ a ticket's first-response clock, by the server")
class TicketSla:
    state: str = strawberry.field(
        description="waiting / near（将超时）/ breached（已超时）/ met（按时响应）/ missed（超时后响应）"
    )
    waited_seconds: int = strawberry.field(description="员工已等待（至首次回复或关闭；未响应时至 asOf）")
    target_seconds: int = strawberry.field(description="首次响应目标（ZHIKU_TICKET_FIRST_RESPONSE_MINUTES）")
    near_seconds: int = strawberry.field(description="等待达到此值即为将超时")
    remaining_seconds: int = strawberry.field(description="距目标剩余（负数：已超出）")
    responded_at: str | None = strawberry.field(description="首次回复或关闭的时间")
    as_of: str = strawberry.field(description="计算时的服务器时间（客户端从此继续计时）")


MAX_SEARCH_CHARS = 200  # longer search text is cut (no ticket field is searched by more)


@strawberry.type(description="工单（转人工、服务请求）/ a ticket")
class Ticket:
    id: strawberry.ID
    title: str
    category: str = strawberry.field(description="handoff / escalation / service / application")
    status: str = strawberry.field(description="open / in_progress / closed")
    created_at: str
    updated_at: str
    employee_id: strawberry.ID
    employee_name: str
    department: str
    assignee_id: strawberry.ID | None
    assignee_name: str | None
    message_count: int
    conversation: list[TicketMessage]
    found: list[str] = strawberry.field(description="机器人当时找到的来源")
    history: list[str] = strawberry.field(description="处理记录：动作:人@时间")
    concerns: list[str]
    resolution: str
    _view: strawberry.Private[Any]

    @strawberry.field(description="首次响应计时 / the first-response clock (SLA)")
    def sla(self, info: Info) -> TicketSla:
        now = datetime.now(UTC)
        target = round(ctx(info).state.settings.ticket_first_response_minutes * 60)
        clock = response_clock(self._view.created_at, self._view.history, now, target)
        return TicketSla(
            state=clock.state,
            waited_seconds=clock.waited_s,
            target_seconds=clock.target_s,
            near_seconds=clock.near_s,
            remaining_seconds=clock.remaining_s,
            responded_at=clock.responded_at,
            as_of=now.isoformat(timespec="seconds"),
        )

    @strawberry.field(description="知识库建议的回复（仅客服可见）/ suggested answer, for agents")
    async def suggestion(self, info: Info) -> SuggestedAnswer:
        c = ctx(info)
        who = c.require("agent")
        suggestion = await asyncio.to_thread(c.state.desk.suggest, self._view, who)
        answer = suggestion.answer
        return SuggestedAnswer(
            text=answer.text,
            answered=answer.answered,
            confidence=answer.confidence,
            citations=citations(answer.citations),
            withheld=suggestion.withheld,
            notice=WITHHELD if suggestion.withheld else "",
        )


@strawberry.type(description="工单操作的结果 / the outcome of a ticket action")
class TicketResult:
    applied: bool = strawberry.field(description="false：重复操作或工单已关闭，未再次生效")
    message: str
    ticket: Ticket


def ticket(view: TicketView) -> Ticket:
    def message(line: str) -> TicketMessage:
        speaker, sep, text = line.partition(": ")
        return TicketMessage(speaker=speaker, text=text) if sep else TicketMessage(speaker="", text=line)

    return Ticket(
        id=strawberry.ID(view.id),
        title=view.title,
        category=view.category,
        status=view.status,
        created_at=view.created_at,
        updated_at=view.updated_at,
        employee_id=strawberry.ID(view.employee_id),
        employee_name=view.employee_name,
        department=view.department,
        assignee_id=strawberry.ID(view.assignee_id) if view.assignee_id else None,
        assignee_name=view.assignee_name,
        message_count=view.messages,
        conversation=[message(line) for line in view.conversation],
        found=view.found,
        history=view.history,
        concerns=view.concerns,
        resolution=view.resolution,
        _view=view,
    )


async def _ticket_result(c: Context, ticket_id: str, result: ActionResult) -> TicketResult:
    """An action's outcome with the ticket as it is now."""
    desk, who = c.state.desk, c.principal
    view = await asyncio.to_thread(lambda: desk.seen_by(desk.get(ticket_id), who))
    return TicketResult(applied=result.applied, message=result.message, ticket=ticket(view))


@strawberry.type
class TicketQuery:
    @strawberry.field(description="工单队列（客服、管理员）/ the agents' ticket queue")
    async def tickets(
        self,
        info: Info,
        status: str | None = None,
        mine: bool = False,
        first: int = 50,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="按员工（姓名或工号）、标题、对话内容搜索（只搜调用者可见的内容）"
            ),
        ] = None,
    ) -> list[Ticket]:
        c = ctx(info)
        who = c.require("agent")
        desk, limit = c.state.desk, page(first)
        status_, assignee = status or "", who.id if mine else ""
        if search and search.strip():
            views = await asyncio.to_thread(
                desk.find, search[:MAX_SEARCH_CHARS], who, status=status_, assignee=assignee, limit=limit
            )
        else:
            views = await asyncio.to_thread(
                lambda: [
                    desk.seen_by(v, who) for v in desk.list(status=status_, assignee=assignee, limit=limit)
                ]
            )
        return [ticket(v) for v in views]

    @strawberry.field(description="一个工单（客服、管理员，或提交人本人）/ one ticket")
    async def ticket(self, info: Info, id: strawberry.ID) -> Ticket | None:
        c = ctx(info)
        who = c.require()
        try:
            view = await asyncio.to_thread(c.state.desk.get, str(id))
        except NotFoundError:
            return None
        if not (who.has_role("agent") or view.employee_id == who.id):
            return None  # others' tickets do not exist for an employee
        # less for an agent who may read less
        return ticket(await asyncio.to_thread(c.state.desk.seen_by, view, who))


@strawberry.type
class TicketMutation:
    @strawberry.mutation(description="客服接手工单（他人持有时为转交）/ an agent takes a ticket")
    async def claim_ticket(self, info: Info, id: strawberry.ID) -> TicketResult:
        c = ctx(info)
        who = c.require("agent")
        result = await asyncio.to_thread(c.state.desk.claim, str(id), who)
        return await _ticket_result(c, str(id), result)

    @strawberry.mutation(
        description="客服回复（实时送达员工的对话；idempotencyKey 相同的重试只发一次）/ reply to the employee"
    )
    async def reply_to_ticket(
        self, info: Info, id: strawberry.ID, text: str, idempotency_key: str | None = None
    ) -> TicketResult:
        c = ctx(info)
        who = c.require("agent")
        if idempotency_key and len(idempotency_key) > MAX_KEY_CHARS:
            raise InputError("幂等键过长", "idempotency key too long")
        result = await asyncio.to_thread(c.state.desk.reply, str(id), who, text, key=idempotency_key)
        return await _ticket_result(c, str(id), result)

    @strawberry.mutation(description="关闭工单并告知员工处理结果 / close a ticket")
    async def close_ticket(self, info: Info, id: strawberry.ID, resolution: str = "") -> TicketResult:
        c = ctx(info)
        who = c.require("agent")
        result = await asyncio.to_thread(c.state.desk.close, str(id), who, resolution)
        return await _ticket_result(c, str(id), result)

"""The GraphQL schema (Strawberry): entities, search, answers, recommendations, approval lookups and
the analysts' named queries — every resolver authenticates the caller and checks roles, and document
access scopes filter every answer, hit, entity and neighbourhood.

Hardening is on from the start: parser and validation caches, depth/alias/token limits, no
batching; in production no introspection, no field suggestions and no IDE. Errors reach clients as
GraphQL errors with a stable ``extensions.code`` and a Chinese message — never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from api.graphql import types as T  # noqa: N812
from api.graphql.console import ConsoleQuery
from api.graphql.context import Context, ctx
from api.graphql.cost import QueryCostLimit, Turns
from api.graphql.errors import ZhikuErrors
from api.graphql.guards import InputGuard, NoNulStrings, SafeParserCache
from approvals.chain import ChainStep as ChainStepData
from approvals.chain import find_process, resolve_chain
from chat.answer import Answer as AnswerData
from chat.answer import compose_answer
from chat.desk import ActionResult
from graph.versions import RECORDS
from queries import SERVER_PARAMS, names, run_named_query
from queries import load as load_query
from zhiku.access import hidden, scope_params
from zhiku.errors import InputError, NotFoundError, ZhikuError
from zhiku.settings import Environment, Settings

MAX_PAGE = 100

log = logging.getLogger(__name__)

__all__ = ["build_schema"]


@strawberry.type
class LabelCount:
    label: str
    count: int


@strawberry.type
class GraphStats:
    backend: str
    nodes: int
    relationships: int
    by_label: list[LabelCount]
    by_relationship_type: list[LabelCount]


def _chain_step(step: ChainStepData) -> T.ChainStep:
    return T.ChainStep(
        name=step.name,
        order=step.ordinal,
        mode=step.mode,
        condition=step.condition,
        applies=step.applies,
        approvers=[
            T.ApproverPerson(id=strawberry.ID(a.id), name=a.name, role=a.role) for a in step.approvers
        ],
        unresolved_roles=list(step.unresolved),
    )


async def _ticket_result(c: Context, ticket_id: str, result: ActionResult) -> T.TicketResult:
    """An action's outcome with the ticket as it is now."""
    desk, who = c.state.desk, c.principal
    view = await asyncio.to_thread(lambda: desk.seen_by(desk.get(ticket_id), who))
    return T.TicketResult(applied=result.applied, message=result.message, ticket=T.ticket(view))


def _page(first: int) -> int:
    if first < 0 or first > MAX_PAGE:
        raise InputError(f"first 应在 0 到 {MAX_PAGE} 之间", f"first must be between 0 and {MAX_PAGE}")
    return first


@strawberry.type
class Query(ConsoleQuery):
    @strawberry.field(description="当前登录的员工 / the caller")
    def me(self, info: Info) -> T.Me:
        who = ctx(info).principal
        return T.Me(
            id=strawberry.ID(who.id),
            name=who.name,
            roles=list(who.roles),
            departments=[strawberry.ID(d) for d in who.departments],
            level=who.level,
        )

    @strawberry.field(description="按 ID 查实体（无权查看的文档视为不存在）/ one entity by id")
    async def entity(self, info: Info, id: strawberry.ID) -> T.Entity | None:
        ctx(info).require()
        return await T.load_entity(info, str(id))

    @strawberry.field(description="按类型和名称列出实体（Relay 分页）/ entities by type and name")
    async def entities(
        self,
        info: Info,
        type: T.EntityType | None = None,
        name: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> T.EntityConnection:
        who = ctx(info).require()
        first = _page(first)
        skip = T.decode_cursor(after)
        rows = await asyncio.to_thread(
            ctx(info).state.store.query,
            load_query("entities_page").text,
            {
                "type": type.value if type is not None else None,
                "name": name or None,
                "skip": skip,
                "limit": first + 1,
                **scope_params(who),
            },
        )
        edges = [
            T.EntityEdge(cursor=T.encode_cursor(skip + i), node=T.to_entity(info, r))
            for i, r in enumerate(rows[:first])
        ]
        return T.EntityConnection(
            edges=edges,
            page_info=T.PageInfo(
                has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None
            ),
        )

    @strawberry.field(description="实体的邻域（1–3 跳）/ an entity's neighbourhood")
    async def neighborhood(
        self, info: Info, id: strawberry.ID, depth: int = 1, rel_types: list[str] | None = None
    ) -> T.Neighborhood | None:
        c = ctx(info)
        c.require()
        if not 1 <= depth <= 3:
            raise InputError("depth 应为 1 到 3", "depth must be 1, 2 or 3")
        if await T.load_entity(info, str(id)) is None:
            return None
        rows = await asyncio.to_thread(
            c.state.store.query,
            load_query("neighborhood").text,
            {"id": str(id), "depth": depth, "types": rel_types or [], "limit": 500, **hidden(c.principal)},
        )
        ids = sorted({r["source"] for r in rows} | {r["target"] for r in rows})
        nodes = await T.load_entities(info, ids)
        loaded = {str(e.id): e for e in nodes}
        edges = [
            T.GraphEdge(source=strawberry.ID(r["source"]), type=r["type"], target=strawberry.ID(r["target"]))
            for r in rows
            if loaded.get(r["source"]) and loaded.get(r["target"])
        ]
        return T.Neighborhood(center=id, nodes=nodes, edges=edges)

    @strawberry.field(description="混合检索（按调用者权限过滤）/ hybrid search, permission-filtered")
    async def search(
        self, info: Info, query: str, first: int = 10, after: str | None = None
    ) -> T.SearchConnection:
        c = ctx(info)
        who = c.require()
        first = _page(first)
        offset = T.decode_cursor(after)
        result = await asyncio.to_thread(c.state.search.search, query, who, k=first + 1, offset=offset)
        edges = [
            T.SearchEdge(
                cursor=T.encode_cursor(offset + i),
                node=T.SearchHit(
                    chunk_id=strawberry.ID(h.chunk_id),
                    document_id=strawberry.ID(h.document_id),
                    title=h.title,
                    uri=h.link,
                    section=h.section,
                    snippet=h.snippet,
                    text=h.text,
                    kind=h.kind,
                    score=h.score,
                    entity_ids=[strawberry.ID(e) for e, _ in h.entities],
                ),
            )
            for i, h in enumerate(result.hits[:first])
        ]
        return T.SearchConnection(
            edges=edges,
            page_info=T.PageInfo(
                has_next_page=len(result.hits) > first, end_cursor=edges[-1].cursor if edges else None
            ),
            message=result.message,
            recognized=[T.RecognizedEntity(id=strawberry.ID(e), surface=s) for e, s in result.entities],
        )

    @strawberry.field(description="提问：带引用来源、置信度和追问建议的答案 / ask a question")
    async def ask(self, info: Info, question: str, session_id: str | None = None) -> T.Answer:
        c = ctx(info)
        who = c.require()

        def answer_and_record() -> AnswerData:
            answer = c.state.dialog.rewrite(compose_answer(c.state.search, question, who))
            c.state.dialog.count(answer)
            if answer.answered and answer.citations:
                c.state.recommender.record_view(who, answer.citations[0].document_id)
            return answer

        answer = await asyncio.to_thread(answer_and_record)
        return T.Answer(
            id=strawberry.ID(answer.id),
            question=answer.question,
            text=answer.text,
            answered=answer.answered,
            confidence=answer.confidence,
            citations=T.citations(answer.citations),
            about=[T.RecognizedEntity(id=strawberry.ID(e), surface=s) for e, s in answer.entities],
            follow_ups=answer.follow_ups,
        )

    @strawberry.field(description="推荐：针对实体、文档或当前员工 / recommendations")
    async def recommendations(
        self,
        info: Info,
        for_entity: strawberry.ID | None = None,
        for_document: strawberry.ID | None = None,
        for_me: bool = False,
        first: int = 6,
    ) -> list[T.Recommendation]:
        c = ctx(info)
        who = c.require()
        first = _page(first)
        chosen = sum(x is not None for x in (for_entity, for_document)) + int(for_me)
        if chosen != 1:
            raise InputError(
                "forEntity、forDocument、forMe 三选一", "give exactly one of forEntity, forDocument, forMe"
            )
        rec = c.state.recommender
        if for_entity is not None:
            items = await asyncio.to_thread(rec.for_entity, str(for_entity), who, k=first)
        elif for_document is not None:
            items = await asyncio.to_thread(rec.for_document, str(for_document), who, k=first)
        else:
            items = await asyncio.to_thread(rec.for_user, who, k=first)
        return [
            T.Recommendation(
                kind=r.kind,
                id=strawberry.ID(r.id),
                title=r.title,
                score=r.score,
                reason=r.reason,
                document_id=strawberry.ID(r.document_id) if r.document_id else None,
            )
            for r in items
        ]

    @strawberry.field(description="按 ID 或名称查审批流程 / one approval process by id or name")
    async def approval_process(
        self, info: Info, id: strawberry.ID | None = None, name: str | None = None
    ) -> T.Entity | None:
        c = ctx(info)
        c.require()
        if (id is None) == (name is None):
            raise InputError("id 与 name 二选一", "give exactly one of id, name")
        if id is not None:
            process_id = str(id)
        else:
            process_id, _ = await asyncio.to_thread(find_process, c.state.store, str(name))
        entity = await T.load_entity(info, process_id)
        return entity if isinstance(entity, T.ApprovalProcess) else None

    @strawberry.field(description="审批流程列表 / approval processes")
    async def approval_processes(
        self,
        info: Info,
        name: str | None = None,
        topic: strawberry.ID | None = None,
        owner: strawberry.ID | None = None,
    ) -> list[T.Entity]:
        c = ctx(info)
        c.require()
        rows = await asyncio.to_thread(
            c.state.store.query,
            load_query("process_list").text,
            {
                "name": name or None,
                "topic": str(topic) if topic else None,
                "owner": str(owner) if owner else None,
            },
        )
        return await T.load_entities(info, [r["id"] for r in rows])

    @strawberry.field(description="我的审批：我提交的、待我审批的、我处理过的 / my approval instances")
    async def my_approvals(
        self,
        info: Info,
        role: T.ApprovalRole = T.ApprovalRole.APPLIED,
        status: str | None = None,
        first: int = 20,
    ) -> list[T.ApprovalInstance]:
        c = ctx(info)
        who = c.require()
        found = await asyncio.to_thread(
            c.state.approvals.list_for, who.id, role.value, status=status, limit=_page(first)
        )
        return [T.approval_instance(i) for i in found]

    @strawberry.field(description="一次审批申请（仅申请人、审批人与管理员可见）/ one approval instance")
    async def approval_instance(self, info: Info, id: strawberry.ID) -> T.ApprovalInstance | None:
        c = ctx(info)
        who = c.require()
        try:
            inst = await asyncio.to_thread(c.state.approvals.get, str(id))
        except NotFoundError:
            return None
        if not (who.is_admin or inst.involves(who.id)):
            return None  # as if it did not exist: no one learns of others' applications
        return T.approval_instance(inst)

    @strawberry.field(description="工单队列（客服、管理员）/ the agents' ticket queue")
    async def tickets(
        self, info: Info, status: str | None = None, mine: bool = False, first: int = 50
    ) -> list[T.Ticket]:
        c = ctx(info)
        who = c.require("agent")
        desk, limit = c.state.desk, _page(first)
        views = await asyncio.to_thread(
            lambda: [
                desk.seen_by(v, who)
                for v in desk.list(status=status or "", assignee=who.id if mine else "", limit=limit)
            ]
        )
        return [T.ticket(v) for v in views]

    @strawberry.field(description="一个工单（客服、管理员，或提交人本人）/ one ticket")
    async def ticket(self, info: Info, id: strawberry.ID) -> T.Ticket | None:
        c = ctx(info)
        who = c.require()
        try:
            view = await asyncio.to_thread(c.state.desk.get, str(id))
        except NotFoundError:
            return None
        if not (who.has_role("agent") or view.employee_id == who.id):
            return None  # others' tickets do not exist for an employee
        # less for an agent who may read less
        return T.ticket(await asyncio.to_thread(c.state.desk.seen_by, view, who))

    @strawberry.field(description="谁来审批：该申请人在此金额/天数下的具体审批链 / who approves")
    async def who_approves(
        self,
        info: Info,
        process: str,
        amount: float | None = None,
        days: float | None = None,
        applicant: strawberry.ID | None = None,
    ) -> T.ApprovalChain:
        c = ctx(info)
        who = c.require()
        applicant_id = str(applicant) if applicant else who.id
        if applicant_id != who.id:
            c.require("manager", "hr")  # least privilege: others' chains only for managers and HR
        chain = await asyncio.to_thread(
            resolve_chain, c.state.store, process, applicant=applicant_id, amount=amount, days=days
        )
        return T.ApprovalChain(
            process_id=strawberry.ID(chain.process_id),
            process_name=chain.process_name,
            applicant_id=strawberry.ID(chain.applicant_id),
            applicant_name=chain.applicant_name,
            amount=amount,
            days=days,
            steps=[_chain_step(s) for s in chain.active_steps],
            skipped=[_chain_step(s) for s in chain.steps if not s.applies],
        )

    @strawberry.field(description="运行 queries/ 中的命名查询（只读，分析师）/ run a named query")
    async def named_query(self, info: Info, name: str, params: JSON | None = None) -> JSON:
        c = ctx(info)
        who = c.require("analyst", "knowledge_engineer")
        given = cast(dict[str, Any] | None, params)
        return cast(JSON, await asyncio.to_thread(run_named_query, c.state.store, name, given, who=who))

    @strawberry.field(description="命名查询目录 / the named queries analysts may run")
    def named_queries(self, info: Info) -> list[NamedQueryInfo]:
        ctx(info).require("analyst", "knowledge_engineer")
        out = []
        for n in names():
            q = load_query(n)
            if not q.internal and q.mode == "read":
                out.append(
                    NamedQueryInfo(
                        name=n,
                        description=q.description,
                        params=[f"{p.name}: {p.type}" for p in q.params if p.name not in SERVER_PARAMS],
                    )
                )
        return out

    @strawberry.field(description="爬取源：上次运行、结果、变更页数、错误、下次运行（管理员）/ crawl sources")
    def crawl_sources(self, info: Info) -> list[T.CrawlSource]:
        c = ctx(info)
        c.require("admin")
        from datetime import UTC, datetime

        from crawlers.sources import load_sources
        from crawlers.state import source_statuses

        def iso(ts: float | None) -> str | None:
            return datetime.fromtimestamp(ts, UTC).isoformat() if ts else None

        settings = c.state.settings
        return [
            T.CrawlSource(
                name=st.name,
                schedule=st.schedule,
                last_run_at=iso(st.last_run),
                outcome=st.outcome,
                pages=st.pages,
                new=st.new,
                changed=st.changed,
                removed=st.removed,
                errors=st.errors,
                next_run_at=iso(st.next_run),
                recent_errors=[f"{url}: {error}" for url, error in st.recent_errors],
            )
            for st in source_statuses(settings.data_dir, load_sources(settings.crawl_sources))
        ]

    @strawberry.field(description="图谱统计 / graph statistics")
    async def stats(self, info: Info) -> GraphStats:
        who = ctx(info).require()
        store = ctx(info).state.store
        # the caller's view: hidden documents, their chunks and people's records are not counted
        labels = await asyncio.to_thread(run_named_query, store, "label_counts", who=who)
        types = await asyncio.to_thread(run_named_query, store, "relationship_counts", who=who)
        by_label = [
            LabelCount(label=r["label"], count=r["count"]) for r in labels if r["label"] != "Resource"
        ]
        total = next((r["count"] for r in labels if r["label"] == "Resource"), 0)
        return GraphStats(
            backend=store.backend,
            nodes=total,
            relationships=sum(r["count"] for r in types),
            by_label=by_label,
            by_relationship_type=[LabelCount(label=r["type"], count=r["count"]) for r in types],
        )


@strawberry.type(description="检索索引状态 / the search index's state")
class IndexStatus:
    version: int
    documents: int
    chunks: int
    model: str


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="检索索引状态：订阅时推送一次，此后每次更新推送 / index status updates"
    )
    async def index_status(self, info: Info, poll_seconds: float = 1.0) -> AsyncGenerator[IndexStatus, None]:
        c = ctx(info)
        c.use_connection_params(info.context.get("connection_params"))
        try:
            c.require()
        except ZhikuError as exc:  # subscriptions bypass the operation hook: convert here
            raise ZhikuErrors.coded(exc) from None
        interval = max(0.2, min(poll_seconds, 60.0))
        last = None
        while True:
            stats = c.state.search.stats()
            if stats["version"] != last:
                last = stats["version"]
                yield IndexStatus(
                    version=stats["version"],
                    documents=stats["documents"],
                    chunks=stats["chunks"],
                    model=stats["model"],
                )
            await asyncio.sleep(interval)

    @strawberry.subscription(description="审批状态实时推送（指定实例，或与我相关的全部）/ approval status")
    async def approval_status(
        self, info: Info, instance_id: strawberry.ID | None = None
    ) -> AsyncGenerator[T.ApprovalStatusEvent, None]:
        c = ctx(info)
        c.use_connection_params(info.context.get("connection_params"))
        try:
            who = c.require()
            if instance_id is not None:
                inst = c.state.approvals.get(str(instance_id))
                if not (who.is_admin or inst.involves(who.id)):
                    raise NotFoundError(f"没有这个审批：{instance_id}", "no such approval instance")
        except ZhikuError as exc:
            raise ZhikuErrors.coded(exc) from None
        key = f"instance:{instance_id}" if instance_id is not None else who.id
        async with c.state.approval_hub.subscription(key) as queue:
            while True:
                event = await queue.get()
                yield T.ApprovalStatusEvent(
                    event_id=event["id"],
                    kind=event["kind"],
                    instance_id=strawberry.ID(event["instance_id"]),
                    process_id=strawberry.ID(event["process_id"]),
                    status=event["status"],
                    step=event["step"],
                    actor_id=strawberry.ID(event["actor"]),
                    summary=event["summary"],
                    at=event["at"],
                )


@strawberry.type
class NamedQueryInfo:
    name: str
    description: str
    params: list[str]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="对答案的反馈（无帮助的问题进入知识缺口分析）/ feedback on an answer")
    async def feedback(
        self, info: Info, answer_id: strawberry.ID, question: str, helpful: bool, comment: str | None = None
    ) -> T.FeedbackResult:
        c = ctx(info)
        who = c.require()
        if len(question) > 2000 or (comment and len(comment) > 2000):
            raise InputError(
                "问题或评论过长（上限 2000 字）", "question or comment too long (2,000 characters)"
            )
        feedback_id = f"fb-{uuid.uuid4().hex[:16]}"
        await asyncio.to_thread(
            c.state.store.execute,
            load_query("record_feedback").text,
            {
                "id": feedback_id,
                "employee": who.id,
                "answer": str(answer_id),
                "question": question,
                "helpful": helpful,
                "comment": comment or "",
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            writes=RECORDS,
        )
        return T.FeedbackResult(id=strawberry.ID(feedback_id), recorded=True)

    @strawberry.mutation(
        description="提交审批申请（idempotencyKey 相同的重试只提交一次）/ submit an application"
    )
    async def submit_approval(
        self,
        info: Info,
        process: str,
        amount: float | None = None,
        days: float | None = None,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> T.ApprovalResult:
        c = ctx(info)
        who = c.require()
        if len(reason) > 2000 or (idempotency_key and len(idempotency_key) > 128):
            raise InputError("事由或幂等键过长", "reason or idempotency key too long")
        wecom = c.state.wecom
        if wecom is not None and wecom.oa is not None:
            process_id, _ = await asyncio.to_thread(find_process, c.state.store, process)
            if process_id in wecom.oa.templates:  # decided in WeCom's own approval app
                inst = await wecom.oa.submit(
                    process_id, applicant=who.id, amount=amount, days=days, reason=reason
                )
                return T.ApprovalResult(
                    applied=True,
                    message="已提交到企业微信审批：" + inst.summary(),
                    instance=T.approval_instance(inst),
                )
        result = await asyncio.to_thread(
            c.state.approvals.submit,
            process,
            applicant=who.id,
            amount=amount,
            days=days,
            reason=reason,
            key=idempotency_key,
        )
        return T.ApprovalResult(
            applied=result.applied, message=result.message, instance=T.approval_instance(result.instance)
        )

    @strawberry.mutation(description="审批操作：同意、驳回、撤回、转交 / act on an approval instance")
    async def act_on_approval(
        self,
        info: Info,
        id: strawberry.ID,
        action: T.ApprovalAction,
        comment: str = "",
        transfer_to: strawberry.ID | None = None,
        step: int | None = None,
        idempotency_key: str | None = None,
    ) -> T.ApprovalResult:
        c = ctx(info)
        who = c.require()
        if len(comment) > 2000 or (idempotency_key and len(idempotency_key) > 128):
            raise InputError("意见或幂等键过长", "comment or idempotency key too long")
        result = await asyncio.to_thread(
            c.state.approvals.act,
            str(id),
            action.value,
            actor=who.id,
            comment=comment,
            target=str(transfer_to) if transfer_to else None,
            step=step,
            key=f"api:{who.id}:{idempotency_key}" if idempotency_key else None,
        )
        return T.ApprovalResult(
            applied=result.applied, message=result.message, instance=T.approval_instance(result.instance)
        )

    @strawberry.mutation(description="客服接手工单（他人持有时为转交）/ an agent takes a ticket")
    async def claim_ticket(self, info: Info, id: strawberry.ID) -> T.TicketResult:
        c = ctx(info)
        who = c.require("agent")
        result = await asyncio.to_thread(c.state.desk.claim, str(id), who)
        return await _ticket_result(c, str(id), result)

    @strawberry.mutation(
        description="客服回复（实时送达员工的对话；idempotencyKey 相同的重试只发一次）/ reply to the employee"
    )
    async def reply_to_ticket(
        self, info: Info, id: strawberry.ID, text: str, idempotency_key: str | None = None
    ) -> T.TicketResult:
        c = ctx(info)
        who = c.require("agent")
        if idempotency_key and len(idempotency_key) > 128:
            raise InputError("幂等键过长", "idempotency key too long")
        result = await asyncio.to_thread(c.state.desk.reply, str(id), who, text, key=idempotency_key)
        return await _ticket_result(c, str(id), result)

    @strawberry.mutation(description="关闭工单并告知员工处理结果 / close a ticket")
    async def close_ticket(self, info: Info, id: strawberry.ID, resolution: str = "") -> T.TicketResult:
        c = ctx(info)
        who = c.require("agent")
        result = await asyncio.to_thread(c.state.desk.close, str(id), who, resolution)
        return await _ticket_result(c, str(id), result)

    @strawberry.mutation(description="和智能客服对话（多轮，带 sessionId）/ talk to the chatbot")
    async def chat(self, info: Info, message: str, session_id: str | None = None) -> T.ChatReply:
        c = ctx(info)
        who = c.require()
        reply = await asyncio.to_thread(c.state.dialog.handle, session_id, who, message)
        return T.ChatReply(
            session_id=reply.session_id,
            type=reply.type,
            text=reply.text,
            intent=reply.intent,
            confidence=reply.confidence,
            citations=T.citations(reply.citations),
            follow_ups=reply.follow_ups,
            ticket_id=reply.ticket_id,
            notice=reply.notice,
        )

    @strawberry.mutation(description="管理员触发摄取（仅限 ZHIKU_INGEST_ROOTS 下的目录）/ admin ingestion")
    async def ingest(self, info: Info, paths: list[str]) -> T.IngestResult:
        c = ctx(info)
        c.require("admin")
        from demo.load import demo_document_paths
        from ingest.pipeline import Pipeline

        roots = [r.resolve() for r in (c.state.settings.ingest_roots or demo_document_paths())]
        chosen = []
        for raw in paths:
            path = Path(raw).resolve()
            if not any(path == r or path.is_relative_to(r) for r in roots) or not path.exists():
                raise InputError(f"不允许摄取该路径：{raw}", f"path not under ZHIKU_INGEST_ROOTS: {raw}")
            chosen.append(path)

        def ingest_and_sync() -> tuple[Any, Any]:  # minutes of work: off the event loop
            report = Pipeline(c.state.store, ontology=c.state.ontology).ingest(chosen)
            return report, c.state.search.sync()

        report, synced = await asyncio.to_thread(ingest_and_sync)
        summary = report.summary()
        return T.IngestResult(
            documents=summary["documents"],
            new=summary["new"],
            changed=summary["changed"],
            unchanged=summary["unchanged"],
            removed=summary["removed"],
            rejected=[f"{uri}: {reason}" for uri, reason in report.rejected],
            chunks_indexed=synced.total_chunks,
        )


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema with the limits and production switches the settings ask for."""
    production = settings.env is Environment.production
    # Factories, not instances: a fresh extension per request (the parser and validation caches
    # themselves live at module level in Strawberry and are shared across requests).
    # The depth and alias limits are validation rules. Built once here: a rule class created per
    # request would change the ValidationCache's key and turn the cache off (measured: ~7 ms of AST
    # walking per request).
    rules = [
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
        NoNulStrings,
    ]
    turns = Turns(settings.graphql_heavy_at_once)  # for requests costing a tenth of the limit or more
    extensions: list[Any] = [
        ZhikuErrors,
        lambda: AddValidationRules(rules),
        lambda: SafeParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        InputGuard,  # after ValidationCache: adds to the errors it sets
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        # after validation, with the request's variables (why not a validation rule: see cost.py)
        lambda: QueryCostLimit(settings.graphql_max_cost, heavy=settings.graphql_max_cost // 10, turns=turns),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(T.ALL_ENTITY_TYPES),
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production),
    )

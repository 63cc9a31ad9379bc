"""GraphQL output types. Entities share the ``Entity`` interface; the ontology's classes with
fields of their own get concrete types, every other class is a ``GenericEntity`` whose ``type``
names the class. ``EntityType`` (the enum of ontology classes) is generated from the ontology."""

from __future__ import annotations

import asyncio
import base64
import enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.graphql.context import ctx
from chat.answer import Citation as CitationData
from chat.desk import WITHHELD, TicketView
from ontology.model import load_ontology
from queries import load as load_query
from zhiku.access import visible

# -- the ontology's classes as an enum ---------------------------------------------------------------

_CLASSES: Any = enum.Enum("EntityType", {name: name for name in sorted(load_ontology().classes)})  # type: ignore[misc]
EntityType: Any = strawberry.enum(_CLASSES, description="本体中的类 / the ontology's classes")


# -- pagination ----------------------------------------------------------------------------------------


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"o:{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, _, value = base64.b64decode(cursor.encode(), validate=True).decode().partition(":")
        if kind == "o" and value.isdigit():
            return int(value) + 1
    except (ValueError, UnicodeDecodeError):
        pass
    from zhiku.errors import InputError

    raise InputError("分页游标无效", f"invalid cursor: {cursor!r}", hint="使用上一页返回的 endCursor")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


# -- entities ------------------------------------------------------------------------------------------


@strawberry.type(description="实体的一条直接关系 / one direct relationship of an entity")
class Relation:
    type: str
    direction: str = strawberry.field(description="out：本实体指向对方；in：对方指向本实体")
    target_id: strawberry.ID
    target_name: str | None
    target_labels: list[str]

    @strawberry.field(description="关系另一端的实体 / the entity at the other end")
    async def target(self, info: Info) -> Entity | None:
        return await load_entity(info, str(self.target_id))


@strawberry.interface(description="知识图谱中的实体 / an entity of the knowledge graph")
class Entity:
    id: strawberry.ID
    labels: list[str]
    type: str = strawberry.field(description="最具体的本体类 / the most specific ontology class")
    name: str | None
    name_en: str | None
    aliases: list[str]
    properties: JSON = strawberry.field(description="全部属性 / every property, as a JSON object")

    @strawberry.field(description="直接关系（双向），对调用者不可见的文档不出现 / direct relationships")
    async def relations(self, info: Info, first: int = 20, types: list[str] | None = None) -> list[Relation]:
        first = max(0, min(first, 200))
        c = ctx(info)
        # Hidden documents are rare among an entity's relations: fetch a margin, not everything
        # (a department has hundreds of members); a type filter needs the full list.
        limit = 500 if types else first * 2 + 10
        who = c.principal
        rows = await c.neighbours(str(self.id), limit)  # batched with the other entities' at this level
        rows = [r for r in rows if not types or r["type"] in types]
        out = []
        for r in rows:
            labels = [lb for lb in r["labels"] if lb != "Resource"]
            # the other end's access scope comes with the row: restricted documents are left out
            # without another query (people's records the query itself left out)
            if not visible(r, r["labels"], who):
                continue
            out.append(
                Relation(
                    type=r["type"],
                    direction=r["direction"],
                    target_id=strawberry.ID(r["id"]),
                    target_name=r["name"],
                    target_labels=labels,
                )
            )
            if len(out) >= first:
                break
        return out


def _prop(entity: Entity, key: str) -> Any:
    return cast(dict[str, Any], entity.properties).get(key)


async def _related(info: Info, entity: Entity, rel_type: str, direction: str = "out") -> list[Entity]:
    rows = await ctx(info).neighbours(str(entity.id))
    return await load_entities(
        info, [r["id"] for r in rows if r["type"] == rel_type and r["direction"] == direction]
    )


@strawberry.type(description="员工 / an employee")
class Employee(Entity):
    @strawberry.field
    def email(self) -> str | None:
        return cast(str | None, _prop(self, "email"))

    @strawberry.field
    def level(self) -> int | None:
        return cast(int | None, _prop(self, "level"))

    @strawberry.field(description="所属部门")
    async def department(self, info: Info) -> Entity | None:
        return next(iter(await _related(info, self, "BELONGS_TO")), None)

    @strawberry.field(description="直属上级")
    async def manager(self, info: Info) -> Entity | None:
        return next(iter(await _related(info, self, "REPORTS_TO")), None)

    @strawberry.field(description="职位")
    async def position(self, info: Info) -> Entity | None:
        return next(iter(await _related(info, self, "HAS_POSITION")), None)


@strawberry.type(description="部门 / a department")
class Department(Entity):
    @strawberry.field(description="负责人")
    async def head(self, info: Info) -> Entity | None:
        return next(iter(await _related(info, self, "HEAD_OF", "in")), None)

    @strawberry.field(description="上级部门或组织")
    async def parent(self, info: Info) -> Entity | None:
        return next(iter(await _related(info, self, "PART_OF")), None)

    @strawberry.field(description="成员")
    async def members(self, info: Info) -> list[Entity]:
        return await _related(info, self, "BELONGS_TO", "in")


@strawberry.type(description="文档（仅在调用者有权限时可见）/ a document the caller may read")
class Document(Entity):
    @strawberry.field
    def title(self) -> str | None:
        return self.name

    @strawberry.field
    def uri(self) -> str | None:
        return cast(str | None, _prop(self, "sourceUri"))

    @strawberry.field
    def format(self) -> str | None:
        return cast(str | None, _prop(self, "format"))

    @strawberry.field
    def modified_at(self) -> str | None:
        return cast(str | None, _prop(self, "modifiedAt"))


@strawberry.type(description="制度 / a policy")
class Policy(Entity):
    @strawberry.field(description="制度原文")
    async def documents(self, info: Info) -> list[Entity]:
        return await _related(info, self, "DEFINED_IN")

    @strawberry.field(description="涉及的审批流程")
    async def processes(self, info: Info) -> list[Entity]:
        return await _related(info, self, "REQUIRES_APPROVAL")


@strawberry.type(description="审批流程中的一步 / a step of an approval process")
class ProcessStep:
    id: strawberry.ID
    name: str
    order: int
    mode: str = strawberry.field(description="依次 / 会签（全部同意）/ 或签（任一同意）")
    condition: str = strawberry.field(description="生效条件，空表示总是生效")
    approver_roles: list[str]


@strawberry.type(description="审批流程 / an approval process")
class ApprovalProcess(Entity):
    @strawberry.field
    def description(self) -> str | None:
        return cast(str | None, _prop(self, "description"))

    @strawberry.field(description="处理时限（小时）")
    def sla_hours(self) -> int | None:
        return cast(int | None, _prop(self, "slaHours"))

    @strawberry.field(description="步骤（按顺序）")
    async def steps(self, info: Info) -> list[ProcessStep]:
        from approvals.chain import _condition

        store = ctx(info).state.store
        rows = await asyncio.to_thread(store.query, load_query("process_steps").text, {"id": str(self.id)})
        return [
            ProcessStep(
                id=strawberry.ID(r["id"]),
                name=r["name"],
                order=int(r["ordinal"] or 0),
                mode=r["mode"] or "依次",
                condition=_condition(r),
                approver_roles=[a["name"] for a in r["approvers"] if a.get("name")],
            )
            for r in rows
        ]

    @strawberry.field(description="使用的表单")
    async def forms(self, info: Info) -> list[Entity]:
        return await _related(info, self, "USES_FORM")

    @strawberry.field(description="归口部门")
    async def owner(self, info: Info) -> Entity | None:
        return next(iter(await _related(info, self, "OWNED_BY")), None)


@strawberry.type(description="表单 / a form")
class Form(Entity):
    @strawberry.field(description="表单编号，如 HR-F-001")
    def code(self) -> str | None:
        return cast(str | None, _prop(self, "code"))


@strawberry.type(description="其他类的实体（type 给出本体类）/ an entity of any other class")
class GenericEntity(Entity):
    pass


CONCRETE: dict[str, type[Entity]] = {
    "Employee": Employee,
    "Department": Department,
    "Document": Document,
    "Policy": Policy,
    "ApprovalProcess": ApprovalProcess,
    "Form": Form,
}
ALL_ENTITY_TYPES = (*CONCRETE.values(), GenericEntity)


def to_entity(info: Info, row: dict[str, Any]) -> Entity:
    ontology = ctx(info).state.ontology
    labels = [lb for lb in row["labels"] if lb != "Resource"]
    inherited = {a for lb in labels for a in ontology.ancestors(lb)[1:]}
    specific = [lb for lb in labels if lb not in inherited] or labels or ["Resource"]
    props: dict[str, Any] = dict(row["properties"])
    aliases = props.get("aliases") or []
    cls = next((CONCRETE[lb] for lb in specific if lb in CONCRETE), GenericEntity)
    return cls(
        id=strawberry.ID(row["id"]),
        labels=labels,
        type=specific[0],
        name=props.get("name"),
        name_en=props.get("nameEn"),
        aliases=list(aliases) if isinstance(aliases, list) else [str(aliases)],
        properties=cast(JSON, props),
    )


async def load_entity(info: Info, entity_id: str) -> Entity | None:
    row = await ctx(info).entities.load(entity_id)
    return to_entity(info, row) if row is not None else None


async def load_entities(info: Info, ids: list[str]) -> list[Entity]:
    """Several entities in one batch (invisible and missing ones left out, order kept)."""
    rows = await ctx(info).entities.load_many(ids)
    return [to_entity(info, r) for r in rows if r is not None]


@strawberry.type
class EntityEdge:
    cursor: str
    node: Entity


@strawberry.type
class EntityConnection:
    edges: list[EntityEdge]
    page_info: PageInfo


@strawberry.type(description="邻域中的一条边 / an edge of a neighbourhood")
class GraphEdge:
    source: strawberry.ID
    type: str
    target: strawberry.ID


@strawberry.type(description="实体的邻域 / an entity's neighbourhood")
class Neighborhood:
    center: strawberry.ID
    nodes: list[Entity]
    edges: list[GraphEdge]


# -- search and answers --------------------------------------------------------------------------------


@strawberry.type(description="检索命中的片段及其出处 / a retrieved chunk and where it comes from")
class SearchHit:
    chunk_id: strawberry.ID
    document_id: strawberry.ID
    title: str
    uri: str
    section: str
    snippet: str
    text: str
    kind: str
    score: float
    entity_ids: list[strawberry.ID]

    @strawberry.field(description="片段链接到的实体")
    async def entities(self, info: Info) -> list[Entity]:
        return await load_entities(info, [str(i) for i in self.entity_ids])


@strawberry.type(description="问题中识别出的实体 / an entity recognised in the question")
class RecognizedEntity:
    id: strawberry.ID
    surface: str

    @strawberry.field
    async def entity(self, info: Info) -> Entity | None:
        return await load_entity(info, str(self.id))


@strawberry.type
class SearchEdge:
    cursor: str
    node: SearchHit


@strawberry.type
class SearchConnection:
    edges: list[SearchEdge]
    page_info: PageInfo
    message: str = strawberry.field(description="查询无法按原样使用时的提示（如只有标点）")
    recognized: list[RecognizedEntity]


@strawberry.type(description="答案引用的来源 / a source an answer cites")
class Citation:
    document_id: strawberry.ID
    title: str
    uri: str
    section: str
    snippet: str
    chunk_id: strawberry.ID


@strawberry.type(description="带引用的答案 / an answer with its sources")
class Answer:
    id: strawberry.ID
    question: str
    text: str
    answered: bool = strawberry.field(description="false：知识库没有可靠答案（建议转人工）")
    confidence: float
    citations: list[Citation]
    about: list[RecognizedEntity] = strawberry.field(description="答案涉及的实体")
    follow_ups: list[str] = strawberry.field(description="其他人还问了")


@strawberry.type(description="智能客服的一次回复 / one chatbot reply")
class ChatReply:
    session_id: str = strawberry.field(description="会话 ID：下一条消息带上它以保持上下文")
    type: str = strawberry.field(
        description="answer | clarify | confirm | handoff | action | greeting | smalltalk | cancelled"
    )
    text: str
    intent: str
    confidence: float
    citations: list[Citation]
    follow_ups: list[str]
    ticket_id: str | None
    notice: str


@strawberry.type(description="推荐项 / a recommended item")
class Recommendation:
    kind: str = strawberry.field(description="document | faq | process | form | policy")
    id: strawberry.ID
    title: str
    score: float
    reason: str
    document_id: strawberry.ID | None


# -- approvals -----------------------------------------------------------------------------------------


@strawberry.type(description="审批人 / an approver")
class ApproverPerson:
    id: strawberry.ID
    name: str
    role: str


@strawberry.type(description="具体审批链中的一步 / one step of a concrete approval chain")
class ChainStep:
    name: str
    order: int
    mode: str = strawberry.field(description="依次 / 会签（全部同意）/ 或签（任一同意）")
    condition: str
    applies: bool = strawberry.field(description="在给定金额、天数下此步是否生效")
    approvers: list[ApproverPerson]
    unresolved_roles: list[str] = strawberry.field(description="无人担任的审批角色（需管理员处理）")


@strawberry.type(description="某申请人在给定条件下的审批链 / who approves, for this applicant")
class ApprovalChain:
    process_id: strawberry.ID
    process_name: str
    applicant_id: strawberry.ID
    applicant_name: str
    amount: float | None
    days: float | None
    steps: list[ChainStep] = strawberry.field(description="生效的步骤")
    skipped: list[ChainStep] = strawberry.field(description="条件不满足而跳过的步骤")


@strawberry.type(description="当前登录的员工 / the caller")
class Me:
    id: strawberry.ID
    name: str
    roles: list[str]
    departments: list[strawberry.ID]
    level: int

    @strawberry.field
    async def employee(self, info: Info) -> Entity | None:
        return await load_entity(info, str(self.id))


@strawberry.type(description="答案反馈已记录 / feedback recorded")
class FeedbackResult:
    id: strawberry.ID
    recorded: bool


@strawberry.type(description="摄取结果 / what an ingestion run did")
class IngestResult:
    documents: int
    new: int
    changed: int
    unchanged: int
    removed: int
    rejected: list[str]
    chunks_indexed: int


@strawberry.type(description="爬取源状态 / a crawl source's status")
class CrawlSource:
    name: str
    schedule: str
    last_run_at: str | None
    outcome: str | None = strawberry.field(description="ok / failed / running；null：尚未运行")
    pages: int
    new: int
    changed: int
    removed: int
    errors: int
    next_run_at: str | None
    recent_errors: list[str]


def visible_row(info: Info, row: dict[str, Any]) -> bool:
    return visible(row["properties"], row["labels"], ctx(info).principal)


@strawberry.enum(description="审批操作 / an action on an approval instance")
class ApprovalAction(enum.Enum):
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    TRANSFER = "transfer"


@strawberry.enum(description="我与审批的关系 / how an instance involves the caller")
class ApprovalRole(enum.Enum):
    APPLIED = "applied"
    TODO = "todo"
    HANDLED = "handled"


@strawberry.type(description="审批步骤中的一位审批人及其决定 / one approver of a step and their decision")
class StepApprover:
    id: strawberry.ID
    name: str
    role: str
    decision: str | None = strawberry.field(description="approved / rejected / auto（前一步已同意）/ null")


@strawberry.type(description="审批实例的一个步骤 / a step of an instance")
class InstanceStep:
    index: int
    name: str
    mode: str = strawberry.field(description="依次 / 会签（全部同意）/ 或签（任一同意）")
    status: str = strawberry.field(description="waiting / pending / approved / rejected")
    approvers: list[StepApprover]


@strawberry.type(description="审批轨迹中的一条操作 / one entry of the audit trail")
class AuditEntry:
    kind: str
    actor_id: strawberry.ID
    actor_name: str
    step: str
    comment: str
    channel: str
    at: str


@strawberry.type(description="一次审批申请 / an approval instance")
class ApprovalInstance:
    id: strawberry.ID
    title: str
    process_id: strawberry.ID
    process_name: str
    applicant_id: strawberry.ID
    applicant_name: str
    amount: float | None
    days: float | None
    reason: str
    status: str = strawberry.field(description="pending / approved / rejected / withdrawn")
    status_text: str
    summary: str
    current_step: int
    pending_with: list[strawberry.ID] = strawberry.field(description="当前等待其审批的员工")
    steps: list[InstanceStep]
    audit: list[AuditEntry]
    version: int
    created_at: str
    updated_at: str


@strawberry.type(description="审批操作的结果 / the outcome of submitting or acting")
class ApprovalResult:
    applied: bool = strawberry.field(description="false：重复操作或该步骤已由他人处理，未再次生效")
    message: str
    instance: ApprovalInstance


@strawberry.type(description="审批状态变化 / an approval status event")
class ApprovalStatusEvent:
    event_id: str
    kind: str
    instance_id: strawberry.ID
    process_id: strawberry.ID
    status: str
    step: str
    actor_id: strawberry.ID
    summary: str
    at: str


def approval_instance(inst: Any) -> ApprovalInstance:
    return ApprovalInstance(
        id=strawberry.ID(inst.id),
        title=inst.name,
        process_id=strawberry.ID(inst.process_id),
        process_name=inst.process_name,
        applicant_id=strawberry.ID(inst.applicant),
        applicant_name=inst.applicant_name,
        amount=inst.amount,
        days=inst.days,
        reason=inst.reason,
        status=inst.status,
        status_text=inst.status_zh,
        summary=inst.summary(),
        current_step=inst.step_index,
        pending_with=[strawberry.ID(p) for p in inst.pending],
        steps=[
            InstanceStep(
                index=i,
                name=s.name,
                mode=s.mode,
                status=s.status,
                approvers=[
                    StepApprover(
                        id=strawberry.ID(p.id), name=p.name, role=p.role, decision=s.decisions.get(p.id)
                    )
                    for p in s.approvers
                ],
            )
            for i, s in enumerate(inst.steps)
        ],
        audit=[
            AuditEntry(
                kind=a.get("kind", ""),
                actor_id=strawberry.ID(a.get("actor", "")),
                actor_name=a.get("actorName", ""),
                step=a.get("stepName", ""),
                comment=a.get("comment", ""),
                channel=a.get("channel", ""),
                at=a.get("at", ""),
            )
            for a in inst.actions
        ],
        version=inst.version,
        created_at=inst.created_at,
        updated_at=inst.updated_at,
    )


def citations(items: list[CitationData]) -> list[Citation]:
    return [
        Citation(document_id=strawberry.ID(x.document_id), title=x.title, uri=x.uri, section=x.section,
                 snippet=x.snippet, chunk_id=strawberry.ID(x.chunk_id))
        for x in items
    ]  # fmt: skip


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

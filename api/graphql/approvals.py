"""Approvals: processes (``approvalProcess(es)``), who approves (the concrete chain for an applicant),
applications and the actions on them, and their status as a subscription."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import ctx
from api.graphql.entities import ApprovalProcess, Entity, load_entities, load_entity
from api.graphql.errors import ZhikuErrors
from api.graphql.language import LanguageArg, preferred_language
from api.graphql.paging import page
from approvals.attachments import download_path
from approvals.chain import Chain, find_process, resolve_chain
from approvals.chain import ChainStep as ChainStepData
from approvals.labels import ChainLabels, chain_labels
from approvals.rules import Attachment as AttachmentData
from approvals.rules import attachments
from queries import load as load_query
from zhiku.errors import InputError, NotFoundError, ZhikuError
from zhiku.i18n import DEFAULT, FALLBACK, normalise
from zhiku.settings import MAX_KEY_CHARS, MAX_TEXT_CHARS

MAX_CC = 50


@strawberry.type(description="审批人 / an approver")
class ApproverPerson:
    id: strawberry.ID
    name: str
    role: str


@strawberry.type(description="具体审批链中的一步 / one step of a concrete approval chain")
class ChainStep:
    name: str
    order: int
    mode: str = strawberry.field(
        description="依次（各角色依次）/ 会签（每个角色各一人同意）/ 或签（任一人同意）；"
        "按解析出的审批人：一个角色有多人担任时为或签 / as resolved for these approvers"
    )
    declared_mode: str = strawberry.field(description="流程定义中写的方式 / the mode the definition states")
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


@strawberry.enum(description="审批操作 / an action on an approval instance")
class ApprovalAction(enum.Enum):
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    TRANSFER = "transfer"
    ADD_SIGN = "add_sign"
    RETURN = "return"
    RESUBMIT = "resubmit"
    REMIND = "remind"
    COMMENT = "comment"


@strawberry.enum(description="加签方式 / where 加签 adds the approver")
class AddSignPosition(enum.Enum):
    BEFORE = "before"
    AFTER = "after"
    COSIGN = "cosign"


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
    decision: str | None = strawberry.field(
        description="approved / rejected / auto（前一步已同意）/ timeout（超时自动同意）/ null"
    )
    on_behalf_of: strawberry.ID | None = strawberry.field(
        description="代理或超时升级时，被代表的原审批人 / the approver this person stands in for"
    )


@strawberry.type(description="审批实例的一个步骤 / a step of an instance")
class InstanceStep:
    index: int
    name: str
    mode: str = strawberry.field(
        description="依次（各角色依次）/ 会签（每个角色各一人同意）/ 或签（任一人同意）"
    )
    status: str = strawberry.field(description="waiting / pending / approved / rejected")
    approvers: list[StepApprover]
    since: str = strawberry.field(description="开始等待的时间（时限从此计算）")
    round: int = strawberry.field(description="第几轮（每次退回加一）")
    added_by: strawberry.ID | None = strawberry.field(description="加签人（加签产生的步骤）")


@strawberry.type(description="审批轨迹中的一条操作 / one entry of the audit trail")
class AuditEntry:
    kind: str
    actor_id: strawberry.ID
    actor_name: str
    step: str
    comment: str
    channel: str
    at: str
    on_behalf_of: strawberry.ID | None = strawberry.field(description="代为审批的原审批人")
    target_id: strawberry.ID | None = strawberry.field(description="转交或加签的对象")


@strawberry.type(description="申请的附件（下载须登录且能查看该申请）/ a file attached to an application")
class ApprovalAttachment:
    id: strawberry.ID
    name: str
    size: int = strawberry.field(description="字节数")
    type: str = strawberry.field(
        description="按文件内容识别的类型（pdf、ofd、jpg、docx…）/ detected from the bytes"
    )
    mime: str
    sha256: str
    added_by_id: strawberry.ID
    added_by_name: str
    added_at: str
    step: str = strawberry.field(description="添加时所在的步骤（审批人添加时）")
    url: str = strawberry.field(
        description="下载地址（相对本服务；须带 Authorization 登录，地址中不含任何凭证）/ download path"
    )


def approval_attachment(a: AttachmentData) -> ApprovalAttachment:
    return ApprovalAttachment(
        id=strawberry.ID(a.id),
        name=a.name,
        size=a.size,
        type=a.type,
        mime=a.mime,
        sha256=a.sha256,
        added_by_id=strawberry.ID(a.added_by),
        added_by_name=a.added_by_name,
        added_at=a.added_at,
        step=a.step,
        url=download_path(a.id),
    )


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
    status: str = strawberry.field(
        description="pending / returned（退回修改）/ approved / rejected / withdrawn"
    )
    status_text: str
    process_version: int = strawberry.field(description="实例沿用的流程定义版本 / definition version it runs")
    sla_hours: int | None = strawberry.field(description="每步处理时限（小时）")
    cc: list[ApproverPerson] = strawberry.field(description="抄送 / copied when it ends")
    summary: str
    current_step: int
    pending_with: list[strawberry.ID] = strawberry.field(description="当前等待其审批的员工")
    steps: list[InstanceStep]
    audit: list[AuditEntry]
    attachments: list[ApprovalAttachment] = strawberry.field(
        description="附件（已删除的不在内）/ attachments"
    )
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
        process_version=inst.process_version,
        sla_hours=inst.policy.get("sla_hours"),
        cc=[ApproverPerson(id=strawberry.ID(p.id), name=p.name, role=p.role) for p in inst.cc],
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
                        id=strawberry.ID(p.id),
                        name=p.name,
                        role=p.role,
                        decision=s.decisions.get(p.id),
                        on_behalf_of=strawberry.ID(p.on_behalf_of) if p.on_behalf_of else None,
                    )
                    for p in s.approvers
                ],
                since=s.since,
                round=s.round,
                added_by=strawberry.ID(s.added_by) if s.added_by else None,
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
                on_behalf_of=strawberry.ID(a["onBehalfOf"]) if a.get("onBehalfOf") else None,
                target_id=strawberry.ID(a["target"]) if a.get("target") else None,
            )
            for a in inst.actions
        ],
        attachments=[approval_attachment(a) for a in attachments(inst)],
        version=inst.version,
        created_at=inst.created_at,
        updated_at=inst.updated_at,
    )


def _chain_step(step: ChainStepData, names: ChainLabels) -> ChainStep:
    return ChainStep(
        name=names.step(step),
        order=step.ordinal,
        mode=step.mode,
        declared_mode=step.declared_mode or step.mode,
        condition=step.condition,
        applies=step.applies,
        approvers=[
            ApproverPerson(id=strawberry.ID(a.id), name=a.name, role=names.role(a.role))
            for a in step.approvers
        ],
        unresolved_roles=[names.role(r) for r in step.unresolved],
    )


@strawberry.type
class ApprovalQuery:
    @strawberry.field(description="按 ID 或名称查审批流程 / one approval process by id or name")
    async def approval_process(
        self, info: Info, id: strawberry.ID | None = None, name: str | None = None
    ) -> Entity | None:
        c = ctx(info)
        c.require()
        if (id is None) == (name is None):
            raise InputError("id 与 name 二选一", "give exactly one of id, name")
        if id is not None:
            process_id = str(id)
        else:
            process_id, _ = await asyncio.to_thread(find_process, c.state.store, str(name))
        entity = await load_entity(info, process_id)
        return entity if isinstance(entity, ApprovalProcess) else None

    @strawberry.field(description="审批流程列表 / approval processes")
    async def approval_processes(
        self,
        info: Info,
        name: str | None = None,
        topic: strawberry.ID | None = None,
        owner: strawberry.ID | None = None,
    ) -> list[Entity]:
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
        return await load_entities(info, [r["id"] for r in rows])

    @strawberry.field(description="我的审批：我提交的、待我审批的、我处理过的 / my approval instances")
    async def my_approvals(
        self,
        info: Info,
        role: ApprovalRole = ApprovalRole.APPLIED,
        status: str | None = None,
        first: int = 20,
    ) -> list[ApprovalInstance]:
        c = ctx(info)
        who = c.require()
        found = await asyncio.to_thread(
            c.state.approvals.list_for, who.id, role.value, status=status, limit=page(first)
        )
        return [approval_instance(i) for i in found]

    @strawberry.field(description="一次审批申请（仅申请人、审批人与管理员可见）/ one approval instance")
    async def approval_instance(self, info: Info, id: strawberry.ID) -> ApprovalInstance | None:
        c = ctx(info)
        who = c.require()
        try:
            inst = await asyncio.to_thread(c.state.approvals.get, str(id))
        except NotFoundError:
            return None
        if not inst.visible_to(who):
            return None  # as if it did not exist: no one learns of others' applications
        return approval_instance(inst)

    @strawberry.field(description="谁来审批：该申请人在此金额/天数下的具体审批链 / who approves")
    async def who_approves(
        self,
        info: Info,
        process: str,
        amount: float | None = None,
        days: float | None = None,
        applicant: strawberry.ID | None = None,
        language: LanguageArg = None,
    ) -> ApprovalChain:
        """The chain named in the caller's language (the argument, else Accept-Language, else their
        profile; else as the process defines it): process, steps and roles by the labels the data
        has for them (:mod:`approvals.labels`), people by their names."""
        c = ctx(info)
        who = c.require()
        applicant_id = str(applicant) if applicant else who.id
        if applicant_id != who.id:
            c.require("manager", "hr")  # least privilege: others' chains only for managers and HR
        chosen = await preferred_language(c, who, language)
        spoken = (normalise(chosen) or FALLBACK) if chosen else DEFAULT

        def named() -> tuple[Chain, ChainLabels]:
            chain = resolve_chain(c.state.store, process, applicant=applicant_id, amount=amount, days=days)
            return chain, chain_labels(c.state.store, chain, spoken)

        chain, names = await asyncio.to_thread(named)
        return ApprovalChain(
            process_id=strawberry.ID(chain.process_id),
            process_name=names.process,
            applicant_id=strawberry.ID(chain.applicant_id),
            applicant_name=chain.applicant_name,
            amount=amount,
            days=days,
            steps=[_chain_step(s, names) for s in chain.active_steps],
            skipped=[_chain_step(s, names) for s in chain.steps if not s.applies],
        )


@strawberry.type
class ApprovalMutation:
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
        cc: list[strawberry.ID] | None = None,
        period_start: str | None = None,
        period_end: str | None = None,
        delegate: strawberry.ID | None = None,
    ) -> ApprovalResult:
        """``cc``: 抄送 (employees, positions or roles) besides the process's own; ``periodStart`` /
        ``periodEnd`` and ``delegate``: for a leave, when the applicant is away and who approves for them."""
        c = ctx(info)
        who = c.require()
        if len(reason) > MAX_TEXT_CHARS or (idempotency_key and len(idempotency_key) > MAX_KEY_CHARS):
            raise InputError("事由或幂等键过长", "reason or idempotency key too long")
        if len(cc or []) > MAX_CC:
            raise InputError(f"抄送最多 {MAX_CC} 个", f"at most {MAX_CC} cc entries")
        if (period_start is None) != (period_end is None):
            raise InputError("请同时填写开始与结束日期", "give both periodStart and periodEnd")
        wecom = c.state.wecom
        if wecom is not None and wecom.oa is not None:
            process_id, _ = await asyncio.to_thread(find_process, c.state.store, process)
            if process_id in wecom.oa.templates:  # decided in WeCom's own approval app
                inst = await wecom.oa.submit(
                    process_id, applicant=who.id, amount=amount, days=days, reason=reason
                )
                return ApprovalResult(
                    applied=True,
                    message="已提交到企业微信审批：" + inst.summary(),
                    instance=approval_instance(inst),
                )
        result = await asyncio.to_thread(
            c.state.approvals.submit,
            process,
            applicant=who.id,
            amount=amount,
            days=days,
            reason=reason,
            key=idempotency_key,
            cc=[str(x) for x in cc or []],
            period=(period_start, period_end) if period_start and period_end else None,
            delegate=str(delegate) if delegate else None,
        )
        return ApprovalResult(
            applied=result.applied, message=result.message, instance=approval_instance(result.instance)
        )

    @strawberry.mutation(
        description="审批操作：同意、驳回与退回（须填写 comment）、撤回、转交、加签（target + position）、"
        "重新提交、催办（每实例每小时一次）、评论（可 @工号/@姓名）/ act on an approval instance"
    )
    async def act_on_approval(
        self,
        info: Info,
        id: strawberry.ID,
        action: ApprovalAction,
        comment: str = "",
        transfer_to: strawberry.ID | None = None,
        step: int | None = None,
        idempotency_key: str | None = None,
        target: strawberry.ID | None = None,
        position: AddSignPosition | None = None,
        return_to_step: int | None = None,
    ) -> ApprovalResult:
        c = ctx(info)
        who = c.require()
        if len(comment) > MAX_TEXT_CHARS or (idempotency_key and len(idempotency_key) > MAX_KEY_CHARS):
            raise InputError("意见或幂等键过长", "comment or idempotency key too long")
        result = await asyncio.to_thread(
            c.state.approvals.act,
            str(id),
            action.value,
            actor=who.id,
            comment=comment,
            target=str(target or transfer_to) if (target or transfer_to) else None,
            step=step,
            key=f"api:{who.id}:{idempotency_key}" if idempotency_key else None,
            position=position.value if position else "",
            return_to=return_to_step,
        )
        return ApprovalResult(
            applied=result.applied, message=result.message, instance=approval_instance(result.instance)
        )

    @strawberry.mutation(
        description="设置审批代理：期间到达我的审批步骤转给代理人（日期含首尾）/ set my approval delegate"
    )
    async def set_approval_delegate(
        self, info: Info, delegate: strawberry.ID, start: str, end: str
    ) -> ApprovalDelegation:
        c = ctx(info)
        who = c.require()
        done = await asyncio.to_thread(c.state.approvals.set_delegate, who.id, str(delegate), start, end)
        return ApprovalDelegation(
            delegate_id=strawberry.ID(done["delegate"]),
            delegate_name=done["delegateName"],
            start=done["start"],
            end=done["end"],
        )


@strawberry.type(description="审批代理 / an approval delegation")
class ApprovalDelegation:
    delegate_id: strawberry.ID
    delegate_name: str
    start: str
    end: str = strawberry.field(description="结束（不含）/ end, exclusive")


@strawberry.type
class ApprovalSubscription:
    @strawberry.subscription(description="审批状态实时推送（指定实例，或与我相关的全部）/ approval status")
    async def approval_status(
        self, info: Info, instance_id: strawberry.ID | None = None
    ) -> AsyncGenerator[ApprovalStatusEvent, None]:
        c = ctx(info)
        c.use_connection_params(info.context.get("connection_params"))
        try:
            who = c.require()
            if instance_id is not None:
                inst = c.state.approvals.get(str(instance_id))
                if not inst.visible_to(who):
                    raise NotFoundError(f"没有这个审批：{instance_id}", "no such approval instance")
        except ZhikuError as exc:
            raise ZhikuErrors.coded(exc) from None
        key = f"instance:{instance_id}" if instance_id is not None else who.id
        async with c.state.approval_hub.subscription(key) as queue:
            while True:
                event = await queue.get()
                yield ApprovalStatusEvent(
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

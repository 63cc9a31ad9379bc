"""The approval rules as data in, data out: what an action does to an instance.

:func:`decide` takes an :class:`Instance` as read from the graph and an :class:`Action` (with
everything it needs already looked up, e.g. a transfer target's name) and returns either the
:class:`Transition` to write or :class:`Unchanged` (nothing to write: a repeat, a step someone else
already closed). It raises the error the actor should see when the action is not allowed. It reads
nothing and writes nothing, so the engine (:mod:`approvals.engine`) owns the I/O — reading,
compare-and-set, the audit record, events — and the rules are tested without a database.

Modes of a step: 依次 (sequential: each role in turn; several holders of one position are
interchangeable), 会签 (everyone must approve), 或签 (any one approval suffices). Any rejection ends
the instance; someone who approved an earlier step is not asked again (recorded as ``auto``).

Example::

    inst = Instance.from_row(row, actions)
    outcome = decide(inst, Action("approve", actor="E1002"))
    if isinstance(outcome, Transition):
        ...  # write its status, step_index and steps if the instance is still at inst.version
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, cast, get_args

from approvals.chain import Chain
from zhiku.errors import InputError, NotFoundError, ZhikuError

Kind = Literal["approve", "reject", "withdraw", "transfer"]
KINDS: tuple[str, ...] = get_args(Kind)
STATUS_ZH = {"pending": "审批中", "approved": "已通过", "rejected": "已驳回", "withdrawn": "已撤回"}
KIND_ZH = {"submit": "提交", "approve": "同意", "reject": "驳回", "withdraw": "撤回", "transfer": "转交"}
#: What counts as an approval in a step's decisions (``auto``: approved at an earlier step).
APPROVED = ("approved", "auto")


class NotAnApprover(ZhikuError):
    """The caller may not act on this instance (not an approver of the current step, not the applicant)."""

    code = "NOT_AN_APPROVER"


class InstanceClosed(ZhikuError):
    """The instance is no longer pending (approved, rejected or withdrawn)."""

    code = "APPROVAL_CLOSED"


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    role: str = ""


@dataclass(frozen=True, slots=True)
class StepState:
    """One step of an instance: who approves, how, and what each of them decided."""

    name: str
    mode: str  # 依次 / 会签 / 或签
    approvers: tuple[Person, ...]
    decisions: Mapping[str, str] = field(default_factory=dict)  # employee id → approved / rejected / auto
    status: str = "waiting"  # waiting / pending / approved / rejected

    def groups(self) -> list[list[str]]:
        """Approvers grouped by role, in order (several holders of one position are interchangeable)."""
        groups: dict[str, list[str]] = {}
        for p in self.approvers:
            groups.setdefault(p.role or p.id, []).append(p.id)
        return list(groups.values())

    def pending(self) -> list[str]:
        """Who may act on this step now.

        依次: the first role no one has approved for yet (any holder of it); 会签: everyone who has
        not decided; 或签: everyone.
        """
        if self.status != "pending":
            return []
        if self.mode == "依次":
            for group in self.groups():
                if not any(self.decisions.get(i) in APPROVED for i in group):
                    return group
            return []
        return [p.id for p in self.approvers if p.id not in self.decisions]

    def decided(self, actor: str, decision: str) -> StepState:
        """This step after ``actor``'s ``decision`` (approved / rejected / auto)."""
        step = replace(self, decisions={**self.decisions, actor: decision})
        if decision == "rejected":
            return replace(step, status="rejected")
        if step.mode == "或签" or not step._still_needed():
            return replace(step, status="approved")
        return step

    def _still_needed(self) -> bool:
        if self.mode == "依次":
            return any(not any(self.decisions.get(i) in APPROVED for i in g) for g in self.groups())
        return any(p.id not in self.decisions for p in self.approvers)


@dataclass(frozen=True, slots=True)
class Instance:
    id: str
    name: str
    process_id: str
    process_name: str
    applicant: str
    applicant_name: str
    amount: float | None
    days: float | None
    reason: str
    status: str
    step_index: int  # len(steps) once the last step is approved
    steps: tuple[StepState, ...]
    version: int
    created_at: str
    updated_at: str
    actions: tuple[Mapping[str, Any], ...] = ()  # the audit trail, oldest first

    @property
    def current(self) -> StepState | None:
        return self.steps[self.step_index] if 0 <= self.step_index < len(self.steps) else None

    @property
    def pending(self) -> list[str]:
        step = self.current
        return step.pending() if step and self.status == "pending" else []

    @property
    def status_zh(self) -> str:
        return STATUS_ZH.get(self.status, self.status)

    def involves(self, employee: str) -> bool:
        return employee == self.applicant or any(p.id == employee for s in self.steps for p in s.approvers)

    def name_of(self, employee: str) -> str:
        if employee == self.applicant:
            return self.applicant_name
        for s in self.steps:
            for p in s.approvers:
                if p.id == employee:
                    return p.name
        return employee

    def summary(self) -> str:
        """One line in Chinese: title, status, who it waits on."""
        text = f"{self.name}：{self.status_zh}"
        step = self.current
        if self.status == "pending" and step:
            who = "、".join(self.name_of(p) for p in self.pending)
            text += f"，当前在“{step.name}”（{step.mode}），待 {who} 审批"
        return text

    @classmethod
    def from_row(cls, row: Mapping[str, Any], actions: Iterable[Mapping[str, Any]] | None = None) -> Instance:
        steps = tuple(
            StepState(
                s["name"],
                s["mode"],
                tuple(Person(**p) for p in s["approvers"]),
                dict(s.get("decisions", {})),
                s.get("status", "waiting"),
            )
            for s in json.loads(row["steps"])
        )
        return cls(
            row["id"],
            row.get("name", ""),
            row["processId"],
            row.get("processName", ""),
            row["applicant"],
            row.get("applicantName", ""),
            row.get("amount"),
            row.get("days"),
            row.get("reason", ""),
            row["status"],
            int(row["stepIndex"]),
            steps,
            int(row["version"]),
            row.get("createdAt", ""),
            row.get("updatedAt", ""),
            tuple(a for a in (actions or ()) if a),
        )


@dataclass(frozen=True, slots=True)
class Action:
    """What someone asks to do. ``step`` pins the step the caller saw (a card does); ``key`` makes the
    action idempotent (by default the step, the actor and the kind). For a transfer, ``target_name`` is
    the target's name as read from the directory before deciding (``None``: not an employee)."""

    kind: Kind
    actor: str
    target: str | None = None
    target_name: str | None = None
    step: int | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class EventSpec:
    """A status change to announce once the transition is written, and who should hear of it."""

    kind: str  # step_approved / pending / approved / rejected / withdrawn / transferred
    recipients: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Transition:
    """The state an action moves an instance to (written only if the instance is still at the version
    it was decided on)."""

    status: str
    step_index: int
    steps: tuple[StepState, ...]
    key: str  # the action's idempotency key; its audit record id is ``action_id(instance, key)``
    acted_step: int  # the step the action was taken on
    events: tuple[EventSpec, ...]

    @property
    def pending(self) -> list[str]:
        """Who the instance waits on afterwards."""
        if self.status != "pending" or self.step_index >= len(self.steps):
            return []
        return self.steps[self.step_index].pending()


@dataclass(frozen=True, slots=True)
class Unchanged:
    """Nothing to write: a repeat of an action already taken, or a step someone else already closed."""

    message: str


def parse_kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise InputError(f"不支持的审批操作：{kind}", f"unknown approval action {kind}")
    return cast(Kind, kind)


def action_id(instance_id: str, key: str) -> str:
    """The audit record id of an action: derived from its idempotency key."""
    digest = hashlib.sha1(f"{instance_id}\x1f{key}".encode(), usedforsecurity=False).hexdigest()[:20]
    return f"ACT-{digest}"


def steps_json(steps: Iterable[StepState]) -> str:
    return json.dumps([asdict(s) for s in steps], ensure_ascii=False, separators=(",", ":"))


def opening_steps(chain: Chain) -> tuple[StepState, ...]:
    """The steps a new instance of ``chain`` starts with (the first one pending); :class:`InputError`
    when a step that applies has no one to approve it, or no step applies."""
    steps: list[StepState] = []
    for s in chain.active_steps:
        if not s.approvers:
            raise InputError(
                f"流程“{chain.process_name}”的步骤“{s.name}”没有可用的审批人"
                f"（{'、'.join(s.unresolved) or '未配置'}），请联系管理员",
                f"step {s.name} of {chain.process_id} has no approver for {chain.applicant_id}",
            )
        steps.append(StepState(s.name, s.mode, tuple(Person(a.id, a.name, a.role) for a in s.approvers)))
    if not steps:
        raise InputError(f"流程“{chain.process_name}”没有适用的审批步骤", "no step applies")
    steps[0] = replace(steps[0], status="pending")
    return tuple(steps)


def _auto_approve(steps: list[StepState], index: int) -> None:
    """Someone who already approved an earlier step of this instance is not asked again (a common OA
    rule: the direct manager who also heads the department signs once); recorded as ``auto``."""
    approved_before = {i for s in steps[:index] for i, d in s.decisions.items() if d in APPROVED}
    step = steps[index]
    for person in step.pending():
        if person in approved_before and step.status == "pending":
            step = step.decided(person, "auto")
    steps[index] = step


def decide(inst: Instance, action: Action) -> Transition | Unchanged:
    """What ``action`` does to ``inst``; raises :class:`NotAnApprover`, :class:`InstanceClosed`,
    :class:`InputError` or :class:`NotFoundError` (unknown transfer target) when it is not allowed."""
    kind, actor, step = action.kind, action.actor, action.step
    key = action.key or f"{kind}:{inst.step_index if step is None else step}:{actor}"
    if any(a.get("id") == action_id(inst.id, key) for a in inst.actions):
        return Unchanged("这个操作已经处理过了，无需重复：" + inst.summary())
    if kind == "withdraw":
        if actor != inst.applicant:
            raise NotAnApprover("只有申请人可以撤回申请", "only the applicant may withdraw")
        if inst.status != "pending":
            raise InstanceClosed(
                f"申请{inst.status_zh}，不能撤回", f"instance is {inst.status}, cannot withdraw"
            )
        notice = EventSpec("withdrawn", tuple(inst.pending))
        return Transition("withdrawn", inst.step_index, inst.steps, key, inst.step_index, (notice,))
    if inst.status != "pending":
        if step is not None or any(a.get("actor") == actor and a.get("kind") == kind for a in inst.actions):
            return Unchanged(f"申请{inst.status_zh}，无需再处理")
        raise InstanceClosed(f"申请{inst.status_zh}，不能再{KIND_ZH[kind]}", f"instance is {inst.status}")
    if step is not None and step != inst.step_index:
        if not (0 <= step < len(inst.steps)) or not any(p.id == actor for p in inst.steps[step].approvers):
            raise NotAnApprover("你不是这一步的审批人", f"{actor} is not an approver of step {step}")
        done = inst.steps[step]
        by = "、".join(inst.name_of(i) for i in done.decisions)
        return Unchanged(f"“{done.name}”已由{by or '他人'}处理，无需再操作：" + inst.summary())
    current = inst.current
    assert current is not None  # a pending instance is always on one of its steps
    if actor not in current.pending():
        if actor in current.decisions or (
            step is None and any(a.get("actor") == actor and a.get("kind") == kind for a in inst.actions)
        ):
            return Unchanged("你已经处理过了，无需重复：" + inst.summary())
        if any(p.id == actor for p in current.approvers):  # 依次: not their turn yet
            raise NotAnApprover("还没有轮到你审批", f"{actor} is not next in step {current.name}")
        raise NotAnApprover("你不是当前步骤的审批人", f"{actor} is not an approver of the current step")
    steps = list(inst.steps)
    index = inst.step_index
    if kind == "transfer":
        target = action.target
        if not target or target == actor:
            raise InputError("请指定转交给谁", "transfer needs a target employee")
        if target == inst.applicant or any(p.id == target for p in current.approvers):
            raise InputError("不能转交给申请人或本步骤已有的审批人", "invalid transfer target")
        if action.target_name is None:
            raise NotFoundError(f"没有这个员工：{target}", f"no employee {target}")
        approvers = tuple(
            Person(target, action.target_name, p.role) if p.id == actor else p for p in current.approvers
        )
        steps[index] = replace(current, approvers=approvers)
        notice = EventSpec("transferred", (target, inst.applicant))
        return Transition("pending", index, tuple(steps), key, index, (notice,))
    steps[index] = current.decided(actor, "approved" if kind == "approve" else "rejected")
    status = "rejected" if steps[index].status == "rejected" else "pending"
    while status == "pending" and steps[index].status == "approved":
        index += 1
        if index >= len(steps):
            status = "approved"
            break
        steps[index] = replace(steps[index], status="pending")
        _auto_approve(steps, index)
    after = Transition(status, index, tuple(steps), key, inst.step_index, ())
    events: tuple[EventSpec, ...]
    if status in ("approved", "rejected"):
        others = tuple(p for p in inst.pending if p != actor)  # their card is now moot
        events = (EventSpec(status, (inst.applicant, *others)),)
    elif index != inst.step_index:
        events = (EventSpec("step_approved", (inst.applicant,)), EventSpec("pending", tuple(after.pending)))
    else:
        events = (EventSpec("pending", tuple(p for p in after.pending if p not in inst.pending)),)
    return replace(after, events=events)

"""The approval rules as data in, data out: what an action does to an instance.

:func:`decide` takes an :class:`Instance` as read from the graph and an :class:`Action` (with
everything it needs already looked up, e.g. a transfer target's name) and returns either the
:class:`Transition` to write or :class:`Unchanged` (nothing to write: a repeat, a step someone else
already closed). It raises the error the actor should see when the action is not allowed. It reads
nothing and writes nothing, so the engine (:mod:`approvals.engine`) owns the I/O — reading,
compare-and-set, the audit record, events — and the rules are tested without a database.

The rules (docs/approvals.md states them for users): a step's approvers are grouped by role, and any
one holder of a role decides for it. 依次: the roles one after another; 会签: every role, in any order;
或签: any one approver. (A step whose approvers all hold one role is therefore 或签, and is resolved and
shown as such — see :func:`approvals.chain.effective_mode`.) Any rejection ends the instance and needs
a comment; someone who approved an earlier step is not asked again (recorded as ``auto``).

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
KIND_ZH = {
    "submit": "提交",
    "approve": "同意",
    "reject": "驳回",
    "withdraw": "撤回",
    "transfer": "转交",
    "sync": "同步",
}
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

    def open_groups(self) -> list[list[str]]:
        """The roles no holder has approved for yet, in order."""
        return [g for g in self.groups() if not any(self.decisions.get(i) in APPROVED for i in g)]

    def pending(self) -> list[str]:
        """Who may act on this step now.

        依次: the holders of the first role no one has approved for yet; 会签: the holders of every
        such role; 或签: everyone.
        """
        if self.status != "pending":
            return []
        if self.mode == "或签":
            return [p.id for p in self.approvers]
        groups = self.open_groups()
        if self.mode == "依次":
            return groups[0] if groups else []
        return list(dict.fromkeys(i for g in groups for i in g))

    def decided(self, actor: str, decision: str) -> StepState:
        """This step after ``actor``'s ``decision`` (approved / rejected / auto)."""
        step = replace(self, decisions={**self.decisions, actor: decision})
        return replace(step, status=step.settled())

    def settled(self) -> str:
        """The status its decisions give this step: rejected (any rejection), approved (或签: any
        approval; else every role approved for), or pending."""
        if "rejected" in self.decisions.values():
            return "rejected"
        if self.mode == "或签":
            done = any(d in APPROVED for d in self.decisions.values())
        else:
            done = not self.open_groups()
        return "approved" if done else "pending"

    def decided_by(self) -> list[str]:
        """Who decided this step (auto-approvals included), in the order recorded."""
        return [i for i, d in self.decisions.items() if d in (*APPROVED, "rejected")]


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
    action idempotent (by default the step, the actor and the kind — and for a transfer the version it
    was read at, since one person may transfer a step that came back to them). For a transfer,
    ``target_name`` is the target's name as read from the directory before deciding (``None``: not an
    employee). A rejection needs a ``comment``."""

    kind: Kind
    actor: str
    target: str | None = None
    target_name: str | None = None
    step: int | None = None
    key: str | None = None
    comment: str = ""


@dataclass(frozen=True, slots=True)
class EventSpec:
    """A status change to announce once the transition is written, and who should hear of it."""

    kind: str  # signed / step_approved / pending / approved / rejected / withdrawn / transferred
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
    # until no one the step now waits on has approved before (依次: the next role may be theirs too)
    while step.status == "pending" and (
        person := next((p for p in step.pending() if p in approved_before and p not in step.decisions), None)
    ):
        step = step.decided(person, "auto")
    steps[index] = step


def _names(inst: Instance, people: Iterable[str]) -> str:
    return "、".join(inst.name_of(i) for i in people)


def _late(inst: Instance, actor: str) -> Unchanged | None:
    """The answer for an approver whose step was decided by someone else (one of several accountants
    approving after another did): who decided it, not "you are not an approver". ``None`` when
    ``actor`` approves no step that has been decided."""
    for index in range(min(inst.step_index, len(inst.steps) - 1), -1, -1):
        step = inst.steps[index]
        if (
            step.status in ("approved", "rejected")
            and actor not in step.decisions
            and any(p.id == actor for p in step.approvers)
        ):
            by = _names(inst, step.decided_by()) or "他人"
            return Unchanged(f"“{step.name}”已由{by}处理，无需再操作：" + inst.summary())
    return None


def _refuse_or_unchanged(inst: Instance, action: Action) -> Unchanged:
    """For someone the current step does not wait on: a repeat or a late approver get
    :class:`Unchanged`; anyone else the error that says why they may not act."""
    current = inst.current
    assert current is not None  # a pending instance is always on one of its steps
    actor, kind = action.actor, action.kind
    if actor in current.decisions or (
        action.step is None and any(a.get("actor") == actor and a.get("kind") == kind for a in inst.actions)
    ):
        return Unchanged("你已经处理过了，无需重复：" + inst.summary())
    mine = [g for g in current.groups() if actor in g]
    if mine and all(g not in current.open_groups() for g in mine):  # another holder of the role signed
        by = _names(inst, (i for g in mine for i in g if current.decisions.get(i) in APPROVED))
        return Unchanged(f"“{current.name}”中你所在的角色已由{by}同意，无需再操作：" + inst.summary())
    if mine:  # 依次: an earlier role has not approved yet
        raise NotAnApprover("还没有轮到你审批", f"{actor} is not next in step {current.name}")
    late = _late(inst, actor)
    if late is not None:
        return late
    if any(p.id == actor for s in inst.steps[inst.step_index + 1 :] for p in s.approvers):
        raise NotAnApprover(f"还没有轮到你审批（当前在“{current.name}”）", f"{actor} approves a later step")
    raise NotAnApprover("你不是当前步骤的审批人", f"{actor} is not an approver of the current step")


def _closed(inst: Instance, action: Action) -> Unchanged:
    """An action on a closed instance: a late approver or a repeat get :class:`Unchanged`, an approver
    of a step never reached :class:`InstanceClosed`, anyone else :class:`NotAnApprover`."""
    actor, kind = action.actor, action.kind
    if action.step is None and any(a.get("actor") == actor and a.get("kind") == kind for a in inst.actions):
        return Unchanged(f"申请{inst.status_zh}，无需再处理")  # a retry (also of a transfer away)
    if not any(p.id == actor for s in inst.steps for p in s.approvers):
        raise NotAnApprover("你不是这份申请的审批人", f"{actor} approves no step of {inst.id}")
    if action.step is not None:
        if not (0 <= action.step < len(inst.steps)) or not any(
            p.id == actor for p in inst.steps[action.step].approvers
        ):
            raise NotAnApprover("你不是这一步的审批人", f"{actor} is not an approver of step {action.step}")
        return Unchanged(f"申请{inst.status_zh}，无需再处理")
    if not any(actor in s.decisions for s in inst.steps):  # someone else decided their step
        late = _late(inst, actor)
        if late is not None:
            return late
    raise InstanceClosed(f"申请{inst.status_zh}，不能再{KIND_ZH[kind]}", f"instance is {inst.status}")


def default_key(inst: Instance, action: Action) -> str:
    """An action's idempotency key when the caller gives none: one decision per person and step; a
    transfer also by the version it was read at (the same person may transfer a step again once it
    came back to them, while a retried request still finds its first attempt)."""
    step = inst.step_index if action.step is None else action.step
    key = f"{action.kind}:{step}:{action.actor}"
    return f"{key}:v{inst.version}" if action.kind == "transfer" else key


def decide(inst: Instance, action: Action) -> Transition | Unchanged:
    """What ``action`` does to ``inst``; raises :class:`NotAnApprover`, :class:`InstanceClosed`,
    :class:`InputError` or :class:`NotFoundError` (unknown transfer target) when it is not allowed."""
    kind, actor, step = action.kind, action.actor, action.step
    key = action.key or default_key(inst, action)
    done = next((a for a in inst.actions if a.get("id") == action_id(inst.id, key)), None)
    if done is not None:
        what = KIND_ZH.get(str(done.get("kind")), "")
        return Unchanged(f"这个操作已经处理过了（{what}），无需重复：" + inst.summary())
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
        return _closed(inst, action)
    if step is not None and step != inst.step_index:
        if not (0 <= step < len(inst.steps)) or not any(p.id == actor for p in inst.steps[step].approvers):
            raise NotAnApprover("你不是这一步的审批人", f"{actor} is not an approver of step {step}")
        if step > inst.step_index:
            raise NotAnApprover("还没有轮到你审批", f"step {step} has not started")
        done_step = inst.steps[step]
        by = _names(inst, done_step.decided_by())
        return Unchanged(f"“{done_step.name}”已由{by or '他人'}处理，无需再操作：" + inst.summary())
    current = inst.current
    assert current is not None  # a pending instance is always on one of its steps
    if actor not in current.pending():
        return _refuse_or_unchanged(inst, action)
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
    if kind == "reject" and not action.comment.strip():
        raise InputError("驳回时请填写驳回意见，说明原因", "a rejection needs a comment")
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
    else:  # a decision that does not move the step (one role of a 会签): progress, not "step approved"
        newly = tuple(p for p in after.pending if p not in inst.pending)
        events = (EventSpec("signed", (inst.applicant,)), EventSpec("pending", newly))
    return replace(after, events=events)

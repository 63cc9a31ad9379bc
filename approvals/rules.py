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
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, cast, get_args

from approvals.chain import Chain
from zhiku.access import Principal
from zhiku.errors import InputError, NotFoundError, ZhikuError
from zhiku.i18n import N_

Kind = Literal[
    "approve", "reject", "withdraw", "transfer", "add_sign", "return", "resubmit", "remind", "comment",
    "sla_remind", "escalate", "attach", "detach",
]  # fmt: skip
KINDS: tuple[str, ...] = get_args(Kind)
#: Actions only Zhiku itself takes (the SLA sweep), never a caller.
SYSTEM_KINDS = ("sla_remind", "escalate")
STATUS_ZH = {
    "pending": "审批中",
    "returned": "已退回修改",
    "approved": "已通过",
    "rejected": "已驳回",
    "withdrawn": "已撤回",
}
OPEN = ("pending", "returned")
KIND_ZH = {
    "submit": "提交",
    "approve": "同意",
    "reject": "驳回",
    "withdraw": "撤回",
    "transfer": "转交",
    "sync": "同步",
    "add_sign": "加签",
    "return": "退回",
    "resubmit": "重新提交",
    "remind": "催办",
    "comment": "评论",
    "sla_remind": "超时提醒",
    "escalate": "超时处理",
    "attach": "添加附件",
    "detach": "删除附件",
}
#: What counts as an approval in a step's decisions (``auto``: approved at an earlier step;
#: ``timeout``: approved by the SLA escalation policy ``auto_approve``).
APPROVED = ("approved", "auto", "timeout")
#: The actor of the SLA sweep's actions.
SYSTEM = "SYSTEM"
#: 催办: at most once per instance in this many seconds.
REMIND_INTERVAL_S = 3600
ADD_SIGN_POSITIONS = ("before", "after", "cosign")
ESCALATIONS = ("manager", "auto_approve", "auto_reject", "none")


class NotAnApprover(ZhikuError):
    """The caller may not act on this instance (not an approver of the current step, not the applicant)."""

    code = "NOT_AN_APPROVER"


class InstanceClosed(ZhikuError):
    """The instance is no longer pending (approved, rejected or withdrawn)."""

    code = "APPROVAL_CLOSED"


class RemindTooSoon(ZhikuError):
    """催办 again within the hour: the approvers were reminded recently."""

    code = "REMIND_TOO_SOON"
    retryable = True


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    role: str = ""
    on_behalf_of: str = ""  # 代理 / escalation: the approver this person stands in for ("" for themselves)


@dataclass(frozen=True, slots=True)
class StepState:
    """One step of an instance: who approves, how, and what each of them decided."""

    name: str
    mode: str  # 依次 / 会签 / 或签
    approvers: tuple[Person, ...]
    decisions: Mapping[str, str] = field(default_factory=dict)  # employee id → approved / rejected / auto
    status: str = "waiting"  # waiting / pending / approved / rejected
    since: str = ""  # when it last became pending (the SLA counts from here)
    round: int = 0  # how often 退回 sent it back (a step decided again is a new round)
    added_by: str = ""  # 加签: who added this step ("" for the definition's steps)

    @property
    def tag(self) -> str:
        """This step's part of a default idempotency key (``2``; ``2r1`` once sent back; ``+`` if added)."""
        return (f"r{self.round}" if self.round else "") + ("+" if self.added_by else "")

    def reset(self) -> StepState:
        """The step sent back by 退回: no decisions, waiting, in its next round."""
        return replace(self, decisions={}, status="waiting", since="", round=self.round + 1)

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
    process_version: int = 0  # the definition version it started with (0: before versions were kept)
    policy: Mapping[str, Any] = field(default_factory=dict)  # sla_hours, reminders, escalation, clock
    cc: tuple[Person, ...] = ()  # 抄送: told when the instance ends (role "step": also when a step ends)
    last_action: str = ""  # the record id of the action that last moved it (its record may be in flight)

    @property
    def current(self) -> StepState | None:
        return self.steps[self.step_index] if 0 <= self.step_index < len(self.steps) else None

    @property
    def pending(self) -> list[str]:
        """Who the instance waits on: the current step's approvers; the applicant once 退回 to them."""
        if self.status == "returned":
            return [self.applicant]
        step = self.current
        return step.pending() if step and self.status == "pending" else []

    @property
    def status_zh(self) -> str:
        return STATUS_ZH.get(self.status, self.status)

    def involves(self, employee: str) -> bool:
        return (
            employee == self.applicant
            or any(p.id == employee or p.on_behalf_of == employee for s in self.steps for p in s.approvers)
            or any(p.id == employee for p in self.cc)
        )

    def visible_to(self, who: Principal) -> bool:
        """Who may see this application — and so its attachments: admins, its applicant, its approvers
        (and the people they stand in for) and its 抄送 recipients. The one rule every door applies
        (``approvalInstance``, the status subscription, ``GET /api/attachments/{id}``)."""
        return who.is_admin or self.involves(who.id)

    def name_of(self, employee: str) -> str:
        if employee == self.applicant:
            return self.applicant_name
        for s in self.steps:
            for p in s.approvers:
                if p.id == employee:
                    return p.name
        for p in self.cc:
            if p.id == employee:
                return p.name
        return "系统" if employee == SYSTEM else employee

    def summary(self) -> str:
        """One line in Chinese: title, status, who it waits on."""
        text = f"{self.name}：{self.status_zh}"
        step = self.current
        if self.status == "pending" and step:
            who = "、".join(self.name_of(p) for p in self.pending)
            text += f"，当前在“{step.name}”（{step.mode}），待 {who} 审批"
        elif self.status == "returned" and step:
            text += f"，“{step.name}”退回，待 {self.applicant_name or self.applicant} 修改后重新提交"
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
                s.get("since", ""),
                int(s.get("round", 0)),
                s.get("added_by", ""),
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
            int(row.get("processVersion") or 0),
            json.loads(row.get("policy") or "{}"),
            tuple(Person(**p) for p in json.loads(row.get("cc") or "[]")),
            str(row.get("lastAction") or ""),
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
    at: str = ""  # the engine's clock (ISO 8601, UTC): when a step became pending, the 催办 window
    position: str = ""  # 加签: before / after / cosign
    return_to: int | None = None  # 退回: an earlier step's index; None: to the applicant
    target_active: bool = True  # 加签: False when the target has left the company
    #: 代理: approver id → who acts for them (the chain already resolved), applied when a step starts
    delegates: Mapping[str, Person] = field(default_factory=dict)
    #: escalation to the manager: approver id → their manager
    replacements: Mapping[str, Person] = field(default_factory=dict)
    escalation: str = ""  # manager / auto_approve / auto_reject / none
    round: int | None = None  # SLA actions: the round of the step they were read at
    mentions: tuple[str, ...] = ()  # comment: the @mentioned employees (resolved by the engine)
    #: attach: the file as checked and stored (name, sha256, size, type, mime); detach: ``target`` is its id
    attachment: Mapping[str, Any] | None = None


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
    returned_to: str = ""  # 退回 to the applicant: their id (the instance then waits on them)

    @property
    def waits_on(self) -> list[str]:
        """Who the graph's ``PENDING_WITH`` edges should point at afterwards."""
        return [self.returned_to] if self.status == "returned" else self.pending

    @property
    def pending(self) -> list[str]:
        """Who the instance waits on afterwards (the applicant once 退回 to them: see ``returned_to``)."""
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


def opening_steps(
    chain: Chain, *, at: str = "", delegates: Mapping[str, Person] | None = None
) -> tuple[StepState, ...]:
    """The steps a new instance of ``chain`` starts with (the first one pending, its approvers' 代理
    applied); :class:`InputError` when a step that applies has no one to approve it, or no step applies."""
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
    _activate(steps, 0, at, delegates or {}, chain.applicant_id)
    return tuple(steps)


def delegated(step: StepState, delegates: Mapping[str, Person], applicant: str) -> StepState:
    """``step`` with each approver who has a 代理 replaced by their delegate (role kept, the original
    named in ``on_behalf_of``). Not to the applicant (nobody approves their own application), and a
    delegate already on the step is not added twice."""
    approvers: list[Person] = []
    for p in step.approvers:
        d = delegates.get(p.id)
        if d is not None and d.id != applicant and not p.on_behalf_of:
            p = Person(d.id, d.name, p.role, p.id)
        if all(q.id != p.id for q in approvers):
            approvers.append(p)
    return replace(step, approvers=tuple(approvers))


def _activate(
    steps: list[StepState], index: int, at: str, delegates: Mapping[str, Person], applicant: str
) -> None:
    """Step ``index`` starts: pending since ``at``, 代理 applied, earlier approvers counted (``auto``)."""
    step = delegated(steps[index], delegates, applicant)
    steps[index] = replace(step, status="pending", since=at)
    _auto_approve(steps, index)


def _advance(
    steps: list[StepState], index: int, at: str, delegates: Mapping[str, Person], applicant: str
) -> tuple[str, int]:
    """From step ``index`` (just decided) on: the next steps start while the previous one is approved;
    returns the instance's status and step index."""
    if steps[index].status == "rejected":
        return "rejected", index
    while steps[index].status == "approved":
        index += 1
        if index >= len(steps):
            return "approved", index
        _activate(steps, index, at, delegates, applicant)
    return "pending", index


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


def _this_round(inst: Instance) -> tuple[Mapping[str, Any], ...]:
    """The audit trail since the last 退回 (a step sent back is decided afresh)."""
    last = max((i for i, a in enumerate(inst.actions) if a.get("kind") == "return"), default=-1)
    return inst.actions[last + 1 :]


def _refuse_or_unchanged(inst: Instance, action: Action) -> Unchanged:
    """For someone the current step does not wait on: a repeat or a late approver get
    :class:`Unchanged`; anyone else the error that says why they may not act."""
    current = inst.current
    assert current is not None  # a pending instance is always on one of its steps
    actor, kind = action.actor, action.kind
    if actor in current.decisions or (
        action.step is None
        and any(a.get("actor") == actor and a.get("kind") == kind for a in _this_round(inst))
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
    tag = inst.steps[step].tag if 0 <= step < len(inst.steps) else ""
    key = f"{action.kind}:{step}{tag}:{action.actor}"
    if action.kind == "add_sign":
        return f"{key}:{action.position}:{action.target}"
    if action.kind == "comment":
        digest = hashlib.sha1(action.comment.encode(), usedforsecurity=False).hexdigest()[:12]
        return f"comment:{action.actor}:{digest}"
    if action.kind in ("transfer", "remind"):
        return f"{key}:v{inst.version}"
    if action.kind == "attach":
        meta = action.attachment or {}
        file = hashlib.sha1(f"{meta.get('sha256')}\x1f{meta.get('name')}".encode(), usedforsecurity=False)
        return f"attach:{action.actor}:{file.hexdigest()[:12]}:v{inst.version}"
    if action.kind == "detach":
        return f"detach:{action.target}"
    return key


def decide(inst: Instance, action: Action) -> Transition | Unchanged:
    """What ``action`` does to ``inst``; raises :class:`NotAnApprover`, :class:`InstanceClosed`,
    :class:`InputError`, :class:`RemindTooSoon` or :class:`NotFoundError` (unknown transfer or 加签
    target) when it is not allowed. 抄送 recipients are added to the events of a step or the instance
    ending."""
    outcome = _decide(inst, action)
    if isinstance(outcome, Unchanged) or not inst.cc:
        return outcome
    ends = {e.kind for e in outcome.events} & {"approved", "rejected", "withdrawn", "step_approved"}
    if not ends:
        return outcome
    closing = bool(ends - {"step_approved"})
    cc = tuple(p.id for p in inst.cc if closing or p.role == "step")
    return replace(outcome, events=(*outcome.events, EventSpec("cc", cc))) if cc else outcome


def _decide(inst: Instance, action: Action) -> Transition | Unchanged:
    kind, actor, step = action.kind, action.actor, action.step
    key = action.key or default_key(inst, action)
    done = next((a for a in inst.actions if a.get("id") == action_id(inst.id, key)), None)
    if done is not None:
        what = KIND_ZH.get(str(done.get("kind")), "")
        return Unchanged(f"这个操作已经处理过了（{what}），无需重复：" + inst.summary())
    if inst.actions and inst.last_action == action_id(inst.id, key):
        # read between the transition and its audit record (the embedded server may run a read
        # between the two statements of one unit of work): the action is taken, its record on its way
        return Unchanged("这个操作已经处理过了，无需重复：" + inst.summary())
    if kind == "withdraw":
        if actor != inst.applicant:
            raise NotAnApprover("只有申请人可以撤回申请", "only the applicant may withdraw")
        if inst.status not in OPEN:
            raise InstanceClosed(
                f"申请{inst.status_zh}，不能撤回", f"instance is {inst.status}, cannot withdraw"
            )
        notice = EventSpec("withdrawn", tuple(inst.pending))
        return Transition("withdrawn", inst.step_index, inst.steps, key, inst.step_index, (notice,))
    if kind == "comment":
        return _comment(inst, action, key)
    if kind == "attach":
        return _attach(inst, action, key)
    if kind == "detach":
        return _detach(inst, action, key)
    if kind == "remind":
        return _remind(inst, action, key)
    if kind == "resubmit":
        return _resubmit(inst, action, key)
    if kind in SYSTEM_KINDS:
        return _sla(inst, action, key)
    if inst.status == "returned":
        if any(p.id == actor for s in inst.steps for p in s.approvers):
            raise NotAnApprover(
                "申请已退回申请人修改，待重新提交后再审批", f"{inst.id} was returned to the applicant"
            )
        raise NotAnApprover("你不是这份申请的审批人", f"{actor} approves no step of {inst.id}")
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
    if kind == "add_sign":
        return _add_sign(inst, action, key)
    if kind == "return":
        return _return(inst, action, key)
    if kind == "reject" and not action.comment.strip():
        raise InputError("驳回时请填写驳回意见，说明原因", "a rejection needs a comment")
    steps[index] = current.decided(actor, "approved" if kind == "approve" else "rejected")
    status, index = _advance(steps, index, action.at, action.delegates, inst.applicant)
    return _moved(inst, actor, Transition(status, index, tuple(steps), key, inst.step_index, ()))


def _moved(inst: Instance, actor: str, after: Transition) -> Transition:
    """``after`` with the events a decision announces: the end, the next step, or progress."""
    events: tuple[EventSpec, ...]
    status, index = after.status, after.step_index
    if status in ("approved", "rejected"):
        others = tuple(p for p in inst.pending if p != actor)  # their card is now moot
        events = (EventSpec(status, (inst.applicant, *others)),)
    elif index != inst.step_index or len(after.steps) != len(inst.steps):
        events = (EventSpec("step_approved", (inst.applicant,)), EventSpec("pending", tuple(after.pending)))
    else:  # a decision that does not move the step (one role of a 会签): progress, not "step approved"
        newly = tuple(p for p in after.pending if p not in inst.pending)
        events = (EventSpec("signed", (inst.applicant,)), EventSpec("pending", newly))
    return replace(after, events=events)


def _add_sign(inst: Instance, action: Action, key: str) -> Transition:
    """加签: ``before`` — the target approves first, then the step comes back to its approvers;
    ``after`` — a step of the target's after this one; ``cosign`` — the target joins this 会签 step
    as a role of their own (so their approval is needed too)."""
    current = inst.current
    assert current is not None
    target, index = action.target, inst.step_index
    if action.position not in ADD_SIGN_POSITIONS:
        raise InputError(
            "加签方式应为 before（前加签）、after（后加签）或 cosign（会签加签）",
            "add_sign position must be before, after or cosign",
        )
    if not target or target == action.actor:
        raise InputError("请指定加签给谁", "add_sign needs a target employee")
    if target == inst.applicant or any(p.id == target for p in current.approvers):
        raise InputError("不能加签申请人或本步骤已有的审批人", "invalid add_sign target")
    if action.target_name is None:
        raise NotFoundError(f"没有这个员工：{target}", f"no employee {target}")
    if not action.target_active:
        raise InputError(
            f"{action.target_name}（{target}）已离职，不能加签", f"{target} has left the company"
        )
    person = Person(target, action.target_name, "加签")
    steps = list(inst.steps)
    if action.position == "cosign":
        if current.mode != "会签":
            raise InputError(
                f"“{current.name}”是{current.mode}步骤，只能向会签步骤加签会签人；可选前加签或后加签",
                "cosign add_sign needs a 会签 step",
            )
        cosigner = Person(target, action.target_name, f"加签:{target}")  # a role of their own
        steps[index] = replace(current, approvers=(*current.approvers, cosigner))
        _auto_approve(steps, index)  # a co-signer who approved an earlier step is not asked again
        status, new_index = _advance(steps, index, action.at, action.delegates, inst.applicant)
        return _moved(inst, action.actor, Transition(status, new_index, tuple(steps), key, index, ()))
    added = StepState(f"加签：{action.target_name}", "依次", (person,), added_by=action.actor)
    if action.position == "after":
        steps.insert(index + 1, added)
        return Transition(
            "pending", index, tuple(steps), key, index, (EventSpec("signed", (inst.applicant,)),)
        )
    steps[index] = replace(current, status="waiting")  # comes back to its approvers after the target
    steps.insert(index, added)
    _activate(steps, index, action.at, action.delegates, inst.applicant)
    status, new_index = _advance(steps, index, action.at, action.delegates, inst.applicant)
    after = Transition(status, new_index, tuple(steps), key, index, ())
    return replace(after, events=(EventSpec("pending", tuple(after.pending)),))


def _return(inst: Instance, action: Action, key: str) -> Transition:
    """退回: to the applicant for changes (the step waits for their resubmission) or to an earlier
    step (it and every step after it start again, in a new round). Needs a comment."""
    if not action.comment.strip():
        raise InputError("退回时请填写退回意见，说明需要修改什么", "a return needs a comment")
    steps, index = list(inst.steps), inst.step_index
    to = action.return_to
    if to is None or to < 0:
        steps[index] = steps[index].reset()
        notice = EventSpec("returned", (inst.applicant, *(p for p in inst.pending if p != action.actor)))
        return Transition("returned", index, tuple(steps), key, index, (notice,), inst.applicant)
    if to >= len(steps):
        version = f"（流程第 {inst.process_version} 版）" if inst.process_version else ""
        raise InputError(
            f"这份申请{version}只有 {len(steps)} 个步骤，没有第 {to + 1} 步，无法退回",
            f"{inst.id} has {len(steps)} steps; cannot return to step {to}",
        )
    if to >= index:
        raise InputError("只能退回到之前的步骤", f"can only return to a step before {index}")
    for i in range(to, index + 1):
        steps[i] = steps[i].reset()
    _activate(steps, to, action.at, action.delegates, inst.applicant)
    status, new_index = _advance(steps, to, action.at, action.delegates, inst.applicant)
    after = Transition(status, new_index, tuple(steps), key, index, ())
    others = tuple(p for p in inst.pending if p != action.actor)
    return replace(after, events=(EventSpec("returned", (inst.applicant, *others)),
                                  EventSpec("pending", tuple(after.pending))))  # fmt: skip


def _resubmit(inst: Instance, action: Action, key: str) -> Transition:
    """The applicant resubmits an application sent back to them: the step that returned it starts again."""
    if action.actor != inst.applicant:
        raise NotAnApprover("只有申请人可以重新提交", "only the applicant may resubmit")
    if inst.status != "returned":
        if inst.status == "pending":
            raise InputError("申请没有被退回，无需重新提交", f"{inst.id} was not returned")
        raise InstanceClosed(f"申请{inst.status_zh}，不能重新提交", f"instance is {inst.status}")
    steps, index = list(inst.steps), inst.step_index
    _activate(steps, index, action.at, action.delegates, inst.applicant)
    status, new_index = _advance(steps, index, action.at, action.delegates, inst.applicant)
    after = Transition(status, new_index, tuple(steps), key, index, ())
    return replace(after, events=(EventSpec("resubmitted", tuple(after.pending)),))


def _remind(inst: Instance, action: Action, key: str) -> Transition:
    """催办: the applicant reminds who the instance waits on, at most once an hour per instance (a
    clock that went backwards counts as within the hour)."""
    if action.actor != inst.applicant:
        raise NotAnApprover("只有申请人可以催办", "only the applicant may send a reminder")
    if inst.status != "pending":
        raise InstanceClosed(f"申请{inst.status_zh}，无需催办", f"instance is {inst.status}")
    last = max((str(a.get("at", "")) for a in inst.actions if a.get("kind") == "remind"), default="")
    if last:
        elapsed = seconds_between(last, action.at)
        if elapsed < REMIND_INTERVAL_S:
            wait = max(1, int((REMIND_INTERVAL_S - max(elapsed, 0)) // 60))
            raise RemindTooSoon(
                f"一小时内只能催办一次（上次催办于 {last[:16].replace('T', ' ')} UTC），"
                f"请约 {wait} 分钟后再试",
                f"already reminded within the hour (last at {last}); try again in about {wait} minutes",
            )
    notice = EventSpec("reminded", tuple(inst.pending))
    return Transition(inst.status, inst.step_index, inst.steps, key, inst.step_index, (notice,))


MENTION = re.compile(r"@([A-Za-z0-9_\-]+|[\u4e00-\u9fff·]{2,8})")


def _comment(inst: Instance, action: Action, key: str) -> Transition:
    """A comment by anyone the instance involves, on an open or closed instance; @mentioned people
    are told (the engine resolved ``mentions`` from ``@工号`` / ``@姓名``)."""
    if not action.comment.strip():
        raise InputError("评论内容不能为空", "a comment needs text")
    if not inst.involves(action.actor):
        raise NotAnApprover("你与这份申请无关，不能评论", f"{action.actor} is not involved in {inst.id}")
    people = (inst.applicant, *(p.id for s in inst.steps for p in s.approvers))
    told = tuple(
        dict.fromkeys(p for p in people if p != action.actor and p in (inst.applicant, *inst.pending))
    )
    events = [EventSpec("commented", told)]
    mentioned = tuple(m for m in action.mentions if m != action.actor)
    if mentioned:
        events.append(EventSpec("mentioned", mentioned))
    return Transition(inst.status, inst.step_index, inst.steps, key, inst.step_index, tuple(events),
                      inst.applicant if inst.status == "returned" else "")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to an application, as its ``attach`` audit record holds it. Its id is that
    record's id; the bytes are stored by content (``sha256``) — see :mod:`approvals.attachments`."""

    id: str
    instance_id: str
    name: str
    size: int
    type: str  # what the bytes are (pdf, png, docx…), detected from them, never from the name
    mime: str
    sha256: str
    added_by: str
    added_by_name: str
    added_at: str
    step: str  # the step it was added on ("" before the first decision: the applicant's)


def attachments(inst: Instance) -> list[Attachment]:
    """The files attached to ``inst`` now (oldest first): every ``attach`` not since ``detach``-ed."""
    removed = {a.get("target") for a in inst.actions if a.get("kind") == "detach"}
    out: list[Attachment] = []
    for a in inst.actions:
        if a.get("kind") != "attach" or a.get("id") in removed:
            continue
        meta = json.loads(a.get("detail") or "{}").get("attachment") or {}
        out.append(
            Attachment(
                str(a["id"]),
                inst.id,
                str(meta.get("name", "")),
                int(meta.get("size", 0)),
                str(meta.get("type", "")),
                str(meta.get("mime", "")),
                str(meta.get("sha256", "")),
                str(a.get("actor", "")),
                str(a.get("actorName", "")),
                str(a.get("at", "")),
                str(a.get("stepName", "")),
            )
        )
    return out


def _attach(inst: Instance, action: Action, key: str) -> Transition | Unchanged:
    """A file attached by the applicant while the application is open (submitted, or sent back for
    changes), or — where the process allows it (``attachments.approvers``) — by an approver the current
    step waits on, to the step they decide. The same file under the same name, attached already: unchanged."""
    meta = action.attachment
    if not meta or not meta.get("sha256"):
        raise InputError.localized(
            N_("请上传附件文件"), "attach needs a file (POST /api/applications/{id}/attachments)"
        )
    if inst.status not in OPEN:
        raise InstanceClosed.localized(
            N_("申请已结束，不能再添加附件"),
            f"instance is {inst.status}: no more attachments",
        )
    actor = action.actor
    approver = inst.status == "pending" and actor in inst.pending and actor != inst.applicant
    if actor != inst.applicant and not approver:
        raise NotAnApprover.localized(
            N_("只有申请人和当前步骤的审批人可以添加附件"),
            f"{actor} may not attach files to {inst.id}: only its applicant and the current approvers",
        )
    if approver and not (inst.policy.get("attachments") or {}).get("approvers"):
        raise NotAnApprover.localized(
            N_("这个流程的审批人不能添加附件"), f"approvers of {inst.process_id} may not attach files"
        )
    same = [f for f in attachments(inst) if f.sha256 == meta["sha256"] and f.name == meta.get("name")]
    if same:
        return Unchanged(f"附件“{same[0].name}”已在申请中，无需重复上传")
    return Transition(inst.status, inst.step_index, inst.steps, key, inst.step_index, (),
                      inst.applicant if inst.status == "returned" else "")  # fmt: skip


def _detach(inst: Instance, action: Action, key: str) -> Transition:
    """An attachment removed by whoever added it, while the application is open."""
    found = next(
        (a for a in inst.actions if a.get("kind") == "attach" and a.get("id") == action.target), None
    )
    if found is None or action.target not in {f.id for f in attachments(inst)}:
        raise NotFoundError.localized(
            N_("没有这个附件：{id}"), f"no attachment {action.target}", id=action.target
        )
    if found.get("actor") != action.actor:
        raise NotAnApprover.localized(N_("只有上传者可以删除附件"), "only who attached a file may remove it")
    if inst.status not in OPEN:
        raise InstanceClosed.localized(
            N_("申请已结束，不能再删除附件"),
            f"instance is {inst.status}: attachments are kept",
        )
    return Transition(inst.status, inst.step_index, inst.steps, key, inst.step_index, (),
                      inst.applicant if inst.status == "returned" else "")  # fmt: skip


def _sla(inst: Instance, action: Action, key: str) -> Transition | Unchanged:
    """The SLA sweep's actions on the step it read (``step``, ``round``): a reminder to who it waits on,
    or the process's escalation policy. Unchanged once the step has moved on."""
    current = inst.current
    if (
        inst.status != "pending"
        or current is None
        or action.step != inst.step_index
        or action.round != current.round
    ):
        return Unchanged("步骤已变化，无需超时处理")
    index = inst.step_index
    if action.kind == "sla_remind":
        notice = EventSpec("sla_reminder", tuple(inst.pending))
        return Transition("pending", index, inst.steps, key, index, (notice,))
    steps = list(inst.steps)
    policy = action.escalation
    if policy == "auto_approve":
        decisions = {**current.decisions, **{g[0]: "timeout" for g in current.open_groups()}}
        steps[index] = replace(current, decisions=decisions, status="approved")
        status, new_index = _advance(steps, index, action.at, action.delegates, inst.applicant)
        return _moved(inst, SYSTEM, Transition(status, new_index, tuple(steps), key, index, ()))
    if policy == "auto_reject":
        steps[index] = replace(
            current, decisions={**current.decisions, SYSTEM: "rejected"}, status="rejected"
        )
        notice = EventSpec("rejected", (inst.applicant, *inst.pending))
        return Transition("rejected", index, tuple(steps), key, index, (notice,))
    if policy == "manager":
        waiting = set(inst.pending)
        approvers: list[Person] = []
        for p in current.approvers:
            m = action.replacements.get(p.id) if p.id in waiting else None
            if m is not None and m.id != inst.applicant and all(q.id != m.id for q in current.approvers):
                p = Person(m.id, m.name, p.role, p.on_behalf_of or p.id)
            if all(q.id != p.id for q in approvers):
                approvers.append(p)
        steps[index] = replace(current, approvers=tuple(approvers))
        after = Transition("pending", index, tuple(steps), key, index, ())
        newly = tuple(p for p in after.pending if p not in waiting)
        return replace(after, events=(EventSpec("escalated", newly),))  # a card for the managers
    # "none": the breach is recorded (and reported), nothing else changes
    return Transition("pending", index, inst.steps, key, index, (EventSpec("escalated", ()),))


def seconds_between(start: str, end: str) -> float:
    """Seconds from ``start`` to ``end`` (ISO 8601); negative when the clock went backwards."""
    from datetime import datetime

    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()

"""The built-in approval engine: instances of the graph's process definitions, 依次/会签/或签 steps,
submit / approve / reject / withdraw / transfer, an audit trail in the graph and status events.

State lives on the ``ApprovalInstance`` node (the resolved chain snapshot with each approver's
decision, as JSON) and every action is an ``ApprovalAction`` node (-ACTION_ON-> instance,
-ACTED_BY-> employee). A transition is computed in Python from the state read at version *v* and
written only if the instance is still at *v* (compare-and-set, ``approval_transition.cypher``); a
lost race re-reads and re-decides. So two 会签 approvers acting at the same moment both count, and
when two 或签 approvers act at once the step ends once: the second finds it already decided.

Actions are idempotent: an action carries a key (by default the step, the actor and the kind; a
WeCom card tap uses its task id), its record id is derived from the key, and repeating it returns
the current state with ``applied=False`` instead of acting twice.

Example::

    engine = ApprovalEngine(store)
    inst = engine.submit("PROC-EXPENSE", applicant="E1040", amount=8000, reason="客户招待").instance
    engine.act(inst.id, "approve", actor=inst.pending[0])
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from approvals.chain import resolve_chain
from graph.base import GraphStore, UnitOfWork
from graph.versions import RECORDS
from queries import load as load_query
from zhiku.errors import InputError, NotFoundError, ZhikuError
from zhiku.settings import MAX_TEXT_CHARS

log = logging.getLogger(__name__)

Kind = Literal["approve", "reject", "withdraw", "transfer"]
KINDS: tuple[str, ...] = ("approve", "reject", "withdraw", "transfer")
STATUS_ZH = {"pending": "审批中", "approved": "已通过", "rejected": "已驳回", "withdrawn": "已撤回"}
KIND_ZH = {"submit": "提交", "approve": "同意", "reject": "驳回", "withdraw": "撤回", "transfer": "转交"}
MAX_RETRIES = 50


class NotAnApprover(ZhikuError):
    """The caller may not act on this instance (not an approver of the current step, not the applicant)."""

    code = "NOT_AN_APPROVER"


class InstanceClosed(ZhikuError):
    """The instance is no longer pending (approved, rejected or withdrawn)."""

    code = "APPROVAL_CLOSED"


class Contention(ZhikuError):
    """Too many concurrent writers on one instance; the caller may retry."""

    code = "APPROVAL_BUSY"
    retryable = True


@dataclass(slots=True)
class Person:
    id: str
    name: str
    role: str = ""


@dataclass(slots=True)
class StepState:
    """One step of an instance: who approves, how, and what each of them decided."""

    name: str
    mode: str  # 依次 / 会签 / 或签
    approvers: list[Person]
    decisions: dict[str, str] = field(default_factory=dict)  # employee id → approved / rejected
    status: str = "waiting"  # waiting / pending / approved / rejected

    def _groups(self) -> list[list[str]]:
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
            for group in self._groups():
                if not any(self.decisions.get(i) in ("approved", "auto") for i in group):
                    return group
            return []
        return [p.id for p in self.approvers if p.id not in self.decisions]

    def record(self, actor: str, decision: str) -> None:
        self.decisions[actor] = decision
        if decision == "rejected":
            self.status = "rejected"
        elif self.mode == "或签" or not self._still_needed():
            self.status = "approved"

    def _still_needed(self) -> bool:
        if self.mode == "依次":
            return any(
                not any(self.decisions.get(i) in ("approved", "auto") for i in g) for g in self._groups()
            )
        return any(p.id not in self.decisions for p in self.approvers)


@dataclass(slots=True)
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
    step_index: int
    steps: list[StepState]
    version: int
    created_at: str
    updated_at: str
    actions: list[dict[str, Any]] = field(default_factory=list)

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
    def from_row(cls, row: dict[str, Any], actions: list[dict[str, Any]] | None = None) -> Instance:
        steps = [
            StepState(
                s["name"],
                s["mode"],
                [Person(**p) for p in s["approvers"]],
                dict(s.get("decisions", {})),
                s.get("status", "waiting"),
            )
            for s in json.loads(row["steps"])
        ]
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
            [a for a in (actions or []) if a],
        )


@dataclass(frozen=True, slots=True)
class ApprovalEvent:
    """A status change, published on the event stream and to in-process listeners."""

    kind: str  # submitted / step_approved / pending / approved / rejected / withdrawn / transferred
    instance_id: str
    process_id: str
    status: str
    step: str
    actor: str
    recipients: tuple[str, ...]  # who should hear about it (approvers now pending, the applicant)
    at: str
    summary: str

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["recipients"] = list(self.recipients)
        return data


@dataclass(frozen=True, slots=True)
class ActionResult:
    instance: Instance
    applied: bool  # False: a repeat of an action already taken, or a step someone else already closed
    message: str
    events: tuple[ApprovalEvent, ...] = ()


Listener = Callable[[ApprovalEvent], None]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def steps_json(steps: Iterable[StepState]) -> str:
    return json.dumps([asdict(s) for s in steps], ensure_ascii=False, separators=(",", ":"))


def _auto_approve(steps: list[StepState], index: int) -> None:
    """Someone who already approved an earlier step of this instance is not asked again (a common OA
    rule: the direct manager who also heads the department signs once); recorded as ``auto``."""
    approved_before = {i for s in steps[:index] for i, d in s.decisions.items() if d in ("approved", "auto")}
    step = steps[index]
    for person in list(step.pending()):
        if person in approved_before and step.status == "pending":
            step.record(person, "auto")


def action_id(instance_id: str, key: str) -> str:
    """The audit record id of an action: derived from its idempotency key."""
    digest = hashlib.sha1(f"{instance_id}\x1f{key}".encode(), usedforsecurity=False).hexdigest()[:20]
    return f"ACT-{digest}"


class ApprovalEngine:
    """Submit and act on approval instances stored in ``store``.

    ``listeners`` are called (after the write) with each event; the API adds one that publishes to the
    Redis event stream and one that pushes WeCom cards. ``triggers`` map a completed process to the
    processes started after it (``{"PROC-CONTRACT": ["PROC-SEAL"]}``).
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        listeners: Iterable[Listener] = (),
        triggers: dict[str, list[str]] | None = None,
    ) -> None:
        self.store = store
        self.listeners: list[Listener] = list(listeners)
        self.triggers = triggers or {}

    # -- reads ----------------------------------------------------------------------------------

    def get(self, instance_id: str) -> Instance:
        rows = self.store.query(load_query("approval_get").text, {"id": instance_id})
        if not rows or not rows[0]["instance"]:
            raise NotFoundError(f"没有这个审批：{instance_id}", f"no approval instance {instance_id}")
        return Instance.from_row(rows[0]["instance"], rows[0]["actions"])

    def list_for(
        self, employee: str, role: str = "applied", *, status: str | None = None, limit: int = 50
    ) -> list[Instance]:
        """Instances someone applied for (``applied``), must act on (``todo``) or acted on (``handled``)."""
        if role not in ("applied", "todo", "handled"):
            raise InputError("role 应为 applied、todo 或 handled", "role must be applied, todo or handled")
        rows = self.store.query(
            load_query("approvals_of").text,
            {"employee": employee, "role": role, "status": status, "limit": limit},
        )
        return [Instance.from_row(r["instance"]) for r in rows]

    # -- writes ---------------------------------------------------------------------------------

    def submit(
        self,
        process: str,
        *,
        applicant: str,
        amount: float | None = None,
        days: float | None = None,
        reason: str = "",
        key: str | None = None,
        channel: str = "graphql",
        triggered_by: str | None = None,
    ) -> ActionResult:
        """Start an instance. ``key`` makes a retried submission return the first one."""
        reason = reason.strip()[:MAX_TEXT_CHARS]
        chain = resolve_chain(self.store, process, applicant=applicant, amount=amount, days=days)
        steps: list[StepState] = []
        for s in chain.active_steps:
            if not s.approvers:
                raise InputError(
                    f"流程“{chain.process_name}”的步骤“{s.name}”没有可用的审批人"
                    f"（{'、'.join(s.unresolved) or '未配置'}），请联系管理员",
                    f"step {s.name} of {chain.process_id} has no approver for {applicant}",
                )
            steps.append(StepState(s.name, s.mode, [Person(a.id, a.name, a.role) for a in s.approvers]))
        if not steps:
            raise InputError(f"流程“{chain.process_name}”没有适用的审批步骤", "no step applies")
        steps[0].status = "pending"
        digest = hashlib.sha1(
            f"{applicant}\x1f{key}".encode() if key else uuid.uuid4().bytes, usedforsecurity=False
        ).hexdigest()[:10]
        instance_id = f"AP-{datetime.now(UTC):%Y%m%d}-{digest}" if not key else f"AP-{digest}"
        if key:
            try:
                existing = self.get(instance_id)
                return ActionResult(existing, False, "该申请已提交过：" + existing.summary())
            except NotFoundError:
                pass
        at = now()
        title = f"{chain.applicant_name}的{chain.process_name}"
        if amount is not None:
            title += f"（{amount:g}元）"
        elif days is not None:
            title += f"（{days:g}天）"
        submit_id = action_id(instance_id, "submit")
        params = {
            "id": instance_id,
            "process": chain.process_id,
            "applicant": applicant,
            "name": title,
            "amount": amount,
            "days": days,
            "reason": reason,
            "status": "pending",
            "stepIndex": 0,
            "steps": steps_json(steps),
            "action": submit_id,
            "at": at,
        }
        pending = steps[0].pending()
        with UnitOfWork(self.store, writes=RECORDS) as uow:
            uow.run(load_query("approval_create").text, params)
            uow.run(
                load_query("approval_record").text,
                self._record(instance_id, submit_id, 1, "submit", -1, "", applicant, None, reason, channel,
                             pending, at),
            )  # fmt: skip
        if triggered_by:
            self.store.execute(
                "MATCH (a:Resource {id: $a}), (b:Resource {id: $b}) MERGE (a)-[:TRIGGERED_BY]->(b)",
                {"a": instance_id, "b": triggered_by},
                writes=RECORDS,
            )
        instance = self.get(instance_id)
        event = self._event("submitted", instance, applicant, tuple(pending))
        self._emit([event])
        return ActionResult(instance, True, "已提交：" + instance.summary(), (event,))

    def act(
        self,
        instance_id: str,
        kind: str,
        *,
        actor: str,
        comment: str = "",
        target: str | None = None,
        step: int | None = None,
        key: str | None = None,
        channel: str = "graphql",
    ) -> ActionResult:
        """Approve, reject, withdraw or transfer. ``step`` pins the step the caller saw (a card does)."""
        if kind not in KINDS:
            raise InputError(f"不支持的审批操作：{kind}", f"unknown approval action {kind}")
        comment = comment.strip()[:MAX_TEXT_CHARS]
        for _ in range(MAX_RETRIES):
            instance = self.get(instance_id)
            outcome = self._decide(instance, kind, actor, comment, target, step, key)
            if isinstance(outcome, ActionResult):
                return outcome
            new_status, new_index, steps, events_spec, act_key, act_step = outcome
            at = now()
            record_id = action_id(instance_id, act_key)
            cur = instance.steps[act_step] if 0 <= act_step < len(instance.steps) else None
            pending = steps[new_index].pending() if new_status == "pending" and new_index < len(steps) else []
            with UnitOfWork(self.store, writes=RECORDS) as uow:
                uow.run(
                    load_query("approval_transition").text,
                    {
                        "id": instance_id,
                        "version": instance.version,
                        "status": new_status,
                        "stepIndex": new_index,
                        "steps": steps_json(steps),
                        "action": record_id,
                        "at": at,
                    },
                )
                uow.run(
                    load_query("approval_record").text,
                    self._record(instance_id, record_id, instance.version + 1, kind, act_step,
                                 cur.name if cur else "", actor, target, comment, channel, pending, at),
                )  # fmt: skip
            if not uow.results[0]:
                log.debug("approval %s moved under us (v%d); retrying", instance_id, instance.version)
                continue
            after = self.get(instance_id)
            events = [self._event(k, after, actor, recipients) for k, recipients in events_spec(after)]
            self._emit(events)
            result = ActionResult(after, True, f"已{KIND_ZH[kind]}：" + after.summary(), tuple(events))
            if after.status == "approved":
                self._run_triggers(after)
            return result
        raise Contention("审批正忙，请稍后重试", f"could not update {instance_id} after {MAX_RETRIES} tries")

    # -- the rules ------------------------------------------------------------------------------

    def _decide(
        self,
        inst: Instance,
        kind: str,
        actor: str,
        comment: str,
        target: str | None,
        step: int | None,
        key: str | None,
    ) -> ActionResult | tuple[Any, ...]:
        """Either a final answer (nothing to write) or the transition to write."""
        act_key = key or f"{kind}:{inst.step_index if step is None else step}:{actor}"
        if any(a.get("id") == action_id(inst.id, act_key) for a in inst.actions):
            return ActionResult(inst, False, "这个操作已经处理过了，无需重复：" + inst.summary())
        if kind == "withdraw":
            if actor != inst.applicant:
                raise NotAnApprover("只有申请人可以撤回申请", "only the applicant may withdraw")
            if inst.status != "pending":
                raise InstanceClosed(
                    f"申请{inst.status_zh}，不能撤回", f"instance is {inst.status}, cannot withdraw"
                )
            steps = inst.steps

            def withdrawn(after: Instance) -> list[tuple[str, tuple[str, ...]]]:
                return [("withdrawn", tuple(inst.pending))]

            return ("withdrawn", inst.step_index, steps, withdrawn, act_key, inst.step_index)
        if inst.status != "pending":
            if step is not None or any(
                a.get("actor") == actor and a.get("kind") == kind for a in inst.actions
            ):
                return ActionResult(inst, False, f"申请{inst.status_zh}，无需再处理")
            raise InstanceClosed(f"申请{inst.status_zh}，不能再{KIND_ZH[kind]}", f"instance is {inst.status}")
        if step is not None and step != inst.step_index:
            if not (0 <= step < len(inst.steps)) or not any(
                p.id == actor for p in inst.steps[step].approvers
            ):
                raise NotAnApprover("你不是这一步的审批人", f"{actor} is not an approver of step {step}")
            done = inst.steps[step]
            by = "、".join(inst.name_of(i) for i, d in done.decisions.items())
            return ActionResult(
                inst, False, f"“{done.name}”已由{by or '他人'}处理，无需再操作：" + inst.summary()
            )
        current = inst.current
        assert current is not None
        if actor not in current.pending():
            if actor in current.decisions or (
                step is None and any(a.get("actor") == actor and a.get("kind") == kind for a in inst.actions)
            ):
                return ActionResult(inst, False, "你已经处理过了，无需重复：" + inst.summary())
            if any(p.id == actor for p in current.approvers):  # 依次: not their turn yet
                raise NotAnApprover("还没有轮到你审批", f"{actor} is not next in step {current.name}")
            raise NotAnApprover("你不是当前步骤的审批人", f"{actor} is not an approver of the current step")
        steps = [
            StepState(s.name, s.mode, list(s.approvers), dict(s.decisions), s.status) for s in inst.steps
        ]
        cur = steps[inst.step_index]
        index = inst.step_index
        if kind == "transfer":
            if not target or target == actor:
                raise InputError("请指定转交给谁", "transfer needs a target employee")
            if target == inst.applicant or any(p.id == target for p in cur.approvers):
                raise InputError("不能转交给申请人或本步骤已有的审批人", "invalid transfer target")
            rows = self.store.query(load_query("entities_by_ids").text, {"ids": [target]})
            if not rows or "Employee" not in rows[0]["labels"]:
                raise NotFoundError(f"没有这个员工：{target}", f"no employee {target}")
            target_name = str(rows[0]["properties"].get("name", target))
            cur.approvers = [
                Person(target, target_name, p.role) if p.id == actor else p for p in cur.approvers
            ]

            def transferred(after: Instance) -> list[tuple[str, tuple[str, ...]]]:
                return [("transferred", (target, after.applicant))]

            return ("pending", index, steps, transferred, act_key, index)
        cur.record(actor, "approved" if kind == "approve" else "rejected")
        status = "pending"
        if cur.status == "rejected":
            status = "rejected"
        while status == "pending" and steps[index].status == "approved":
            index += 1
            if index >= len(steps):
                status = "approved"
                break
            steps[index].status = "pending"
            _auto_approve(steps, index)

        def happened(after: Instance) -> list[tuple[str, tuple[str, ...]]]:
            if after.status in ("approved", "rejected"):
                others = tuple(p for p in inst.pending if p != actor)  # their card is now moot
                return [(after.status, (after.applicant, *others))]
            if after.step_index != inst.step_index:
                return [
                    ("step_approved", (after.applicant,)),
                    ("pending", tuple(after.pending)),
                ]
            return [("pending", tuple(p for p in after.pending if p not in inst.pending))]

        return (status, index, steps, happened, act_key, inst.step_index)

    # -- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _record(
        instance_id: str,
        record_id: str,
        seq: int,
        kind: str,
        step: int,
        step_name: str,
        actor: str,
        target: str | None,
        comment: str,
        channel: str,
        pending: list[str],
        at: str,
    ) -> dict[str, Any]:
        return {
            "id": instance_id,
            "action": record_id,
            "seq": seq,
            "kind": kind,
            "step": step,
            "stepName": step_name,
            "employee": actor,
            "target": target,
            "comment": comment,
            "channel": channel,
            "pending": pending,
            "at": at,
        }

    @staticmethod
    def _event(kind: str, inst: Instance, actor: str, recipients: tuple[str, ...]) -> ApprovalEvent:
        step = inst.current
        return ApprovalEvent(
            kind,
            inst.id,
            inst.process_id,
            inst.status,
            step.name if step else "",
            actor,
            tuple(dict.fromkeys(r for r in recipients if r)),
            inst.updated_at,
            inst.summary(),
        )

    def announce(self, kind: str, inst: Instance, actor: str, recipients: tuple[str, ...]) -> None:
        """Publish an event about ``inst`` that happened elsewhere (e.g. in WeCom's approval app)."""
        self._emit([self._event(kind, inst, actor, recipients)])

    def _emit(self, events: list[ApprovalEvent]) -> None:
        for event in events:
            if not event.recipients and event.kind == "pending":
                continue
            for listener in self.listeners:
                try:
                    listener(event)
                except Exception:  # a notifier failing must not undo an approval that is already written
                    log.exception("approval listener failed for %s", event.instance_id)

    def _run_triggers(self, inst: Instance) -> None:
        for follow_up in self.triggers.get(inst.process_id, []):
            try:
                self.submit(
                    follow_up,
                    applicant=inst.applicant,
                    amount=inst.amount,
                    days=inst.days,
                    reason=f"由{inst.name}（{inst.id}）审批通过后自动发起",
                    key=f"trigger:{inst.id}:{follow_up}",
                    channel="trigger",
                    triggered_by=inst.id,
                )
            except ZhikuError as exc:
                log.error("follow-up %s after %s failed: %s", follow_up, inst.id, exc.one_line())

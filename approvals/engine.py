"""The built-in approval engine: instances of the graph's process definitions, 依次/会签/或签 steps,
submit / approve / reject / withdraw / transfer, an audit trail in the graph and status events.

The rules — what an action does to an instance — are the pure function :func:`approvals.rules.decide`;
this module does the I/O around it. State lives on the ``ApprovalInstance`` node (the resolved chain
snapshot with each approver's decision, as JSON) and every action is an ``ApprovalAction`` node
(-ACTION_ON-> instance, -ACTED_BY-> employee). A transition is decided from the state read at version
*v* and written only if the instance is still at *v* (compare-and-set, ``approval_transition.cypher``); a
lost race re-reads and re-decides. The audit record and the ``PENDING_WITH`` edges are written only by
the attempt whose compare-and-set won: the transition stamps the instance with a fresh attempt id and
``approval_record.cypher`` checks it — so a losing attempt that shares an idempotency key (a card's
approve and reject taps, one tap delivered twice) cannot rewrite who the instance waits on from its
stale read. So two 会签 approvers acting at the same moment both count, and
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
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from approvals.chain import Chain, resolve_chain
from approvals.rules import (
    KIND_ZH,
    Action,
    Instance,
    Unchanged,
    action_id,
    decide,
    opening_steps,
    parse_kind,
    steps_json,
)
from graph.base import GraphStore, UnitOfWork
from graph.versions import RECORDS
from queries import load as load_query
from zhiku.errors import InputError, NotFoundError, ZhikuError
from zhiku.settings import MAX_TEXT_CHARS
from zhiku.types import ActionResult

log = logging.getLogger(__name__)

MAX_RETRIES = 50


class Contention(ZhikuError):
    """Too many concurrent writers on one instance; the caller may retry."""

    code = "APPROVAL_BUSY"
    retryable = True


@dataclass(frozen=True, slots=True)
class ApprovalEvent:
    """A status change, published on the event stream and to in-process listeners."""

    kind: str  # submitted / signed / step_approved / pending / approved / rejected / withdrawn / transferred
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
class ApprovalResult(ActionResult):
    """An action's outcome with the instance as it now stands (``applied`` False: a repeat of an action
    already taken, or a step someone else already closed)."""

    instance: Instance
    events: tuple[ApprovalEvent, ...] = ()


Listener = Callable[[ApprovalEvent], None]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


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
    ) -> ApprovalResult:
        """Start an instance. ``key`` makes a retried submission return the first one."""
        reason = reason.strip()[:MAX_TEXT_CHARS]
        chain = resolve_chain(self.store, process, applicant=applicant, amount=amount, days=days)
        opening_steps(chain)  # refuse a chain with a step no one can approve before anything else
        digest = hashlib.sha1(
            f"{applicant}\x1f{key}".encode() if key else uuid.uuid4().bytes, usedforsecurity=False
        ).hexdigest()[:10]
        instance_id = f"AP-{datetime.now(UTC):%Y%m%d}-{digest}" if not key else f"AP-{digest}"
        if key:
            try:
                existing = self.get(instance_id)
            except NotFoundError:
                pass
            else:
                was = (existing.process_id, existing.amount, existing.days, existing.reason)
                same = was == (chain.process_id, amount, days, reason)
                if not same:  # a key names one submission: reusing it for another is a caller's bug
                    raise InputError(
                        f"这个幂等键已用于另一份申请（{existing.name}），请为新申请换一个幂等键",
                        f"idempotency key {key!r} was used for another application ({existing.id})",
                    )
                return ApprovalResult(False, "该申请已提交过：" + existing.summary(), existing)
        title = f"{chain.applicant_name}的{chain.process_name}"
        if amount is not None:
            title += f"（{amount:g}元）"
        elif days is not None:
            title += f"（{days:g}天）"
        instance = self.open_instance(
            chain,
            instance_id=instance_id,
            title=title,
            reason=reason,
            channel=channel,
            triggered_by=triggered_by,
        )
        event = self._event("submitted", instance, applicant, tuple(instance.pending))
        self._emit([event])
        return ApprovalResult(True, "已提交：" + instance.summary(), instance, (event,))

    def open_instance(
        self,
        chain: Chain,
        *,
        instance_id: str,
        title: str,
        reason: str,
        channel: str,
        triggered_by: str | None = None,
    ) -> Instance:
        """Write a new pending instance of ``chain`` (for its applicant, amount and days) with its submit
        record — and the link to the instance that ``triggered_by`` it — in one unit of work, and return
        it as stored. Emits nothing: :meth:`submit` announces its own instances; WeCom's approval app
        (``wecom.oa``) opens the mirror of one it decides itself."""
        steps = opening_steps(chain)
        at = now()
        submit_id = action_id(instance_id, "submit")
        attempt = uuid.uuid4().hex
        params = {
            "id": instance_id,
            "process": chain.process_id,
            "applicant": chain.applicant_id,
            "name": title,
            "amount": chain.amount,
            "days": chain.days,
            "reason": reason,
            "status": "pending",
            "stepIndex": 0,
            "steps": steps_json(steps),
            "action": submit_id,
            "attempt": attempt,
            "at": at,
        }
        with UnitOfWork(self.store, writes=RECORDS) as uow:
            uow.run(load_query("approval_create").text, params)
            uow.run(
                load_query("approval_record").text,
                self._record(instance_id, submit_id, attempt, 1, "submit", -1, "", chain.applicant_id, None,
                             reason, channel, steps[0].pending(), at),
            )  # fmt: skip
            if triggered_by:
                uow.run(
                    "MATCH (a:Resource {id: $a}), (b:Resource {id: $b}) MERGE (a)-[:TRIGGERED_BY]->(b)",
                    {"a": instance_id, "b": triggered_by},
                )
        return self.get(instance_id)

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
    ) -> ApprovalResult:
        """Approve, reject, withdraw or transfer. ``step`` pins the step the caller saw (a card does)."""
        comment = comment.strip()[:MAX_TEXT_CHARS]
        action = Action(parse_kind(kind), actor, target, None, step, key, comment)
        if action.kind == "transfer" and target:
            action = replace(action, target_name=self._employee_name(target))
        for _ in range(MAX_RETRIES):
            instance = self.get(instance_id)
            decision = decide(instance, action)
            if isinstance(decision, Unchanged):
                return ApprovalResult(False, decision.message, instance)
            at = now()
            record_id = action_id(instance_id, decision.key)
            attempt = uuid.uuid4().hex  # stamped by the transition; the record is written only if it won
            act_step = decision.acted_step
            cur = instance.steps[act_step] if 0 <= act_step < len(instance.steps) else None
            with UnitOfWork(self.store, writes=RECORDS) as uow:
                uow.run(
                    load_query("approval_transition").text,
                    {
                        "id": instance_id,
                        "version": instance.version,
                        "status": decision.status,
                        "stepIndex": decision.step_index,
                        "steps": steps_json(decision.steps),
                        "action": record_id,
                        "attempt": attempt,
                        "at": at,
                    },
                )
                uow.run(
                    load_query("approval_record").text,
                    self._record(instance_id, record_id, attempt, instance.version + 1, kind, act_step,
                                 cur.name if cur else "", actor, target, comment, channel, decision.pending,
                                 at),
                )  # fmt: skip
            if not uow.results[0]:
                log.debug("approval %s moved under us (v%d); retrying", instance_id, instance.version)
                continue
            after = self.get(instance_id)
            events = [self._event(e.kind, after, actor, e.recipients) for e in decision.events]
            self._emit(events)
            result = ApprovalResult(True, f"已{KIND_ZH[kind]}：" + after.summary(), after, tuple(events))
            if after.status == "approved":
                self._run_triggers(after)
            return result
        raise Contention("审批正忙，请稍后重试", f"could not update {instance_id} after {MAX_RETRIES} tries")

    def _employee_name(self, employee: str) -> str | None:
        """An employee's name from the directory; ``None`` when ``employee`` is not one."""
        rows = self.store.query(load_query("entities_by_ids").text, {"ids": [employee]})
        if not rows or "Employee" not in rows[0]["labels"]:
            return None
        return str(rows[0]["properties"].get("name", employee))

    # -- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _record(
        instance_id: str,
        record_id: str,
        attempt: str,
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
            "attempt": attempt,
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

"""The built-in approval engine: instances of the graph's process definitions, 依次/会签/或签 steps,
submit / approve / reject / withdraw / transfer / 加签 / 退回 / resubmit / 催办 / comment, 代理
(delegation, also derived from approved leave), the SLA sweep's reminders and escalations
(:mod:`approvals.sla`), an audit trail in the graph and status events. Time comes from an injectable
clock; an instance keeps the definition version, SLA policy and 抄送 it started with.

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
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from approvals.chain import Chain, resolve_chain
from approvals.rules import (
    KIND_ZH,
    MENTION,
    SYSTEM,
    SYSTEM_KINDS,
    Action,
    Instance,
    Person,
    Unchanged,
    action_id,
    decide,
    opening_steps,
    parse_kind,
    seconds_between,
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
#: How far a 代理 chain is followed (A→B→C…); longer chains are a data error and stop there.
MAX_DELEGATION_DEPTH = 10
#: SLA defaults when the process does not say.
DEFAULT_REMINDERS = (0.5, 1.0)
DEFAULT_ESCALATION = "manager"

Clock = Callable[[], datetime]
#: What an audit record (``approval_record.cypher``) holds beyond the basics, when an action has none
#: of it (a submit, a sync from WeCom's approval app).
AUDIT_DEFAULTS: dict[str, Any] = {
    "onBehalfOf": None, "round": 0, "detail": None, "waitedHours": None, "waitingOn": [],
}  # fmt: skip


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
    return stamp(datetime.now(UTC))


def stamp(moment: datetime) -> str:
    """A moment as stored: ISO 8601 in UTC, milliseconds (so strings sort as times)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def period_bound(text: str, *, end: bool = False) -> str:
    """A period's start or end as stored: a date alone means the whole day (an end date is inclusive,
    stored as the next day's start); :class:`InputError` when it is not a date or time."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
            return stamp(datetime(day.year, day.month, day.day, tzinfo=UTC))
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"日期格式不对：{text}（应如 2026-02-16）", f"not an ISO date or time: {text}"
        ) from None
    return stamp(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


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
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.listeners: list[Listener] = list(listeners)
        self.triggers = triggers or {}
        self.clock: Clock = clock or (lambda: datetime.now(UTC))

    def now(self) -> str:
        """The engine's clock (injectable: the SLA tests and the month simulation drive it)."""
        return stamp(self.clock())

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
        cc: Iterable[str] = (),
        period: tuple[str, str] | None = None,
        delegate: str | None = None,
    ) -> ApprovalResult:
        """Start an instance. ``key`` makes a retried submission return the first one. ``cc``: people,
        positions or roles copied (抄送) when it ends, besides the process's own; ``period`` (start,
        end — dates are whole days) and ``delegate``: for a leave, when the applicant is away and who
        approves for them then (else their manager)."""
        reason = reason.strip()[:MAX_TEXT_CHARS]
        chain = resolve_chain(self.store, process, applicant=applicant, amount=amount, days=days)
        opening_steps(chain)  # refuse a chain with a step no one can approve before anything else
        digest = hashlib.sha1(
            f"{applicant}\x1f{key}".encode() if key else uuid.uuid4().bytes, usedforsecurity=False
        ).hexdigest()[:10]
        instance_id = f"AP-{self.clock():%Y%m%d}-{digest}" if not key else f"AP-{digest}"
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
        if delegate is not None and delegate == applicant:
            raise InputError("代理人不能是自己", "the delegate must be someone else")
        if delegate is not None and self._employee_name(delegate) is None:
            raise NotFoundError(f"没有这个员工：{delegate}", f"no employee {delegate}")
        instance = self.open_instance(
            chain,
            instance_id=instance_id,
            title=title,
            reason=reason,
            channel=channel,
            triggered_by=triggered_by,
            cc=tuple(cc),
            period=period,
            delegate=delegate,
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
        cc: tuple[str, ...] = (),
        period: tuple[str, str] | None = None,
        delegate: str | None = None,
    ) -> Instance:
        """Write a new pending instance of ``chain`` (for its applicant, amount and days) with its submit
        record — and the link to the instance that ``triggered_by`` it — in one unit of work, and return
        it as stored. It keeps its process's definition version, SLA policy and 抄送. Emits nothing:
        :meth:`submit` announces its own instances; WeCom's approval app (``wecom.oa``) opens the mirror
        of one it decides itself."""
        at = self.now()
        people = {a.id for s in chain.active_steps for a in s.approvers}
        steps = opening_steps(chain, at=at, delegates=self.delegates(people, at))
        rows = self.store.query(load_query("process_policy").text, {"id": chain.process_id})
        meta = rows[0] if rows else {}
        policy = {
            "sla_hours": meta.get("slaHours"),
            "reminders": sorted(float(x) for x in _as_list(meta.get("reminders"))) or list(DEFAULT_REMINDERS),
            "escalation": meta.get("escalation") or DEFAULT_ESCALATION,
            "clock": meta.get("clock") or "calendar",
        }
        files = {
            "max_bytes": meta.get("attachmentMaxBytes"),
            "types": sorted(str(t) for t in _as_list(meta.get("attachmentTypes"))),
            "approvers": bool(meta.get("approversAttach")),
            "ingest": bool(meta.get("ingestAttachments")),
        }
        if any(files.values()):  # the process's own attachment rules (else Zhiku's defaults apply)
            policy["attachments"] = files
        cc_ids = [*_as_list(meta.get("cc")), *cc]
        copied = self.store.query(load_query("cc_people").text, {"ids": cc_ids}) if cc_ids else []
        unknown = [c for c in cc if not self.store.query(load_query("cc_people").text, {"ids": [c]})]
        if unknown:
            raise NotFoundError(f"抄送对象不存在或已离职：{'、'.join(unknown)}", f"unknown cc {unknown}")
        cc_people = [
            {"id": r["id"], "name": r["name"], "role": "", "on_behalf_of": ""}
            for r in sorted(copied, key=lambda r: r["id"])
            if r["id"] != chain.applicant_id
        ]
        start = end = None
        if period is not None:
            start, end = period_bound(period[0]), period_bound(period[1], end=True)
            if end <= start:
                raise InputError("结束时间应晚于开始时间", "the period ends before it starts")
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
            "processVersion": int(meta.get("version") or 0),
            "policy": json.dumps(policy, ensure_ascii=False),
            "cc": json.dumps(cc_people, ensure_ascii=False),
            "absence": bool(meta.get("absence")),
            "periodStart": start,
            "periodEnd": end,
            "delegate": delegate,
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
        position: str = "",
        return_to: int | None = None,
    ) -> ApprovalResult:
        """Approve, reject, withdraw, transfer, 加签 (``target``, ``position`` before / after / cosign),
        退回 (``return_to``: an earlier step's index, or None for the applicant), resubmit, 催办
        (remind) or comment (``@工号``/``@姓名`` mention people). ``step`` pins the step the caller saw
        (a card does)."""
        parsed = parse_kind(kind)
        if parsed in SYSTEM_KINDS or actor == SYSTEM:
            raise InputError(f"不支持的审批操作：{kind}", f"{kind} is taken by the SLA sweep only")
        comment = comment.strip()[:MAX_TEXT_CHARS]
        action = Action(
            parsed, actor, target, None, step, key, comment, position=position, return_to=return_to
        )
        if action.kind in ("transfer", "add_sign") and target:
            action = replace(action, target_name=self._employee_name(target))
            if action.kind == "add_sign" and action.target_name is not None:
                action = replace(action, target_active=self._active(target))
        return self._apply(instance_id, action, channel)

    def attach(
        self, instance_id: str, *, actor: str, attachment: dict[str, Any], channel: str
    ) -> ApprovalResult:
        """Record a file attached to the instance (``attachment``: name, size, type, mime, sha256 — its
        bytes already stored by :class:`approvals.attachments.Attachments`, which checks them)."""
        action = Action("attach", actor, attachment=attachment)
        return self._apply(instance_id, action, channel, {"attachment": attachment})

    def detach(self, instance_id: str, *, actor: str, attachment: str, channel: str) -> ApprovalResult:
        """Record an attachment (its id) removed from the instance."""
        return self._apply(instance_id, Action("detach", actor, target=attachment), channel)

    def sla_act(self, inst: Instance, kind: str, *, key: str, detail: dict[str, Any]) -> ApprovalResult:
        """The SLA sweep's reminder (``sla_remind``) or escalation (``escalate``) on ``inst``'s current
        step, at most once per ``key`` (see :mod:`approvals.sla`)."""
        current = inst.current
        action = Action(
            parse_kind(kind),
            SYSTEM,
            step=inst.step_index,
            key=key,
            round=current.round if current else None,
            escalation=str(inst.policy.get("escalation") or DEFAULT_ESCALATION),
        )
        return self._apply(inst.id, action, "sla", detail)

    def _apply(
        self, instance_id: str, action: Action, channel: str, detail: dict[str, Any] | None = None
    ) -> ApprovalResult:
        kind, actor = action.kind, action.actor
        for _ in range(MAX_RETRIES):
            instance = self.get(instance_id)
            # an instance's times never run backwards, whatever the clock does
            at = max(self.now(), instance.updated_at)
            action = self._prepared(instance, replace(action, at=at))
            decision = decide(instance, action)
            if isinstance(decision, Unchanged):
                return ApprovalResult(False, decision.message, instance)
            record_id = action_id(instance_id, decision.key)
            attempt = uuid.uuid4().hex  # stamped by the transition; the record is written only if it won
            act_step = decision.acted_step
            cur = instance.steps[act_step] if 0 <= act_step < len(instance.steps) else None
            behalf = next((p.on_behalf_of for p in cur.approvers if p.id == actor), "") if cur else ""
            waited = (
                round(seconds_between(cur.since, at) / 3600, 3)
                if cur and cur.since and instance.status == "pending"
                else None
            )
            extra = dict(detail or {})
            if action.position:
                extra["position"] = action.position
            if kind == "return":
                extra["return_to"] = action.return_to
            if action.mentions:
                extra["mentions"] = list(action.mentions)
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
                record = self._record(instance_id, record_id, attempt, instance.version + 1, kind, act_step,
                                      cur.name if cur else "", actor, action.target, action.comment, channel,
                                      decision.waits_on, at)  # fmt: skip
                record.update(
                    onBehalfOf=behalf or None,
                    round=cur.round if cur else 0,
                    detail=json.dumps(extra, ensure_ascii=False) if extra else None,
                    waitedHours=waited,
                    waitingOn=instance.pending,
                )
                uow.run(load_query("approval_record").text, record)
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

    def _prepared(self, inst: Instance, action: Action) -> Action:
        """``action`` with what deciding it needs from the graph: the 代理 of everyone a step may start
        with, the managers of who it waits on (escalation), the @mentioned people."""
        if action.kind in ("approve", "return", "resubmit", "add_sign", "escalate"):
            people = {p.id for s in inst.steps for p in s.approvers}
            if action.target:
                people.add(action.target)
            action = replace(action, delegates=self.delegates(people, action.at))
        if action.kind == "escalate" and action.escalation == "manager":
            rows = self.store.query(
                load_query("approval_delegations").text, {"ids": inst.pending, "at": action.at}
            )
            managers = {
                r["employee"]: Person(r["manager"], r["managerName"] or r["manager"])
                for r in rows
                if r["manager"]
            }
            action = replace(action, replacements=managers)
        if action.kind == "comment":
            action = replace(action, mentions=self._mentions(inst, action.comment))
        return action

    def _mentions(self, inst: Instance, text: str) -> tuple[str, ...]:
        """The employees ``@工号`` / ``@姓名`` in ``text`` name (names: people on the instance)."""
        names = {inst.name_of(p.id): p.id for s in inst.steps for p in s.approvers}
        names[inst.applicant_name] = inst.applicant
        found: list[str] = []
        for token in MENTION.findall(text):
            hit = names.get(token) or next((i for n, i in names.items() if n and token.startswith(n)), None)
            if hit is None and self._employee_name(token) is not None:
                hit = token
            if hit and hit not in found:
                found.append(hit)
        return tuple(found)

    # -- 代理 (delegation) ----------------------------------------------------------------------------

    def delegates(self, people: Iterable[str], at: str) -> dict[str, Person]:
        """Who acts for each of ``people`` at ``at``: their own delegation, else — while an approved
        leave covers ``at`` — the delegate named on it, else their manager; followed along the chain
        (A→B→C: B is away too). A chain that comes back to someone already on it stops: nobody on
        a loop delegates (they keep their steps). People who are not away are left out."""
        direct: dict[str, str] = {}
        todo = set(people)
        seen: set[str] = set()
        for _ in range(MAX_DELEGATION_DEPTH):
            todo -= seen
            if not todo:
                break
            seen |= todo
            rows = self.store.query(load_query("approval_delegations").text, {"ids": sorted(todo), "at": at})
            todo = set()
            for r in rows:
                target = r["delegate"] or (r["leaveDelegate"] or r["manager"] if r["away"] else None)
                if target and target != r["employee"]:
                    direct[r["employee"]] = target
                    todo.add(target)
        names = self._names(set(direct.values()))
        out: dict[str, Person] = {}
        for start in people:
            if start not in direct:
                continue
            path, who = [start], start
            while who in direct and len(path) <= MAX_DELEGATION_DEPTH:
                who = direct[who]
                if who in path:  # a loop of leave-derived links: no one on it delegates
                    who = start
                    break
                path.append(who)
            if who != start:
                out[start] = Person(who, names.get(who, who))
        return out

    def set_delegate(self, employee: str, delegate: str, start: str, end: str) -> dict[str, str]:
        """``employee``'s steps go to ``delegate`` from ``start`` to ``end`` (dates are whole days,
        the end inclusive). Refused: oneself, someone not in the directory or who has left, an end
        before the start, and a cycle with the delegations already set for an overlapping period."""
        if delegate == employee:
            raise InputError("代理人不能是自己", "the delegate must be someone else")
        if self._employee_name(employee) is None:
            raise NotFoundError(f"没有这个员工：{employee}", f"no employee {employee}")
        name = self._employee_name(delegate)
        if name is None:
            raise NotFoundError(f"没有这个员工：{delegate}", f"no employee {delegate}")
        if not self._active(delegate):
            raise InputError(
                f"{name}（{delegate}）已离职，不能作为代理人", f"{delegate} has left the company"
            )
        begin, finish = period_bound(start), period_bound(end, end=True)
        if finish <= begin:
            raise InputError("结束时间应晚于开始时间", "the period ends before it starts")
        path, who = [employee, delegate], delegate
        for _ in range(MAX_DELEGATION_DEPTH):
            rows = self.store.query(load_query("approval_delegation_list").text, {"ids": [who]})
            nxt = next((r["delegate"] for r in rows if r["start"] < finish and begin < r["end"]), None)
            if nxt is None:
                break
            if nxt in path:
                chain = "→".join([*path, nxt])
                raise InputError(f"代理形成循环：{chain}，请换一位代理人", f"delegation cycle {chain}")
            path.append(nxt)
            who = nxt
        self.store.execute(
            load_query("approval_delegation_set").text,
            {"employee": employee, "delegate": delegate, "start": begin, "end": finish, "at": self.now()},
        )
        return {
            "employee": employee,
            "delegate": delegate,
            "delegateName": name,
            "start": begin,
            "end": finish,
        }

    def _names(self, ids: set[str]) -> dict[str, str]:
        if not ids:
            return {}
        rows = self.store.query(load_query("entities_by_ids").text, {"ids": sorted(ids)})
        return {r["id"]: str(r["properties"].get("name", r["id"])) for r in rows}

    def _active(self, employee: str) -> bool:
        rows = self.store.query(load_query("employee_active").text, {"id": employee})
        return bool(rows and rows[0]["active"])

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
            **AUDIT_DEFAULTS,
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


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]

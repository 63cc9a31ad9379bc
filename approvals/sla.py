"""SLA reminders and escalation, run by whichever instance leads the scheduler.

Each process has ``sla_hours`` per step; its instances keep the policy they started with (reminders
at shares of it, default 50 % and 100 %; the escalation once it has passed: ``manager`` — the step
goes to the waiting approvers' managers —, ``auto_approve``, ``auto_reject`` or ``none``; and how
the hours count, see :mod:`approvals.calendar`). :meth:`SlaSweep.sweep` looks at every pending
instance and takes the actions that are due through the engine (``ApprovalEngine.sla_act``): each is
keyed by step, round and share (``sla:2r1:0.5``, ``escalate:2r1``; a step added by 加签 also by when
its wait began, since a later 加签 may take its position), so it happens exactly once per step and
round however often the sweep runs, on however many instances, and whatever the clock does
(a clock that jumps backwards only delays what is due). A step sent back by 退回 starts a new round
and a new SLA.

Example::

    sweep = SlaSweep(engine, load_calendar(store))
    report = sweep.sweep()         # report.reminders, report.escalations
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from approvals.calendar import WorkCalendar
from approvals.engine import ApprovalEngine
from approvals.rules import Instance, action_id
from queries import load as load_query
from zhiku.errors import ZhikuError

log = logging.getLogger(__name__)

#: How often the scheduler leader sweeps (seconds).
SWEEP_INTERVAL_S = 60


@dataclass(slots=True)
class SweepReport:
    checked: int = 0
    reminders: int = 0
    escalations: int = 0
    breaches: list[str] = field(default_factory=list)  # instance ids escalated in this sweep


@dataclass(frozen=True, slots=True)
class Due:
    kind: str  # sla_remind / escalate
    key: str
    share: float


def due(inst: Instance, now: str, calendar: WorkCalendar) -> list[Due]:
    """What the SLA asks for on ``inst``'s current step at ``now`` (already done or not)."""
    step = inst.current
    sla = inst.policy.get("sla_hours")
    if inst.status != "pending" or step is None or not sla:
        return []
    since = step.since or inst.updated_at
    hours = calendar.hours(since, now, str(inst.policy.get("clock") or "calendar"))
    tag = f"{inst.step_index}{step.tag}"
    if step.added_by:
        # an added step's position can be taken by a later 加签 in the same round: its wait tells it
        # apart (the 10,000-application month missed one escalation when keyed by position alone)
        tag += f"@{since}"
    out = [
        Due("sla_remind", f"sla:{tag}:{share:g}", share)
        for share in inst.policy.get("reminders") or ()
        if hours >= float(share) * float(sla)
    ]
    if hours >= float(sla):
        out.append(Due("escalate", f"escalate:{tag}", 1.0))
    return out


class SlaSweep:
    """Reminders and escalations that are due, taken once each."""

    def __init__(self, engine: ApprovalEngine, calendar: WorkCalendar | None = None) -> None:
        self.engine = engine
        self.calendar = calendar or WorkCalendar()

    def sweep(self) -> SweepReport:
        report = SweepReport()
        now = self.engine.now()
        rows = self.engine.store.query(load_query("approval_sla_open").text, {})
        for row in rows:
            inst = Instance.from_row(row["instance"])
            done = set(row["done"])
            report.checked += 1
            for item in due(inst, now, self.calendar):
                if action_id(inst.id, item.key) in done:
                    continue
                try:
                    result = self.engine.sla_act(inst, item.kind, key=item.key, detail={"share": item.share})
                except ZhikuError as exc:  # one instance failing must not stop the sweep
                    log.error("SLA %s on %s failed: %s", item.key, inst.id, exc.one_line())
                    continue
                if not result.applied:
                    continue
                if item.kind == "escalate":
                    report.escalations += 1
                    report.breaches.append(inst.id)
                else:
                    report.reminders += 1
                inst = result.instance
                if inst.status != "pending" or inst.current is None:
                    break
        return report

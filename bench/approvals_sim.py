"""A simulated month of approvals on the real engine and the real embedded graph, with a controllable
clock: N applications (10,000 by default) across the demo's processes arrive over February 2026
(the Spring Festival holidays included); approvers approve, reject, 退回 (to the applicant or an
earlier step), 加签 and transfer after random delays; applicants 催办 (sometimes in storms) and
resubmit or withdraw what came back; some approvers take approved leave with or without a named
delegate (代理); the SLA sweep runs every half hour of simulated time; mid-month ``processes.yaml``
changes (费用报销 loses its 会计审核 step) while applications are in flight; once the clock jumps back two
hours. Afterwards the month drains (no new arrivals) until every application is closed.

Checks (printed, and the exit status is 1 if one fails): no instance stuck (every open one waits on
someone; none left open after the drain); no step decided twice (one decision per approver, step and
round); every SLA breach escalated exactly once (recomputed from the audit trail with the process's
clock and the holiday calendar); every applied action audited exactly once. Prints actions per second
and the per-step time distribution.

    python bench/approvals_sim.py [--applications 10000] [--seed 7]
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from approvals.calendar import load_calendar
from approvals.engine import ApprovalEngine
from approvals.rules import RemindTooSoon
from approvals.sla import SWEEP_INTERVAL_S, SlaSweep
from bench.graph_load import machine
from demo.load import DEMO_DIR, load_demo
from graph.falkordb_store import FalkorDBStore
from kb.load import load_graph
from kb.project import open_project
from ontology.model import load_ontology
from zhiku.errors import ZhikuError

START = datetime(2026, 2, 1, 0, 0, tzinfo=UTC)
MONTH = timedelta(days=28)
TICK = timedelta(seconds=SWEEP_INTERVAL_S * 30)  # the sweep runs every half hour of simulated time
CHANGE_AT = timedelta(days=14)
JUMP_BACK_AT = timedelta(days=20)
DECIDE_MEAN_H = 9.0  # an approver's mean delay


class SimClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Stats:
    applied: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    submits_refused: int = 0
    reminders: int = 0
    escalations: int = 0
    stranded: list[str] = field(default_factory=list)
    stuck_checks: list[int] = field(default_factory=list)
    leaves: int = 0


def application(rng: random.Random, process: str) -> dict[str, Any]:
    """Amount or days fitting the process."""
    if process in ("PROC-LEAVE", "PROC-OVERTIME", "PROC-TRAVEL"):
        amount = float(rng.choice([2000, 8000, 15000])) if process == "PROC-TRAVEL" else None
        return {"days": float(rng.choice([0.5, 1, 1, 2, 3, 4, 5, 7, 12])), "amount": amount}
    if process in ("PROC-ONBOARD", "PROC-OFFBOARD", "PROC-IT-ACCOUNT", "PROC-SEAL"):
        return {"amount": None, "days": None}
    return {"amount": float(round(rng.lognormvariate(8, 1.4))), "days": None}


def changed_project(tmp: Path) -> Path:
    """The demo project with 费用报销's 会计审核 step removed (the mid-month definition change)."""
    root = tmp / "kb-v2"
    shutil.copytree(DEMO_DIR, root, ignore=shutil.ignore_patterns("docs", "sources", "faq.csv", "*.py"))
    data = yaml.safe_load((root / "processes.yaml").read_text(encoding="utf-8"))
    for proc in data:
        if proc["id"] == "PROC-EXPENSE":
            proc["steps"] = [s for s in proc["steps"] if s["name"] != "会计审核"]
    (root / "processes.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


class Simulation:
    def __init__(self, store: FalkorDBStore, n: int, seed: int, tmp: Path) -> None:
        self.store = store
        self.n = n
        self.rng = random.Random(seed)
        self.tmp = tmp
        self.clock = SimClock(START)
        self.engine = ApprovalEngine(store, clock=self.clock)
        self.calendar = load_calendar(store)
        self.sweep = SlaSweep(self.engine, self.calendar)
        self.stats = Stats()
        self.employees = [r["id"] for r in store.query("MATCH (e:Employee) RETURN e.id AS id ORDER BY id")]
        managers = store.query("MATCH (:Employee)-[:REPORTS_TO]->(m:Employee) RETURN DISTINCT m.id AS id")
        self.managers = sorted(r["id"] for r in managers)
        self.processes = [
            r["id"] for r in store.query("MATCH (p:ApprovalProcess) RETURN p.id AS id ORDER BY id")
        ]
        self.queue: list[tuple[datetime, int, str, str]] = []  # (when, seq, instance, what)
        self.seq = 0
        self.open: set[str] = set()
        self.returned: set[str] = set()  # open instances sent back to their applicant (退回)

    # -- scheduling ----------------------------------------------------------------------------------

    def later(self, instance: str, what: str, mean_h: float) -> None:
        self.seq += 1
        delay = timedelta(hours=min(self.rng.expovariate(1 / mean_h), mean_h * 8))
        heapq.heappush(self.queue, (self.clock.at + delay, self.seq, instance, what))

    def applied(self, kind: str, result: Any) -> None:
        if result.applied:
            self.stats.applied[kind] += 1
        self.track(result.instance)

    def track(self, inst: Any) -> None:
        """Remember where ``inst`` stands (the simulation's own bookkeeping, not a read of the graph)."""
        if inst.status in ("pending", "returned"):
            self.open.add(inst.id)
        else:
            self.open.discard(inst.id)
        if inst.status == "returned":
            self.returned.add(inst.id)
        else:
            self.returned.discard(inst.id)

    def next_turn(self, instance: str) -> None:
        """One scheduled turn per open instance: its approvers', or its applicant's once sent back."""
        if instance not in self.open:
            return
        returned = instance in self.returned
        self.later(instance, "applicant" if returned else "approver", 6.0 if returned else DECIDE_MEAN_H)

    def act(self, instance: str, kind: str, **kw: Any) -> None:
        try:
            result = self.engine.act(instance, kind, **kw)
        except RemindTooSoon:
            self.stats.refused["remind (within the hour)"] += 1
            return
        except ZhikuError as exc:
            self.stats.refused[f"{kind} ({exc.code})"] += 1
            return
        self.applied(kind, result)

    # -- the people ----------------------------------------------------------------------------------

    def submit(self) -> None:
        rng = self.rng
        if rng.random() < 0.04:  # an approver takes leave: delegated while away
            applicant, process = rng.choice(self.managers), "PROC-LEAVE"
            first = (self.clock.at + timedelta(days=rng.randint(1, 5))).date()
            days = rng.randint(1, 4)
            period = (first.isoformat(), (first + timedelta(days=days - 1)).isoformat())
            delegate = rng.choice(self.employees) if rng.random() < 0.5 else None
            kw: dict[str, Any] = {"days": float(days), "period": period, "delegate": delegate}
            if delegate == applicant:
                kw["delegate"] = None
            self.stats.leaves += 1
        else:
            applicant, process = rng.choice(self.employees), rng.choice(self.processes)
            kw = application(rng, process)
        try:
            result = self.engine.submit(process, applicant=applicant, reason="模拟申请", **kw)
        except ZhikuError:
            self.stats.submits_refused += 1  # e.g. a step no one can approve for this applicant
            return
        self.applied("submit", result)
        self.next_turn(result.instance.id)

    def approver_turn(self, instance: str) -> None:
        inst = self.engine.get(instance)
        if inst.status != "pending" or not inst.pending:
            return
        rng = self.rng
        actor = rng.choice(inst.pending)
        roll = rng.random()
        if roll < 0.05:  # the applicant nudges (sometimes a storm of five within a minute)
            for _ in range(5 if rng.random() < 0.2 else 1):
                self.act(instance, "remind", actor=inst.applicant)
        elif roll < 0.08:
            self.act(instance, "reject", actor=actor, comment="不符合规定")
        elif roll < 0.14:
            to = rng.randrange(inst.step_index) if inst.step_index and rng.random() < 0.3 else None
            self.act(instance, "return", actor=actor, comment="请补充材料", return_to=to)
        elif roll < 0.18:
            position = (
                "cosign" if inst.current and inst.current.mode == "会签" else rng.choice(["before", "after"])
            )
            self.act(instance, "add_sign", actor=actor, target=rng.choice(self.employees), position=position)
        elif roll < 0.20:
            self.act(instance, "transfer", actor=actor, target=rng.choice(self.employees))
        else:
            self.act(instance, "approve", actor=actor, comment="同意")

    def applicant_turn(self, instance: str) -> None:
        inst = self.engine.get(instance)
        if inst.status != "returned":
            return
        kind = "withdraw" if self.rng.random() < 0.1 else "resubmit"
        self.act(instance, kind, actor=inst.applicant, comment="已修改")

    # -- the month -----------------------------------------------------------------------------------

    def run(self) -> float:
        arrivals = sorted(START + MONTH * self.rng.random() for _ in range(self.n))
        changed = jumped = False
        began = time.perf_counter()
        now = START
        while arrivals or self.open:
            now += TICK
            if now - START > MONTH * 3:
                break  # the drain gives up: what is open now is stuck
            if not jumped and now - START >= JUMP_BACK_AT:
                jumped = True
                self.clock.at = now - timedelta(hours=2)  # the clock jumps backwards for one sweep
                self.sweep_once()
            self.clock.at = now
            if not changed and now - START >= CHANGE_AT:
                changed = True
                report = load_graph(self.store, open_project(changed_project(self.tmp)), load_ontology())
                self.stats.stranded = report.stranded
            while arrivals and arrivals[0] <= now:
                self.clock.at = arrivals.pop(0)
                self.submit()
            self.clock.at = now
            while self.queue and self.queue[0][0] <= now:
                _, _, instance, what = heapq.heappop(self.queue)
                if instance not in self.open:
                    continue
                if what == "approver":
                    self.approver_turn(instance)
                else:
                    self.applicant_turn(instance)
                self.next_turn(instance)
            self.sweep_once()
            if (now - START) % timedelta(days=1) == timedelta(0):
                self.stats.stuck_checks.append(self.waiting_on_no_one())
        return time.perf_counter() - began

    def sweep_once(self) -> None:
        report = self.sweep.sweep()
        self.stats.reminders += report.reminders
        self.stats.escalations += report.escalations
        for instance in report.breaches:
            self.track(self.engine.get(instance))

    def waiting_on_no_one(self) -> int:
        rows = self.store.query(
            "MATCH (i:ApprovalInstance) WHERE i.status IN ['pending', 'returned'] "
            "AND NOT (i)-[:PENDING_WITH]->() RETURN count(i) AS n"
        )
        return int(rows[0]["n"])


# -- the checks ----------------------------------------------------------------------------------------


def check(sim: Simulation) -> list[tuple[str, bool, str]]:
    store, stats = sim.store, sim.stats
    instances = store.query(
        "MATCH (i:ApprovalInstance) RETURN i.id AS id, i.status AS status, i.policy AS policy"
    )
    actions = store.query(
        "MATCH (a:ApprovalAction)-[:ACTION_ON]->(i:ApprovalInstance) "
        "RETURN i.id AS instance, a.kind AS kind, "
        "a.actor AS actor, a.stepName AS step, a.round AS round, a.at AS at, a.waitedHours AS waited"
    )
    out: list[tuple[str, bool, str]] = []
    still_open = [i["id"] for i in instances if i["status"] in ("pending", "returned")]
    nobody = max(stats.stuck_checks, default=0)
    detail = f"{len(still_open)} open after the drain; at most {nobody} open waited on no one on a day"
    out.append(("no instance stuck", not still_open and nobody == 0, detail))
    decided = Counter(
        (a["instance"], a["step"], a["round"], a["actor"])
        for a in actions
        if a["kind"] in ("approve", "reject")
    )
    twice = [k for k, v in decided.items() if v > 1]
    out.append(("no step decided twice", not twice, f"{len(decided)} decisions, {len(twice)} repeated"))
    policy = {i["id"]: json.loads(i["policy"] or "{}") for i in instances}

    def since(a: dict[str, Any]) -> datetime:
        """When the wait an action ended (or escalated) began: its step's ``since`` then."""
        return datetime.fromisoformat(a["at"]) - timedelta(hours=float(a["waited"]))

    # A breach is one wait of one step past its SLA: a step that waits again — its round after 退回, or
    # after a 加签 before it was decided — has a new SLA. Waits are told apart by when they began (the
    # audit keeps waitedHours to 3.6 s, so two records of one wait agree within seconds).
    waits: dict[tuple[str, str, int], list[datetime]] = defaultdict(list)
    for a in actions:
        if a["kind"] == "escalate" and a["waited"] is not None:
            waits[(a["instance"], a["step"], a["round"])].append(since(a))
    escalated = {k: sorted(v) for k, v in waits.items()}
    same = timedelta(seconds=10)
    more = [k for k, v in escalated.items() if any(b - a < same for a, b in itertools.pairwise(v))]
    grace = TICK.total_seconds() / 3600  # a breach is acted on at the next sweep
    missed = 0
    missed_examples: list[str] = []
    breaches: set[tuple[str, str, int, str]] = set()
    for a in actions:
        if a["waited"] is None or a["kind"] not in ("approve", "reject", "return", "escalate"):
            continue
        p = policy[a["instance"]]
        if not p.get("sla_hours"):
            continue
        began = since(a)
        hours = sim.calendar.hours(began.isoformat(), a["at"], p.get("clock") or "calendar")
        key = (a["instance"], a["step"], a["round"])
        if hours >= float(p["sla_hours"]) + grace:
            breaches.add((*key, began.isoformat(timespec="minutes")))
            if not any(abs(e - began) < same for e in escalated.get(key, ())):
                missed += 1
                if len(missed_examples) < 3:  # enough to find it in the audit trail
                    seen = [e.isoformat() for e in escalated.get(key, ())]
                    missed_examples.append(
                        f"{key} {a['kind']} at {a['at']} waited {a['waited']} h ({hours:.1f} on its clock), "
                        f"escalations of that step: {seen}"
                    )
    out.append(("every SLA breach escalated exactly once", missed == 0 and not more,
                f"{sum(len(v) for v in escalated.values())} escalations, {len(breaches)} breaches seen in "
                f"decisions, {missed} missed, {len(more)} escalated twice"
                + "".join(f"\n    missed: {m}" for m in missed_examples)))  # fmt: skip
    applied = sum(stats.applied.values()) + stats.reminders + stats.escalations
    out.append(("every action audited", applied == len(actions),
                f"{applied} applied actions, {len(actions)} audit records"))  # fmt: skip
    return out


def distribution(sim: Simulation) -> list[tuple[str, str, int, float, float, float]]:
    rows = sim.store.query(
        "MATCH (a:ApprovalAction)-[:ACTION_ON]->(i:ApprovalInstance) "
        "WHERE a.kind IN ['approve', 'reject', 'return', 'escalate'] AND a.waitedHours IS NOT NULL "
        "RETURN i.processName AS process, a.stepName AS step, a.waitedHours AS h"
    )
    by: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in rows:
        by[(r["process"], r["step"] if not r["step"].startswith("加签") else "加签")].append(float(r["h"]))
    out = []
    for (process, step), hours in sorted(by.items(), key=lambda kv: -len(kv[1])):
        hours.sort()
        q = statistics.quantiles(hours, n=10) if len(hours) > 1 else [hours[0]] * 9
        out.append((process, step, len(hours), statistics.median(hours), q[8], hours[-1]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="zhiku-appr-sim-") as tmp:
        store = FalkorDBStore.embedded(Path(tmp) / "graph", "sim")
        try:
            load_demo(store, load_ontology())
            sim = Simulation(store, args.applications, args.seed, Path(tmp))
            wall = sim.run()
            results = check(sim)
            s = sim.stats
            total = sum(s.applied.values()) + s.reminders + s.escalations
            print(
                f"applications: {args.applications} arriving over 28 days (seed {args.seed}); "
                f"{s.applied['submit']} submitted, {s.submits_refused} refused at submit; {s.leaves} leaves"
            )
            print(
                f"actions applied: {total} in {wall:.1f} s wall = {total / wall:.0f} actions/s "
                "(each a compare-and-set write of instance + audit record on the embedded graph; "
                "wall time includes the SLA sweeps and the mid-month reload)"
            )
            print("  by kind: " + ", ".join(f"{k} {v}" for k, v in s.applied.most_common())
                  + f", sla_remind {s.reminders}, escalate {s.escalations}")  # fmt: skip
            print("  refused (clear errors): " + ", ".join(f"{k} {v}" for k, v in s.refused.most_common()))
            delegated = store.query(
                "MATCH (a:ApprovalAction) WHERE a.onBehalfOf IS NOT NULL RETURN count(a) AS n"
            )
            print(f"  decisions on someone's behalf (代理 or escalation): {delegated[0]['n']}")
            print(f"definition change on day 14 (费用报销 without 会计审核): {len(s.stranded)} running "
                  "instances waited on the removed step and finish on their own version")  # fmt: skip
            print(
                "per-step time to decision (hours; top 15 steps by count): "
                "process / step / n / p50 / p90 / max"
            )
            for process, step, n, p50, p90, top in distribution(sim)[:15]:
                print(f"  {process} / {step}: {n} / {p50:.1f} / {p90:.1f} / {top:.1f}")
            ok = True
            for name, passed, detail in results:
                ok &= passed
                print(f"[{'PASS' if passed else 'FAIL'}] {name}: {detail}")
        finally:
            store.close()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

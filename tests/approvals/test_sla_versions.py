"""SLA reminders and escalation (once per breach, on an injectable clock, with working hours and the
knowledge base's holiday calendar) and versioned process definitions, on the real embedded graph."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from approvals.calendar import WorkCalendar, load_calendar
from approvals.engine import ApprovalEngine
from approvals.sla import SlaSweep
from demo.load import DEMO_DIR
from graph.falkordb_store import FalkorDBStore
from kb.load import load_graph
from kb.project import open_project
from ontology.model import Ontology
from tests.approvals.conftest import Clock
from zhiku.errors import InputError

APPLICANT = "E1062"


def test_the_holiday_calendar_comes_from_the_knowledge_base(org: FalkorDBStore) -> None:
    cal = load_calendar(org)
    assert date(2026, 2, 16) in cal.holidays and date(2026, 2, 14) in cal.workdays
    assert not cal.is_workday(date(2026, 2, 17)) and cal.is_workday(date(2026, 2, 28))  # a Saturday worked
    # Friday 13 Feb 09:00 to Tuesday 24 Feb 09:00 (Shanghai): Fri 9 h + Sat 14th (调休) 9 h; the rest is off
    hours = cal.hours("2026-02-13T01:00:00+00:00", "2026-02-24T01:00:00+00:00", "working_hours")
    assert hours == pytest.approx(18.0)
    assert cal.hours("2026-02-13T01:00:00+00:00", "2026-02-14T01:00:00+00:00", "calendar") == 24
    assert cal.hours("2026-02-14T01:00:00+00:00", "2026-02-13T01:00:00+00:00", "calendar") == 0  # backwards
    with pytest.raises(InputError):
        cal.hours("2026-02-13T01:00:00+00:00", "2026-02-14T01:00:00+00:00", "lunar")


def test_reminders_then_manager_escalation_exactly_once_per_breach(timed: Any, clock: Clock) -> None:
    eng, events = timed
    sweep = SlaSweep(eng, load_calendar(eng.store))
    inst = eng.submit("请假审批", applicant=APPLICANT, days=1, reason="年假").instance  # 24 h, calendar
    assert inst.policy["sla_hours"] == 24 and inst.policy["escalation"] == "manager"
    assert sweep.sweep().reminders == 0
    clock.advance(hours=12)
    assert sweep.sweep().reminders == 1  # 50 %
    assert sweep.sweep().reminders == 0  # not again
    clock.advance(hours=13)
    report = sweep.sweep()
    assert (report.reminders, report.escalations) == (1, 1)  # 100 % and the escalation
    inst = eng.get(inst.id)
    assert [(p.id, p.on_behalf_of) for p in inst.current.approvers] == [("E1060", "E1061")]  # type: ignore[union-attr]
    for _ in range(3):  # later sweeps, also with the clock going back and forth: nothing more
        clock.advance(hours=-30)
        assert sweep.sweep().escalations == 0
        clock.advance(hours=31)
        assert sweep.sweep().escalations == 0
    kinds = [a["kind"] for a in eng.get(inst.id).actions]
    assert kinds.count("escalate") == 1 and kinds.count("sla_remind") == 2
    escalated = [e for e in events if e.kind == "escalated"]
    assert len(escalated) == 1 and escalated[0].recipients == ("E1060",)
    # two sweepers at once (a leader hand-over) still escalate a new breach once
    other = eng.submit("请假审批", applicant="E1063", days=1, reason="事假").instance
    clock.advance(hours=25)
    twin = SlaSweep(ApprovalEngine(eng.store, clock=clock), load_calendar(eng.store))
    assert sweep.sweep().escalations + twin.sweep().escalations == 1
    assert [a["kind"] for a in eng.get(other.id).actions].count("escalate") == 1


def test_auto_approve_on_workdays_and_working_hours_skip_the_weekend(timed: Any, clock: Clock) -> None:
    eng, _ = timed
    sweep = SlaSweep(eng, WorkCalendar())
    clock.at = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)  # Friday 18:00 Shanghai
    ot = eng.submit("加班申请", applicant=APPLICANT, days=1, reason="上线").instance  # 24 h on workdays
    exp = eng.submit("费用报销", applicant=APPLICANT, amount=100, reason="打车").instance  # 48 working hours
    clock.advance(days=2)  # Sunday 18:00: no working day has passed
    assert sweep.sweep().escalations == 0
    clock.advance(days=1, hours=7)  # Tuesday 01:00 Shanghai: Monday counted in full (24 h)
    report = sweep.sweep()
    assert report.breaches == [ot.id]
    ot = eng.get(ot.id)
    assert ot.status == "approved" and ot.steps[0].decisions == {"E1061": "timeout"}
    assert eng.get(exp.id).status == "pending"  # 9 working hours of 48 so far


def test_a_returned_step_gets_a_new_sla(timed: Any, clock: Clock) -> None:
    eng, _ = timed
    sweep = SlaSweep(eng)
    inst = eng.submit("请假审批", applicant=APPLICANT, days=1, reason="年假").instance
    clock.advance(hours=30)
    eng.act(inst.id, "return", actor="E1061", comment="请写明交接人")
    assert sweep.sweep().escalations == 0  # waits on the applicant: no SLA
    eng.act(inst.id, "resubmit", actor=APPLICANT)
    clock.advance(hours=23)
    assert sweep.sweep().escalations == 0
    clock.advance(hours=2)
    assert sweep.sweep().escalations == 1


def test_a_step_that_waits_again_after_a_sign_added_before_it_gets_a_new_sla(
    timed: Any, clock: Clock
) -> None:
    eng, _ = timed
    sweep = SlaSweep(eng)
    inst = eng.submit("请假审批", applicant=APPLICANT, days=1, reason="年假").instance
    clock.advance(hours=25)
    assert sweep.sweep().escalations == 1  # to the manager, E1060
    eng.act(inst.id, "add_sign", actor="E1060", target="E1063", position="before")
    assert sweep.sweep().escalations == 0  # the added step has just started
    clock.advance(hours=2)
    eng.act(inst.id, "approve", actor="E1063")
    assert eng.get(inst.id).current.since == eng.now()  # type: ignore[union-attr]  # a new wait
    clock.advance(hours=23)
    assert sweep.sweep().escalations == 0
    clock.advance(hours=2)
    assert sweep.sweep().escalations == 1  # its second wait breached: escalated once more
    escalations = [a for a in eng.get(inst.id).actions if a["kind"] == "escalate"]
    assert [a["stepName"] for a in escalations] == ["直属上级审批", "直属上级审批"]


def test_a_sign_added_where_an_escalated_one_was_gets_its_own_escalation(timed: Any, clock: Clock) -> None:
    # the one breach the 10,000-application month missed: SLA actions were keyed by the step's position,
    # and a second 加签 before the first one takes the position of the first, already escalated
    eng, _ = timed
    sweep = SlaSweep(eng)
    inst = eng.submit("请假审批", applicant=APPLICANT, days=1, reason="年假").instance
    eng.act(inst.id, "add_sign", actor="E1061", target="E1063", position="before")
    clock.advance(hours=25)
    assert sweep.sweep().escalations == 1  # 加签：曾杰, to their manager E1061
    eng.act(inst.id, "add_sign", actor=eng.get(inst.id).pending[0], target="E1064", position="before")
    assert eng.get(inst.id).current.name == "加签：萧然"  # type: ignore[union-attr]
    clock.advance(hours=25)
    assert sweep.sweep().escalations == 1
    escalated = [a["stepName"] for a in eng.get(inst.id).actions if a["kind"] == "escalate"]
    assert escalated == ["加签：曾杰", "加签：萧然"]


def _project_with(tmp_path: Path, change: Any) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(DEMO_DIR, root, ignore=shutil.ignore_patterns("docs", "sources", "faq.csv", "*.py"))
    data = yaml.safe_load((root / "processes.yaml").read_text(encoding="utf-8"))
    change(data)
    (root / "processes.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


def test_instances_keep_their_definition_version_and_a_load_reports_stranded_ones(
    timed: Any, org: FalkorDBStore, onto: Ontology, tmp_path: Path
) -> None:
    eng, _ = timed
    old = eng.submit("费用报销", applicant=APPLICANT, amount=800, reason="打车").instance
    assert old.process_version == 1
    eng.act(old.id, "approve", actor="E1061")  # now waits on 会计审核

    def drop_accounting(data: list[dict[str, Any]]) -> None:
        proc = next(p for p in data if p["id"] == "PROC-EXPENSE")
        proc["steps"] = [s for s in proc["steps"] if s["name"] != "会计审核"]

    report = load_graph(org, open_project(_project_with(tmp_path, drop_accounting)), onto)
    assert report.process_versions == {"PROC-EXPENSE": 2}
    assert len(report.stranded) == 1 and old.id in report.stranded[0] and "会计审核" in report.stranded[0]
    again = load_graph(org, open_project(_project_with(tmp_path / "same", drop_accounting)), onto)
    assert again.process_versions == {} and again.stranded == []  # unchanged: no new version
    new = eng.submit("费用报销", applicant=APPLICANT, amount=900, reason="打车").instance
    assert new.process_version == 2 and [s.name for s in new.steps] == ["直属上级审批"]
    old = eng.get(old.id)
    assert old.process_version == 1 and old.current and old.current.name == "会计审核"
    eng.act(old.id, "approve", actor="E1022")  # it finishes on its own version
    assert eng.get(old.id).status == "approved"
    rows = org.query(
        "MATCH (i:ApprovalInstance) WHERE i.id IN $ids RETURN i.id AS id, i.processVersion AS v ORDER BY v",
        {"ids": [old.id, new.id]},
    )
    assert [(r["id"], r["v"]) for r in rows] == [(old.id, 1), (new.id, 2)]


def test_the_scheduler_leader_runs_the_sla_sweep(org: FalkorDBStore, tmp_path: Path) -> None:
    """Whoever leads the scheduler gets the sweep as a job (in memory: it holds live services)."""
    from contextlib import AsyncExitStack

    from apscheduler.schedulers.background import BackgroundScheduler

    from zhiku.services import State
    from zhiku.settings import Settings

    state = State(Settings(data_dir=tmp_path), AsyncExitStack(), org)
    crawls = state.crawl_scheduler()
    assert state._sweep_approval_slas in crawls.elected  # told when this instance is elected
    scheduler = BackgroundScheduler(timezone="UTC")
    state._sweep_approval_slas(scheduler)
    job = scheduler.get_job("approvals-sla", jobstore="approvals")
    assert job is not None and job.trigger.interval.total_seconds() == 60
    report = job.func()
    assert report.escalations == 0 and report.checked == 0  # nothing pending in a fresh org

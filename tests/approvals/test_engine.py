"""The approval engine on the real embedded graph with the demo company's org chart and processes."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest

from approvals.chain import resolve_chain
from approvals.engine import ApprovalEngine, ApprovalEvent
from approvals.rules import InstanceClosed, NotAnApprover
from graph.falkordb_store import FalkorDBStore
from zhiku.errors import InputError, NotFoundError

APPLICANT = "E1040"  # 罗斌: manager 林晓燕 (E1002), who also heads his department


@pytest.fixture
def engine(org: FalkorDBStore) -> tuple[ApprovalEngine, list[ApprovalEvent]]:
    events: list[ApprovalEvent] = []
    return ApprovalEngine(org, listeners=[events.append]), events


def _approve_all(engine: ApprovalEngine, instance_id: str) -> None:
    inst = engine.get(instance_id)
    while inst.status == "pending":
        engine.act(inst.id, "approve", actor=inst.pending[0])
        inst = engine.get(instance_id)


def test_sequential_countersign_and_any_of_steps_run_in_order(engine: Any) -> None:
    eng, events = engine
    result = eng.submit("合同审批", applicant=APPLICANT, amount=100_000, reason="年度采购合同")
    inst = result.instance
    assert [s.name for s in inst.steps] == ["部门负责人审批", "法务与财务会签", "合同用印"]
    assert inst.pending == ["E1002"]
    eng.act(inst.id, "approve", actor="E1002", comment="同意")
    inst = eng.get(inst.id)
    assert inst.current and inst.current.mode == "会签"
    assert sorted(inst.pending) == ["E1020", "E1050"]
    eng.act(inst.id, "approve", actor="E1050")
    inst = eng.get(inst.id)
    assert inst.step_index == 1 and inst.pending == ["E1020"]  # 会签: still waits for the other one
    eng.act(inst.id, "approve", actor="E1020")
    inst = eng.get(inst.id)
    assert inst.current and inst.current.mode == "或签" and sorted(inst.pending) == ["E1030", "E1032"]
    eng.act(inst.id, "approve", actor="E1032")
    inst = eng.get(inst.id)
    assert inst.status == "approved" and inst.pending == []
    kinds = [(a["kind"], a["actor"]) for a in inst.actions]
    assert kinds == [
        ("submit", APPLICANT), ("approve", "E1002"), ("approve", "E1050"), ("approve", "E1020"),
        ("approve", "E1032"),
    ]  # fmt: skip
    assert [e.kind for e in events][-1] == "approved"
    assert APPLICANT in events[-1].recipients
    # the graph holds who it waited on: nobody now
    rows = eng.store.query(
        "MATCH (:Resource {id: $id})-[:PENDING_WITH]->(p) RETURN count(p) AS n", {"id": inst.id}
    )
    assert rows[0]["n"] == 0


def test_conditions_add_steps_and_repeated_approver_signs_once(engine: Any) -> None:
    eng, _ = engine
    short = eng.submit("请假审批", applicant=APPLICANT, days=1).instance
    assert [s.name for s in short.steps] == ["直属上级审批", "人力资源备案审核"]
    long = eng.submit("请假审批", applicant=APPLICANT, days=5).instance
    assert [s.name for s in long.steps] == ["直属上级审批", "部门负责人审批", "人力资源备案审核"]
    eng.act(long.id, "approve", actor="E1002")
    after = eng.get(long.id)
    # 林晓燕 is both his manager and the department head: the second step is recorded as auto-approved
    assert after.steps[1].decisions == {"E1002": "auto"} and after.step_index == 2


def test_same_tap_twice_counts_once(engine: Any) -> None:
    eng, events = engine
    inst = eng.submit("费用报销", applicant=APPLICANT, amount=800).instance
    first = eng.act(inst.id, "approve", actor="E1002")
    again = eng.act(inst.id, "approve", actor="E1002")
    assert first.applied and not again.applied and "无需重复" in again.message
    card_retry = eng.act(inst.id, "approve", actor="E1002", step=0, key="card:task-1:approve")
    assert not card_retry.applied
    assert sum(1 for a in eng.get(inst.id).actions if a["kind"] == "approve") == 1
    assert sum(1 for e in events if e.kind == "step_approved") == 1


def test_a_retried_submission_returns_the_first_instance(engine: Any) -> None:
    eng, _ = engine
    a = eng.submit("出差申请", applicant=APPLICANT, days=2, key="req-42")
    b = eng.submit("出差申请", applicant=APPLICANT, days=2, key="req-42")
    assert a.applied and not b.applied and a.instance.id == b.instance.id


def _race(
    org: FalkorDBStore,
    instance_id: str,
    actors: list[str],
    *,
    step: int | None = None,
    events: list[ApprovalEvent] | None = None,
) -> list[Any]:
    """Each actor approves at the same moment, each on its own connection (as API workers would)."""
    barrier = threading.Barrier(len(actors))
    out: list[Any] = [None] * len(actors)
    stores = [FalkorDBStore.embedded(org.server.graph_dir, org.graph_name) for _ in actors]  # type: ignore[union-attr]
    listeners = [events.append] if events is not None else []

    def run(i: int) -> None:
        engine = ApprovalEngine(stores[i], listeners=listeners)
        barrier.wait()
        try:
            out[i] = engine.act(instance_id, "approve", actor=actors[i], step=step)
        except Exception as exc:  # collected and asserted on by the caller
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    return out


def test_countersigners_at_the_same_moment_both_count(org: FalkorDBStore) -> None:
    eng = ApprovalEngine(org)
    for _ in range(5):
        inst = eng.submit("合同审批", applicant=APPLICANT, amount=100_000).instance
        eng.act(inst.id, "approve", actor="E1002")
        results = _race(org, inst.id, ["E1050", "E1020"])
        assert all(r.applied for r in results), results
        after = eng.get(inst.id)
        assert after.step_index == 2 and after.steps[1].status == "approved"
        assert sorted(after.steps[1].decisions) == ["E1020", "E1050"]


def test_any_of_step_ends_once_when_two_approve_at_once(org: FalkorDBStore) -> None:
    eng = ApprovalEngine(org)
    for _ in range(5):
        events: list[ApprovalEvent] = []
        inst = eng.submit("合同审批", applicant=APPLICANT, amount=1000).instance
        for actor in ("E1002", "E1050", "E1020"):
            eng.act(inst.id, "approve", actor=actor)
        results = _race(org, inst.id, ["E1030", "E1032"], step=2, events=events)
        assert sorted(r.applied for r in results) == [False, True], results
        after = eng.get(inst.id)
        assert after.status == "approved"
        assert len(after.steps[2].decisions) == 1
        assert [e.kind for e in events].count("approved") == 1


def test_reject_withdraw_transfer_and_who_may_act(engine: Any) -> None:
    eng, events = engine
    inst = eng.submit("费用报销", applicant=APPLICANT, amount=8000).instance
    with pytest.raises(NotAnApprover):
        eng.act(inst.id, "approve", actor="E1050")  # not on this step
    with pytest.raises(NotAnApprover):
        eng.act(inst.id, "approve", actor=APPLICANT)  # applicants do not approve themselves
    with pytest.raises(NotAnApprover):
        eng.act(inst.id, "withdraw", actor="E1002")  # only the applicant withdraws
    eng.act(inst.id, "transfer", actor="E1002", target="E1003", comment="我休假，请代审")
    moved = eng.get(inst.id)
    assert moved.pending == ["E1003"] and moved.steps[0].approvers[0].name
    eng.act(inst.id, "reject", actor="E1003", comment="缺少发票")
    rejected = eng.get(inst.id)
    assert rejected.status == "rejected"
    assert rejected.actions[-1]["comment"] == "缺少发票"
    with pytest.raises(InstanceClosed):
        eng.act(inst.id, "approve", actor="E1003", comment="改主意了")
    other = eng.submit("费用报销", applicant=APPLICANT, amount=300).instance
    eng.act(other.id, "withdraw", actor=APPLICANT)
    with pytest.raises(InstanceClosed, match="withdrawn"):
        eng.act(other.id, "approve", actor="E1002")
    assert eng.act(other.id, "approve", actor="E1002", step=0).applied is False  # a stale card: no error
    assert {e.kind for e in events} >= {"submitted", "transferred", "rejected", "withdrawn"}


def test_lists_and_bad_input(engine: Any) -> None:
    eng, _ = engine
    inst = eng.submit("费用报销", applicant=APPLICANT, amount=100).instance
    assert inst.id in {i.id for i in eng.list_for(APPLICANT, "applied")}
    assert inst.id in {i.id for i in eng.list_for("E1002", "todo")}
    eng.act(inst.id, "approve", actor="E1002")
    assert inst.id in {i.id for i in eng.list_for("E1002", "handled")}
    assert inst.id not in {i.id for i in eng.list_for("E1002", "todo")}
    with pytest.raises(NotFoundError):
        eng.submit("火箭发射审批", applicant=APPLICANT)
    with pytest.raises(NotFoundError):
        eng.get("AP-nope")
    with pytest.raises(InputError):
        eng.act(inst.id, "delete", actor=APPLICANT)
    with pytest.raises(InputError):
        eng.submit("费用报销", applicant=APPLICANT, amount=-5)


def test_a_completed_process_starts_its_follow_up(org: FalkorDBStore) -> None:
    eng = ApprovalEngine(org, triggers={"PROC-PURCHASE": ["PROC-CONTRACT"]})
    inst = eng.submit("采购申请", applicant=APPLICANT, amount=3000).instance
    _approve_all(eng, inst.id)
    follow = [i for i in eng.list_for(APPLICANT, "applied") if i.process_id == "PROC-CONTRACT"]
    assert len(follow) == 1 and inst.id in follow[0].reason
    rows = org.query(
        "MATCH (a:ApprovalInstance)-[:TRIGGERED_BY]->(b:ApprovalInstance) RETURN a.id AS a, b.id AS b"
    )
    assert rows == [{"a": follow[0].id, "b": inst.id}]


class _Writes:
    """The real store, noting how each write reaches it (one unit of work, or loose statements)."""

    def __init__(self, store: FalkorDBStore) -> None:
        self._store = store
        self.calls: list[tuple[str, int]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def execute(self, cypher: str, params: Any = None, **kw: Any) -> Any:
        self.calls.append(("execute", 1))
        return self._store.execute(cypher, params, **kw)

    def run_unit(self, statements: Any, **kw: Any) -> Any:
        self.calls.append(("run_unit", len(statements)))
        return self._store.run_unit(statements, **kw)


def test_an_instance_opens_in_one_unit_of_work(org: FalkorDBStore) -> None:
    """The instance, its submit record, who it waits on and what triggered it are written together
    (WeCom's approval app opens its mirrors through the same call)."""
    events: list[ApprovalEvent] = []
    eng = ApprovalEngine(org, listeners=[events.append])
    first = eng.submit("采购申请", applicant=APPLICANT, amount=3000).instance
    writes = _Writes(org)
    mirror = ApprovalEngine(writes, listeners=[events.append])
    chain = resolve_chain(org, "合同审批", applicant=APPLICANT, amount=100_000)
    inst = mirror.open_instance(
        chain,
        instance_id="WX-test-1",
        title="测试",
        reason="年度合同",
        channel="wecom_oa",
        triggered_by=first.id,
    )
    assert writes.calls == [("run_unit", 3)]
    assert not any(e.instance_id == inst.id for e in events)  # opening announces nothing; submit does
    assert (inst.status, inst.step_index, inst.pending) == ("pending", 0, ["E1002"])
    assert [(a["kind"], a["actor"], a["channel"]) for a in inst.actions] == [
        ("submit", APPLICANT, "wecom_oa")
    ]
    rows = org.query(
        "MATCH (i:Resource {id: $id}) OPTIONAL MATCH (i)-[:PENDING_WITH]->(p) OPTIONAL MATCH (i)-[:TRIGGERED_BY]->(t)"
        " RETURN collect(DISTINCT p.id) AS pending, collect(DISTINCT t.id) AS triggered",
        {"id": inst.id},
    )
    assert rows == [{"pending": ["E1002"], "triggered": [first.id]}]


def test_a_chain_with_a_step_no_one_can_approve_opens_nothing(org: FalkorDBStore) -> None:
    chain = resolve_chain(org, "合同审批", applicant=APPLICANT, amount=100_000)
    broken = dataclasses.replace(chain, steps=[dataclasses.replace(chain.steps[0], approvers=())])
    with pytest.raises(InputError) as refused:
        ApprovalEngine(org).open_instance(
            broken, instance_id="WX-test-2", title="测试", reason="", channel="wecom_oa"
        )
    assert "没有可用的审批人" in refused.value.message_zh
    assert org.query("MATCH (i:Resource {id: 'WX-test-2'}) RETURN count(i) AS n") == [{"n": 0}]

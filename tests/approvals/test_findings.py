"""What the independent model-based check found (issue 25), each reproduced on the real engine and
the real embedded graph: same-key races, a second transfer by the same person, late approvers'
answers, and the rules the contract states (docs/approvals.md)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from approvals.chain import resolve_chain
from approvals.engine import ApprovalEngine, ApprovalEvent
from approvals.rules import Instance, NotAnApprover
from graph.falkordb_store import FalkorDBStore
from zhiku.errors import InputError

ENGINEER = "E1062"  # 彭飞: manager 曹宇 (E1061), who heads 平台研发部
ACCOUNTANTS = ["E1021", "E1022", "E1024"]  # 黄秀英, 徐磊, 邱月 hold POS-ACCT
IT_MANAGER = "E1040"  # 罗斌: manager 林晓燕 (E1002), who also heads his department


def pending_with(store: FalkorDBStore, instance_id: str) -> list[str]:
    rows = store.query(
        "MATCH (:Resource {id: $id})-[:PENDING_WITH]->(p) RETURN p.id AS id ORDER BY id", {"id": instance_id}
    )
    return [r["id"] for r in rows]


def assert_consistent(store: FalkorDBStore, inst: Instance) -> None:
    """The graph's ``PENDING_WITH`` (what 待办 lists and the bottleneck report read) is the state's."""
    assert pending_with(store, inst.id) == sorted(inst.pending), (inst.status, inst.step_index)


class _PausedRead:
    """The real store; the first time ``paused`` is read by this engine, the thread waits until
    ``release`` is set — so an action reads the instance, then someone else acts, then it writes."""

    def __init__(self, store: FalkorDBStore) -> None:
        self._store = store
        self.read = threading.Event()
        self.release = threading.Event()
        self._once = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def query(self, cypher: str, params: Any = None, **kw: Any) -> Any:
        rows = self._store.query(cypher, params, **kw)
        if self._once and "ApprovalAction" in cypher and "ORDER BY a.seq" in cypher:
            self._once = False
            self.read.set()
            assert self.release.wait(30)
        return rows


def _stale(org: FalkorDBStore, act: Callable[[ApprovalEngine], Any], meanwhile: Callable[[], None]) -> Any:
    """Run ``act`` on its own engine, let ``meanwhile`` happen after its read and before its write."""
    paused = _PausedRead(org)
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(act(ApprovalEngine(paused)))  # type: ignore[arg-type]
        except Exception as exc:  # asserted on by the caller
            out.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    assert paused.read.wait(30)
    try:
        meanwhile()
    finally:
        paused.release.set()
        thread.join()
    return out[0]


# -- same-key races ---------------------------------------------------------------------------------


def test_a_stale_attempt_with_the_same_key_does_not_rewrite_who_it_waits_on(org: FalkorDBStore) -> None:
    """A card's approve and reject taps share ``card:{task}:{employee}``: the approve read before the
    reject lost, and must leave nothing pending on a rejected instance."""
    eng = ApprovalEngine(org)
    inst = eng.submit("费用报销", applicant=ENGINEER, amount=800).instance
    key = "card:task-1:E1061"
    late = _stale(
        org,
        lambda e: e.act(inst.id, "approve", actor="E1061", step=0, key=key),
        lambda: eng.act(inst.id, "reject", actor="E1061", step=0, key=key, comment="发票不全"),
    )
    assert late.applied is False
    after = eng.get(inst.id)
    assert after.status == "rejected" and after.pending == []
    assert_consistent(org, after)
    assert inst.id not in {i.id for i in eng.list_for("E1021", "todo")}
    assert [a["kind"] for a in after.actions] == ["submit", "reject"]


def test_a_tap_delivered_twice_while_a_countersigner_acts_keeps_pending_right(org: FalkorDBStore) -> None:
    eng = ApprovalEngine(org)
    inst = eng.submit("合同审批", applicant=IT_MANAGER, amount=100_000).instance
    eng.act(inst.id, "approve", actor="E1002")
    key = "card:task-2:E1020"

    def meanwhile() -> None:  # the other signer first, then the first delivery of the same tap
        eng.act(inst.id, "approve", actor="E1050", step=1)
        eng.act(inst.id, "approve", actor="E1020", step=1, key=key)

    late = _stale(org, lambda e: e.act(inst.id, "approve", actor="E1020", step=1, key=key), meanwhile)
    assert late.applied is False
    after = eng.get(inst.id)
    assert after.step_index == 2 and sorted(after.pending) == ["E1030", "E1032"]
    assert_consistent(org, after)


def test_a_repeated_transfer_with_another_target_does_not_rewrite_pending(org: FalkorDBStore) -> None:
    eng = ApprovalEngine(org)
    inst = eng.submit("费用报销", applicant=ENGINEER, amount=800).instance
    key = "api:E1061:move"
    late = _stale(
        org,
        lambda e: e.act(inst.id, "transfer", actor="E1061", target="E1064", key=key),
        lambda: eng.act(inst.id, "transfer", actor="E1061", target="E1063", key=key),
    )
    assert late.applied is False
    after = eng.get(inst.id)
    assert after.pending == ["E1063"]
    assert_consistent(org, after)


def test_same_key_taps_racing_on_threads_leave_the_graph_consistent(org: FalkorDBStore) -> None:
    """The issue's 40-of-40 reproduction with real threads, one connection each."""
    eng = ApprovalEngine(org)
    for n in range(8):
        inst = eng.submit("费用报销", applicant=ENGINEER, amount=800).instance
        key = f"card:race-{n}:E1061"
        stores = [FalkorDBStore.embedded(org.server.graph_dir, org.graph_name) for _ in range(2)]  # type: ignore[union-attr]
        barrier = threading.Barrier(2)

        def run(
            i: int,
            kind: str,
            inst_id: str = inst.id,
            key: str = key,
            stores: Any = stores,
            barrier: Any = barrier,
        ) -> None:
            engine = ApprovalEngine(stores[i])
            barrier.wait()
            engine.act(inst_id, kind, actor="E1061", step=0, key=key, comment="不同意")

        threads = [threading.Thread(target=run, args=(i, k)) for i, k in enumerate(("approve", "reject"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for s in stores:
            s.close()
        after = eng.get(inst.id)
        assert len([a for a in after.actions if a["kind"] != "submit"]) == 1
        assert_consistent(org, after)


# -- keys distinguish what should be distinct --------------------------------------------------------


def test_the_same_person_can_transfer_again_after_the_step_came_back(org: FalkorDBStore) -> None:
    eng = ApprovalEngine(org)
    inst = eng.submit("费用报销", applicant=ENGINEER, amount=800).instance
    assert eng.act(inst.id, "transfer", actor="E1061", target="E1063").applied
    assert eng.act(inst.id, "transfer", actor="E1063", target="E1061").applied
    third = eng.act(inst.id, "transfer", actor="E1061", target="E1064")
    assert third.applied, third.message
    after = eng.get(inst.id)
    assert after.pending == ["E1064"]
    assert_consistent(org, after)
    assert [a["kind"] for a in after.actions].count("transfer") == 3


def test_a_retried_transfer_without_a_key_still_counts_once(org: FalkorDBStore) -> None:
    eng = ApprovalEngine(org)
    inst = eng.submit("费用报销", applicant=ENGINEER, amount=800).instance
    assert eng.act(inst.id, "transfer", actor="E1061", target="E1063").applied
    again = eng.act(inst.id, "transfer", actor="E1061", target="E1063")
    assert not again.applied and "无需重复" in again.message


def test_a_submit_key_reused_for_another_application_is_refused(org: FalkorDBStore) -> None:
    eng = ApprovalEngine(org)
    first = eng.submit("出差申请", applicant=IT_MANAGER, days=2, key="req-7")
    assert eng.submit("出差申请", applicant=IT_MANAGER, days=2, key="req-7").instance.id == first.instance.id
    with pytest.raises(InputError) as refused:
        eng.submit("费用报销", applicant=IT_MANAGER, amount=300, key="req-7")
    assert "幂等键" in refused.value.message_zh and refused.value.code == "BAD_INPUT"


# -- late approvers get a true answer ----------------------------------------------------------------


def test_a_late_accountant_is_told_who_decided_not_that_they_are_no_approver(org: FalkorDBStore) -> None:
    eng = ApprovalEngine(org)
    big = eng.submit("费用报销", applicant=ENGINEER, amount=8000).instance  # 会计审核, then the CFO
    eng.act(big.id, "approve", actor="E1061")
    assert eng.act(big.id, "approve", actor="E1024").applied
    late = eng.act(big.id, "approve", actor="E1021")
    assert not late.applied and "邱月" in late.message and "会计审核" in late.message
    small = eng.submit("费用报销", applicant=ENGINEER, amount=800).instance  # 会计审核 is the last step
    eng.act(small.id, "approve", actor="E1061")
    eng.act(small.id, "approve", actor="E1022")
    assert eng.get(small.id).status == "approved"
    closed = eng.act(small.id, "approve", actor="E1021")
    assert not closed.applied and "徐磊" in closed.message


def test_a_stranger_with_a_step_on_a_closed_instance_is_refused(org: FalkorDBStore) -> None:
    eng = ApprovalEngine(org)
    inst = eng.submit("费用报销", applicant=ENGINEER, amount=800).instance
    eng.act(inst.id, "withdraw", actor=ENGINEER)
    with pytest.raises(NotAnApprover):
        eng.act(inst.id, "approve", actor="E1050", step=0)


# -- the contract: what the docs say, the engine does ------------------------------------------------


def test_a_step_any_one_of_several_decides_is_shown_as_any_of(org: FalkorDBStore) -> None:
    chain = resolve_chain(org, "费用报销", applicant=ENGINEER, amount=800)
    accounting = chain.active_steps[1]
    assert accounting.name == "会计审核" and accounting.mode == "或签"
    eng = ApprovalEngine(org)
    inst = eng.submit("费用报销", applicant=ENGINEER, amount=800).instance
    eng.act(inst.id, "approve", actor="E1061")
    assert "（或签）" in eng.get(inst.id).summary() and "（依次）" not in eng.get(inst.id).summary()


def test_a_countersign_needs_one_holder_of_each_role(org: FalkorDBStore) -> None:
    """离职交接会签: HRBP, an accountant, a system administrator and the admin supervisor (四方会签) —
    one of the three accountants signs for 会计."""
    eng = ApprovalEngine(org)
    inst = eng.submit("离职审批", applicant=ENGINEER).instance
    while inst.current is not None and inst.current.mode != "会签":
        eng.act(inst.id, "approve", actor=inst.pending[0])
        inst = eng.get(inst.id)
    handover = inst.current
    assert handover is not None and len(handover.groups()) == 4
    for group in handover.groups():
        eng.act(inst.id, "approve", actor=group[0])
    after = eng.get(inst.id)
    assert after.step_index == inst.step_index + 1, after.summary()
    assert_consistent(org, after)


def test_a_rejection_needs_a_comment(org: FalkorDBStore) -> None:
    events: list[ApprovalEvent] = []
    eng = ApprovalEngine(org, listeners=[events.append])
    inst = eng.submit("费用报销", applicant=ENGINEER, amount=800).instance
    with pytest.raises(InputError) as refused:
        eng.act(inst.id, "reject", actor="E1061", comment="  ")
    assert "意见" in refused.value.message_zh
    assert eng.get(inst.id).status == "pending"
    assert eng.act(inst.id, "reject", actor="E1061", comment="超预算").applied

"""加签, 退回, 重新提交, 催办, 抄送, comments with @mentions, 代理 and versioned definitions, on the real
embedded graph with the demo company (an injectable clock drives time)."""

from __future__ import annotations

from typing import Any

import pytest

from approvals.engine import ApprovalEngine
from approvals.rules import InstanceClosed, NotAnApprover, RemindTooSoon
from graph.falkordb_store import FalkorDBStore
from tests.approvals.conftest import Clock
from zhiku.errors import InputError, NotFoundError

APPLICANT = "E1062"  # 彭飞: manager 曹宇 (E1061); 费用报销 goes to E1061, then one of three accountants


def _pending_edges(eng: ApprovalEngine, instance_id: str) -> list[str]:
    rows = eng.store.query(
        "MATCH (i:ApprovalInstance {id: $id})-[:PENDING_WITH]->(p) RETURN p.id AS id ORDER BY id",
        {"id": instance_id},
    )
    return [r["id"] for r in rows]


def test_add_sign_before_after_and_into_a_countersign_step(timed: Any) -> None:
    eng, events = timed
    inst = eng.submit("费用报销", applicant=APPLICANT, amount=800, reason="打车").instance
    # 前加签: 萧然 approves first, then the step comes back to 曹宇
    r = eng.act(inst.id, "add_sign", actor="E1061", target="E1064", position="before")
    assert r.applied and r.instance.pending == ["E1064"] and _pending_edges(eng, inst.id) == ["E1064"]
    assert [s.name for s in r.instance.steps][:2] == ["加签：萧然", "直属上级审批"]
    assert eng.act(inst.id, "add_sign", actor="E1061", target="E1064", position="before").applied is False
    eng.act(inst.id, "approve", actor="E1064")
    assert eng.get(inst.id).pending == ["E1061"]
    # 后加签: a step of 田野's after 曹宇's
    eng.act(inst.id, "add_sign", actor="E1061", target="E1065", position="after")
    eng.act(inst.id, "approve", actor="E1061")
    inst = eng.get(inst.id)
    assert inst.current and inst.current.name == "加签：田野" and inst.pending == ["E1065"]
    audit = [(a["kind"], a["actor"]) for a in inst.actions]
    assert ("add_sign", "E1061") in audit and audit.count(("add_sign", "E1061")) == 2
    # into a 会签 step: 合同审批's 法务与财务会签 then needs 韩雪 too
    c = eng.submit("合同审批", applicant="E1040", amount=100_000, reason="采购合同").instance
    eng.act(c.id, "approve", actor="E1002")
    with pytest.raises(InputError):  # 或签/依次 steps take no co-signer
        eng.act(inst.id, "add_sign", actor="E1065", target="E1066", position="cosign")
    eng.act(c.id, "add_sign", actor="E1020", target="E1051", position="cosign")
    eng.act(c.id, "approve", actor="E1020")
    eng.act(c.id, "approve", actor="E1050")
    c = eng.get(c.id)
    assert c.step_index == 1 and c.pending == ["E1051"]
    eng.act(c.id, "approve", actor="E1051")
    assert eng.get(c.id).step_index == 2
    assert any(e.kind == "pending" and e.recipients == ("E1051",) for e in events)


def test_add_sign_refuses_a_leaver_the_applicant_and_strangers(timed: Any, org: FalkorDBStore) -> None:
    eng, _ = timed
    inst = eng.submit("费用报销", applicant=APPLICANT, amount=800, reason="打车").instance
    org.execute("MATCH (e:Employee {id: 'E1069'}) SET e.active = false")
    with pytest.raises(InputError) as left:
        eng.act(inst.id, "add_sign", actor="E1061", target="E1069", position="before")
    assert "已离职" in left.value.message_zh and "left" in left.value.message_en
    with pytest.raises(InputError):
        eng.act(inst.id, "add_sign", actor="E1061", target=APPLICANT, position="after")
    with pytest.raises(NotFoundError):
        eng.act(inst.id, "add_sign", actor="E1061", target="E9999", position="after")
    with pytest.raises(InputError):
        eng.act(inst.id, "add_sign", actor="E1061", target="E1064", position="sideways")
    with pytest.raises(NotAnApprover):
        eng.act(inst.id, "add_sign", actor="E1063", target="E1064", position="after")
    assert [a["kind"] for a in eng.get(inst.id).actions] == ["submit"]  # nothing written


def test_return_to_the_applicant_and_resubmit_keeps_the_instance_and_history(timed: Any) -> None:
    eng, events = timed
    inst = eng.submit("费用报销", applicant=APPLICANT, amount=8000, reason="差旅").instance
    eng.act(inst.id, "approve", actor="E1061")
    with pytest.raises(InputError):  # a return says what to change
        eng.act(inst.id, "return", actor="E1021")
    r = eng.act(inst.id, "return", actor="E1021", comment="缺发票")
    assert r.instance.status == "returned" and r.instance.pending == [APPLICANT]
    assert _pending_edges(eng, inst.id) == [APPLICANT]
    assert [i.id for i in eng.list_for(APPLICANT, "todo")] == [inst.id]  # in the applicant's 待办
    assert "待 彭飞 修改后重新提交" in r.instance.summary()
    with pytest.raises(NotAnApprover):
        eng.act(inst.id, "approve", actor="E1022")
    with pytest.raises(NotAnApprover):
        eng.act(inst.id, "resubmit", actor="E1021")
    r = eng.act(inst.id, "resubmit", actor=APPLICANT, comment="已补发票")
    assert r.applied and r.instance.id == inst.id and r.instance.status == "pending"
    assert r.instance.step_index == 1 and sorted(r.instance.pending) == ["E1021", "E1022", "E1024"]
    assert r.instance.steps[0].decisions == {"E1061": "approved"}  # the earlier step still stands
    assert eng.act(inst.id, "resubmit", actor=APPLICANT).applied is False  # a retry changes nothing
    eng.act(inst.id, "approve", actor="E1021")  # the same accountant decides again, in the new round
    eng.act(inst.id, "approve", actor="E1020")
    done = eng.get(inst.id)
    assert done.status == "approved"
    assert [a["kind"] for a in done.actions] == [
        "submit",
        "approve",
        "return",
        "resubmit",
        "approve",
        "approve",
    ]
    assert {e.kind for e in events} >= {"returned", "resubmitted"}


def test_return_to_an_earlier_step_and_to_a_step_the_version_lacks(timed: Any) -> None:
    eng, _ = timed
    inst = eng.submit("费用报销", applicant=APPLICANT, amount=800, reason="打车").instance
    eng.act(inst.id, "approve", actor="E1061")
    with pytest.raises(InputError) as lacking:
        eng.act(inst.id, "return", actor="E1022", comment="重审", return_to=5)
    assert "没有第 6 步" in lacking.value.message_zh
    with pytest.raises(InputError):
        eng.act(inst.id, "return", actor="E1022", comment="重审", return_to=1)  # not an earlier step
    r = eng.act(inst.id, "return", actor="E1022", comment="请上级重新确认金额", return_to=0)
    assert r.instance.status == "pending" and r.instance.step_index == 0 and r.instance.pending == ["E1061"]
    assert r.instance.steps[0].round == 1 and r.instance.steps[1].round == 1
    r = eng.act(inst.id, "approve", actor="E1061")  # decided again: a new round, a new key
    assert r.applied and r.instance.step_index == 1


def test_remind_at_most_once_an_hour_even_in_a_storm_or_with_the_clock_going_back(
    timed: Any, clock: Clock
) -> None:
    eng, events = timed
    inst = eng.submit("费用报销", applicant=APPLICANT, amount=800, reason="打车").instance
    with pytest.raises(NotAnApprover):
        eng.act(inst.id, "remind", actor="E1063")
    assert eng.act(inst.id, "remind", actor=APPLICANT).applied
    refused = 0
    for _ in range(99):  # a reminder storm: 99 more within the minute
        clock.advance(seconds=0.5)
        with pytest.raises(RemindTooSoon) as exc:
            eng.act(inst.id, "remind", actor=APPLICANT)
        refused += 1
    assert refused == 99 and "一小时内只能催办一次" in exc.value.message_zh
    clock.advance(hours=-5)  # the clock jumps backwards: still within the hour, still refused
    with pytest.raises(RemindTooSoon):
        eng.act(inst.id, "remind", actor=APPLICANT)
    clock.advance(hours=6, minutes=1)
    assert eng.act(inst.id, "remind", actor=APPLICANT).applied
    inst = eng.get(inst.id)
    assert [a["kind"] for a in inst.actions].count("remind") == 2
    times = [a["at"] for a in inst.actions]
    assert times == sorted(times)  # an instance's times never run backwards
    assert [e.recipients for e in events if e.kind == "reminded"] == [("E1061",), ("E1061",)]


def test_cc_per_process_and_per_application_and_comments_with_mentions(timed: Any) -> None:
    eng, events = timed
    inst = eng.submit("费用报销", applicant=APPLICANT, amount=800, reason="打车", cc=["E1066"]).instance
    assert sorted(p.id for p in inst.cc) == [
        "E1023",
        "E1066",
    ]  # 出纳 from the process, 董晓 from the application
    with pytest.raises(NotFoundError):
        eng.submit("费用报销", applicant=APPLICANT, amount=1, reason="x", cc=["E9999"])
    r = eng.act(inst.id, "comment", actor="E1061", comment="@彭飞 发票抬头不对？@E1066 请看一下")
    assert r.applied and r.instance.status == "pending"
    mentioned = [e for e in events if e.kind == "mentioned"]
    assert mentioned and mentioned[-1].recipients == (APPLICANT, "E1066")
    assert (
        eng.act(inst.id, "comment", actor="E1061", comment="@彭飞 发票抬头不对？@E1066 请看一下").applied
        is False
    )
    with pytest.raises(NotAnApprover):
        eng.act(inst.id, "comment", actor="E1063", comment="路过")
    eng.act(inst.id, "approve", actor="E1061")
    eng.act(inst.id, "approve", actor="E1024")
    cc = [e for e in events if e.kind == "cc"]
    assert len(cc) == 1 and sorted(cc[0].recipients) == ["E1023", "E1066"]  # once, when it ended
    assert eng.get(inst.id).involves("E1066")  # a person copied may read it


def test_delegation_set_for_a_period_chains_and_refuses_cycles(timed: Any, clock: Clock) -> None:
    eng, _ = timed
    eng.set_delegate("E1061", "E1068", "2026-03-01", "2026-03-10")  # 曹宇 → 潘登
    eng.set_delegate("E1068", "E1064", "2026-03-01", "2026-03-05")  # 潘登 → 萧然: the chain resolves
    with pytest.raises(InputError) as cycle:
        eng.set_delegate("E1064", "E1061", "2026-03-02", "2026-03-03")
    assert "循环" in cycle.value.message_zh and "cycle" in cycle.value.message_en
    with pytest.raises(InputError):
        eng.set_delegate("E1064", "E1064", "2026-03-02", "2026-03-03")
    with pytest.raises(InputError):
        eng.set_delegate("E1064", "E1065", "2026-03-09", "2026-03-03")
    inst = eng.submit("费用报销", applicant=APPLICANT, amount=800, reason="打车").instance
    step = inst.steps[0]
    assert [(p.id, p.on_behalf_of) for p in step.approvers] == [("E1064", "E1061")]
    r = eng.act(inst.id, "approve", actor="E1064")
    first = next(a for a in r.instance.actions if a["kind"] == "approve")
    assert first["onBehalfOf"] == "E1061"  # the audit names the original approver
    clock.advance(days=10)  # after the period: 曹宇 again
    later = eng.submit("费用报销", applicant=APPLICANT, amount=900, reason="打车").instance
    assert later.pending == ["E1061"]


def test_delegation_from_approved_leave_to_the_named_delegate_else_the_manager(timed: Any) -> None:
    eng, _ = timed
    # 曹宇 (E1061) takes leave for today, naming 潘登 (E1068); his manager E1060 approves it
    leave = eng.submit(
        "请假审批",
        applicant="E1061",
        days=1,
        reason="年假",
        period=("2026-03-02", "2026-03-02"),
        delegate="E1068",
    ).instance
    while (leave := eng.get(leave.id)).status == "pending":
        eng.act(leave.id, "approve", actor=leave.pending[0])
    assert leave.status == "approved"
    inst = eng.submit("费用报销", applicant=APPLICANT, amount=800, reason="打车").instance
    assert [(p.id, p.on_behalf_of) for p in inst.steps[0].approvers] == [("E1068", "E1061")]
    # 潘登 on leave too, naming no one: his manager — 曹宇, who is away: the loop stops, 潘登 keeps it
    other = eng.submit(
        "请假审批", applicant="E1068", days=1, reason="病假", period=("2026-03-02", "2026-03-02")
    )
    while (o := eng.get(other.instance.id)).status == "pending":
        eng.act(o.id, "approve", actor=o.pending[0])
    again = eng.submit("费用报销", applicant=APPLICANT, amount=700, reason="打车").instance
    assert again.pending == ["E1061"]  # a loop of leave-derived delegates: nobody on it delegates


def test_withdraw_a_returned_application_and_closed_ones_refuse_resubmit(timed: Any) -> None:
    eng, _ = timed
    inst = eng.submit("费用报销", applicant=APPLICANT, amount=800, reason="打车").instance
    eng.act(inst.id, "return", actor="E1061", comment="重填")
    assert eng.act(inst.id, "withdraw", actor=APPLICANT).instance.status == "withdrawn"
    assert _pending_edges(eng, inst.id) == []
    with pytest.raises(InstanceClosed):
        eng.act(inst.id, "resubmit", actor=APPLICANT)

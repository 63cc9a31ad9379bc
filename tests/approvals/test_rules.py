"""The approval rules (approvals.rules.decide) without a database: a table of single actions, and
properties of whole runs drawn by hypothesis (会签 needs every role, 或签 any one, a rejection ends it,
nothing moves a closed instance, the input is never changed)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from approvals.rules import (
    APPROVED,
    Action,
    EventSpec,
    Instance,
    InstanceClosed,
    Kind,
    NotAnApprover,
    Person,
    StepState,
    Transition,
    Unchanged,
    action_id,
    decide,
    parse_kind,
    steps_json,
)
from zhiku.errors import InputError, NotFoundError, ZhikuError

APPLICANT = "A0"
TERMINAL = ("approved", "rejected", "withdrawn")


def step(
    mode: str, *approvers: str | tuple[str, str], status: str = "waiting", **decisions: str
) -> StepState:
    """A step; an approver is an id (its own role) or (id, role) — holders of one role are interchangeable."""
    people = tuple(
        Person(a, f"name-{a}") if isinstance(a, str) else Person(a[0], f"name-{a[0]}", a[1])
        for a in approvers
    )
    return StepState(f"{mode}-step", mode, people, dict(decisions), status)


def instance(
    *steps: StepState, status: str = "pending", index: int = 0, actions: Sequence[dict[str, Any]] = ()
) -> Instance:
    if status == "pending" and steps and steps[index].status == "waiting":
        steps = (*steps[:index], dataclasses.replace(steps[index], status="pending"), *steps[index + 1 :])
    return Instance(
        "AP-test", "测试申请", "PROC-TEST", "测试流程", APPLICANT, "申请人", None, None, "", status, index,
        tuple(steps), 1, "", "", tuple(actions),
    )  # fmt: skip


def after(inst: Instance, action: Action, t: Transition) -> Instance:
    """The instance as the engine writes it: the transition's state, one version on, the action recorded."""
    record = {"id": action_id(inst.id, t.key), "actor": action.actor, "kind": action.kind}
    return dataclasses.replace(
        inst, status=t.status, step_index=t.step_index, steps=t.steps, version=inst.version + 1,
        actions=(*inst.actions, record),
    )  # fmt: skip


def transition(inst: Instance, action: Action) -> Transition:
    outcome = decide(inst, action)
    assert isinstance(outcome, Transition), outcome
    return outcome


# -- one action at a time ---------------------------------------------------------------------------

CONTRACT = instance(step("依次", "M1"), step("会签", "L1", "F1"), step("或签", "S1", "S2"))
ACCOUNTING = instance(step("或签", ("A1", "会计"), ("A2", "会计")), step("依次", "C1"))
ACCOUNTS = instance(step("会签", ("A1", "会计"), ("A2", "会计"), ("L1", "法务")))


@pytest.mark.parametrize(
    ("inst", "action", "status", "index", "pending", "events"),
    [
        pytest.param(CONTRACT, Action("approve", "M1"), "pending", 1, ["L1", "F1"],
                     (EventSpec("step_approved", (APPLICANT,)), EventSpec("pending", ("L1", "F1"))),
                     id="依次 approved: the next step's approvers are asked"),
        pytest.param(instance(step("会签", "L1", "F1")), Action("approve", "F1"), "pending", 0, ["L1"],
                     (EventSpec("signed", (APPLICANT,)), EventSpec("pending", ())), id="会签: waits for the others"),
        pytest.param(instance(step("会签", "L1", "F1", L1="approved")), Action("approve", "F1"), "approved", 1, [],
                     (EventSpec("approved", (APPLICANT,)),), id="会签: the last approval completes it"),
        pytest.param(instance(step("或签", "S1", "S2", "S3")), Action("approve", "S2"), "approved", 1, [],
                     (EventSpec("approved", (APPLICANT, "S1", "S3")),), id="或签: the first approval completes it"),
        pytest.param(instance(step("会签", "L1", "F1"), step("依次", "M1")), Action("reject", "L1", comment="不同意"), "rejected", 0, [],
                     (EventSpec("rejected", (APPLICANT, "F1")),), id="a rejection ends the instance"),
        pytest.param(instance(step("依次", ("H1", "hr"), ("H2", "hr"), ("D1", "director"))), Action("approve", "H2"),
                     "pending", 0, ["D1"], (EventSpec("signed", (APPLICANT,)), EventSpec("pending", ("D1",))),
                     id="依次: one holder of a role approves for it, then the next role"),
        pytest.param(instance(step("依次", "M1"), step("依次", "M1", "D1")), Action("approve", "M1"), "pending", 1, ["D1"],
                     (EventSpec("step_approved", (APPLICANT,)), EventSpec("pending", ("D1",))),
                     id="who approved an earlier step is not asked again"),
        pytest.param(instance(step("依次", "M1"), step("会签", "M1")), Action("approve", "M1"), "approved", 2, [],
                     (EventSpec("approved", (APPLICANT,)),), id="an auto-approved last step completes the instance"),
        pytest.param(instance(step("会签", "L1", "F1")), Action("withdraw", APPLICANT), "withdrawn", 0, [],
                     (EventSpec("withdrawn", ("L1", "F1")),), id="the applicant withdraws"),
        pytest.param(instance(step("会签", "L1", "F1")), Action("transfer", "L1", "T1", "代理人"), "pending", 0, ["T1", "F1"],
                     (EventSpec("transferred", ("T1", APPLICANT)),), id="transfer: the target takes the actor's place"),
    ],
)  # fmt: skip
def test_one_action(
    inst: Instance, action: Action, status: str, index: int, pending: list[str], events: tuple[EventSpec, ...]
) -> None:
    t = transition(inst, action)
    assert (t.status, t.step_index, t.pending, t.events) == (status, index, pending, events)
    assert after(inst, action, t).pending == pending


def test_auto_approval_is_recorded_as_auto() -> None:
    t = transition(instance(step("依次", "M1"), step("依次", "M1", "D1")), Action("approve", "M1"))
    assert t.steps[1].decisions == {"M1": "auto"} and t.steps[0].decisions == {"M1": "approved"}


def test_transfer_keeps_the_role_and_names_the_target() -> None:
    t = transition(instance(step("依次", ("L1", "法务"))), Action("transfer", "L1", "T1", "代理人"))
    assert t.steps[0].approvers == (Person("T1", "代理人", "法务"),)


REJECT_M1 = Action("reject", "M1", comment="不同意")
DONE = after(CONTRACT, REJECT_M1, transition(CONTRACT, REJECT_M1))


@pytest.mark.parametrize(
    ("inst", "action", "error", "message"),
    [
        pytest.param(CONTRACT, Action("approve", "L1"), NotAnApprover, "还没有轮到你", id="an approver of a later step"),
        pytest.param(CONTRACT, Action("approve", APPLICANT), NotAnApprover, "不是当前步骤", id="the applicant approving"),
        pytest.param(instance(step("依次", ("H1", "hr"), ("D1", "director"))), Action("approve", "D1"), NotAnApprover,
                     "还没有轮到你", id="依次: not their turn yet"),
        pytest.param(CONTRACT, Action("withdraw", "M1"), NotAnApprover, "只有申请人", id="someone else withdrawing"),
        pytest.param(DONE, Action("withdraw", APPLICANT), InstanceClosed, "不能撤回", id="withdrawing a closed one"),
        pytest.param(DONE, Action("approve", "L1"), InstanceClosed, "不能再同意", id="approving a closed one"),
        pytest.param(DONE, Action("approve", "X9"), NotAnApprover, "不是这份申请", id="a stranger on a closed one"),
        pytest.param(DONE, Action("approve", "X9", step=0), NotAnApprover, "不是这份申请", id="a stranger's card on a closed one"),
        pytest.param(CONTRACT, Action("reject", "M1", comment=" "), InputError, "驳回意见", id="a rejection without a comment"),
        pytest.param(CONTRACT, Action("transfer", "M1"), InputError, "转交给谁", id="transfer without a target"),
        pytest.param(CONTRACT, Action("transfer", "M1", "M1", "x"), InputError, "转交给谁", id="transfer to oneself"),
        pytest.param(CONTRACT, Action("transfer", "M1", APPLICANT, "x"), InputError, "申请人", id="transfer to the applicant"),
        pytest.param(CONTRACT, Action("transfer", "M1", "E404"), NotFoundError, "没有这个员工", id="transfer to no employee"),
        pytest.param(CONTRACT, Action("approve", "S1", step=7), NotAnApprover, "这一步", id="a card for a step that is not there"),
    ],
)  # fmt: skip
def test_refused(inst: Instance, action: Action, error: type[ZhikuError], message: str) -> None:
    with pytest.raises(error) as caught:
        decide(inst, action)
    assert message in caught.value.message_zh


@pytest.mark.parametrize(
    ("inst", "action", "message"),
    [
        pytest.param(after(CONTRACT, Action("approve", "M1"), transition(CONTRACT, Action("approve", "M1"))),
                     Action("approve", "M1"), "无需重复", id="the same tap twice"),
        pytest.param(after(CONTRACT, Action("approve", "M1", key="card-1"), transition(CONTRACT, Action("approve", "M1", key="card-1"))),
                     Action("approve", "M1", step=0, key="card-1"), "无需重复", id="the same card key twice"),
        pytest.param(after(CONTRACT, Action("approve", "M1"), transition(CONTRACT, Action("approve", "M1"))),
                     Action("approve", "M1", step=0, key="card-2"), "已由name-M1处理", id="a stale card for a closed step"),
        pytest.param(DONE, Action("approve", "L1", step=1), "无需再处理", id="a stale card on a closed instance"),
        pytest.param(after(ACCOUNTING, Action("approve", "A2"), transition(ACCOUNTING, Action("approve", "A2"))),
                     Action("approve", "A1"), "已由name-A2处理", id="a late holder of the role, step closed"),
        pytest.param(after(ACCOUNTS, Action("approve", "A2"), transition(ACCOUNTS, Action("approve", "A2"))),
                     Action("approve", "A1"), "角色已由name-A2同意", id="a late holder of a 会签 role"),
        pytest.param(after(CONTRACT, Action("reject", "M1", key="card-3", comment="x"),
                           transition(CONTRACT, Action("reject", "M1", key="card-3", comment="x"))),
                     Action("approve", "M1", step=0, key="card-3"), "处理过了（驳回）", id="the other button, same card"),
    ],
)  # fmt: skip
def test_nothing_to_write(inst: Instance, action: Action, message: str) -> None:
    outcome = decide(inst, action)
    assert isinstance(outcome, Unchanged) and message in outcome.message


def test_the_same_person_may_transfer_again_once_it_came_back() -> None:
    inst = instance(step("依次", ("M1", "上级")))
    for actor, target in (("M1", "T1"), ("T1", "M1"), ("M1", "T2")):
        action = Action("transfer", actor, target, "x")
        inst = after(inst, action, transition(inst, action))
    assert inst.pending == ["T2"]


def test_unknown_kinds_are_refused() -> None:
    assert parse_kind("approve") == "approve"
    with pytest.raises(InputError):
        parse_kind("delete")


# -- whole runs, drawn by hypothesis ------------------------------------------------------------------

PEOPLE = [f"E{i}" for i in range(1, 7)]
MODES = ("依次", "会签", "或签")


@st.composite
def steps_of(draw: st.DrawFn) -> tuple[StepState, ...]:
    """1–4 steps of any mode; 1–4 distinct approvers each, some sharing a role (interchangeable in 依次)."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        ids = draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4, unique=True))
        roles = draw(st.lists(st.sampled_from(["r1", "r2", "r3"]), min_size=len(ids), max_size=len(ids)))
        out.append(step(draw(st.sampled_from(MODES)), *zip(ids, roles, strict=True)))
    return tuple(out)


def an_action(inst: Instance) -> st.SearchStrategy[Action]:
    """Mostly someone the instance waits on, sometimes anyone (the applicant, a stranger, a later approver)."""
    actors = st.sampled_from([*PEOPLE, APPLICANT])
    if inst.pending:
        actors = st.one_of(
            st.sampled_from(inst.pending), st.sampled_from(inst.pending), st.just(APPLICANT), actors
        )
    return st.builds(
        Action,
        kind=st.sampled_from(["approve", "approve", "approve", "reject", "transfer", "withdraw"]),
        actor=actors,
        target=st.sampled_from([None, *PEOPLE, "E404"]),
        target_name=st.just("代理人"),
        step=st.sampled_from([None, None, None, 0, 1]),
        comment=st.sampled_from(["意见", "意见", ""]),
    )


def approved_by_everyone_needed(s: StepState) -> bool:
    ok = {i for i, d in s.decisions.items() if d in APPROVED}
    if s.mode == "或签":
        return bool(ok & {p.id for p in s.approvers})
    return all(ok & set(group) for group in s.groups())


@settings(max_examples=200, deadline=None)
@given(steps=steps_of(), length=st.integers(1, 25), data=st.data())
def test_any_run_of_actions_follows_the_rules(
    steps: tuple[StepState, ...], length: int, data: st.DataObject
) -> None:
    inst = instance(*steps)
    for _ in range(length):
        action = data.draw(an_action(inst))
        before = steps_json(inst.steps)
        try:
            outcome = decide(inst, action)
        except (NotAnApprover, InstanceClosed, InputError, NotFoundError):
            outcome = None
        assert steps_json(inst.steps) == before  # deciding never changes its input
        if inst.status in TERMINAL:
            assert not isinstance(outcome, Transition)  # nothing moves a closed instance
        if not isinstance(outcome, Transition):
            continue
        nxt = after(inst, action, outcome)
        acted = nxt.steps[outcome.acted_step]
        assert nxt.step_index >= inst.step_index
        assert set(nxt.pending) <= {p.id for p in nxt.current.approvers} if nxt.current else nxt.pending == []
        if action.kind == "reject":
            assert nxt.status == "rejected" and action.comment
        if action.kind == "approve":
            assert acted.status == ("approved" if approved_by_everyone_needed(acted) else "pending")
            if acted.mode == "或签":
                assert acted.status == "approved"  # 或签: the first approval completes the step
        if nxt.status == "approved":
            assert nxt.step_index == len(nxt.steps)
            assert all(s.status == "approved" and approved_by_everyone_needed(s) for s in nxt.steps)
        inst = nxt
    event(f"ended {inst.status}")


@settings(max_examples=100, deadline=None)
@given(order=st.permutations(PEOPLE[:4]))
def test_countersign_completes_only_after_every_approver(order: list[str]) -> None:
    inst = instance(step("会签", *PEOPLE[:4]))
    for n, actor in enumerate(order, 1):
        inst = after(inst, Action("approve", actor), transition(inst, Action("approve", actor)))
        assert inst.status == ("approved" if n == len(order) else "pending")
        assert sorted(inst.pending) == sorted(order[n:]) if n < len(order) else inst.pending == []


@settings(max_examples=100, deadline=None)
@given(steps=steps_of(), approvals=st.integers(0, 12), data=st.data())
def test_a_rejection_ends_it_and_nothing_moves_it_after(
    steps: tuple[StepState, ...], approvals: int, data: st.DataObject
) -> None:
    inst = instance(*steps)
    for _ in range(approvals):  # some approvals first, by whoever is asked
        if inst.status != "pending":
            break
        actor = data.draw(st.sampled_from(inst.pending))
        inst = after(inst, Action("approve", actor), transition(inst, Action("approve", actor)))
    if inst.status == "pending":
        actor = data.draw(st.sampled_from(inst.pending))
        reject = Action("reject", actor, comment="不同意")
        inst = after(inst, reject, transition(inst, reject))
        assert inst.status == "rejected" and inst.pending == []
    kind: Kind
    for kind in ("approve", "reject", "transfer", "withdraw"):
        for actor in [*PEOPLE, APPLICANT]:
            try:
                outcome = decide(inst, Action(kind, actor, target="E6", target_name="x"))
            except (InstanceClosed, NotAnApprover):
                continue
            assert isinstance(outcome, Unchanged)

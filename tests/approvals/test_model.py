"""A model-based check of the approval engine: hypothesis drives the real engine on the real embedded
graph (submit, approve, reject with and without a comment, transfer, withdraw, 加签 before / after /
into a 会签 step, 退回 to the applicant or an earlier step (also to one the instance lacks),
resubmission, 催办 within the hour, comments, shared and default idempotency keys, late approvers,
strangers, and pairs of actions on two connections at once) and
compares every outcome with a small reference model written from docs/approvals.md — not from
approvals/rules.py. After every step the instance's status, step, decisions and who it waits on, the
graph's ``PENDING_WITH`` edges and the audit trail must agree with the model.

The CI run is small; ``-m slow`` runs a larger one."""

from __future__ import annotations

import copy
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from approvals.engine import ApprovalEngine, ApprovalResult
from approvals.rules import InstanceClosed, NotAnApprover, RemindTooSoon
from graph.falkordb_store import FalkorDBStore
from zhiku.errors import InputError

APPROVED = ("approved", "auto")
APPLICATIONS = [  # (process, applicant, amount, days): 依次, 会计 (one role, three people), 会签, 四方会签
    ("费用报销", "E1062", 800.0, None),
    ("费用报销", "E1062", 8000.0, None),
    ("合同审批", "E1040", 100_000.0, None),
    ("离职审批", "E1062", None, None),
    ("请假审批", "E1040", None, 5.0),
]
STRANGER = "E1063"  # on no step of any of these
KINDS = [
    "approve", "approve", "approve", "approve", "reject", "transfer", "withdraw", "add_sign", "return",
    "resubmit", "remind", "comment",
]  # fmt: skip
TARGETS = ["E1064", "E1065"]  # transfer targets (on no step either)


# -- the reference model: docs/approvals.md, written out -------------------------------------------


@dataclass
class MStep:
    mode: str
    groups: list[list[str]]  # approvers by role; any one holder decides for the role
    decisions: dict[str, str] = field(default_factory=dict)
    round: int = 0  # how often 退回 sent it back
    added: bool = False  # added by 加签

    def tag(self) -> str:
        return (f"r{self.round}" if self.round else "") + ("+" if self.added else "")

    def reset(self) -> None:
        self.decisions = {}
        self.round += 1

    def people(self) -> list[str]:
        return [p for g in self.groups for p in g]

    def open_groups(self) -> list[list[str]]:
        return [g for g in self.groups if not any(self.decisions.get(p) in APPROVED for p in g)]

    def done(self) -> bool:
        if self.mode == "或签":
            return any(d in APPROVED for d in self.decisions.values())
        return not self.open_groups()

    def waits_on(self) -> list[str]:
        if self.mode == "或签":
            return self.people()
        groups = self.open_groups()
        if self.mode == "依次":
            return groups[0] if groups else []
        return [p for g in groups for p in g]

    def decided(self) -> bool:
        return "rejected" in self.decisions.values() or self.done()


@dataclass
class MInstance:
    id: str
    applicant: str
    steps: list[MStep]
    status: str = "pending"
    index: int = 0
    version: int = 1
    keys: set[str] = field(default_factory=set)
    done: set[tuple[str, str]] = field(default_factory=set)  # (actor, kind) applied since the last 退回
    done_ever: set[tuple[str, str]] = field(default_factory=set)  # (actor, kind) applied
    applied: int = 0
    reminded: bool = False  # 催办 at most once an hour: the whole run is well within one

    def pending(self) -> list[str]:
        if self.status == "returned":
            return [self.applicant]
        return self.steps[self.index].waits_on() if self.status == "pending" else []

    def _settle(self) -> None:
        """While the current step is approved, the next one starts (or the instance is approved)."""
        while self.steps[self.index].done():
            self.index += 1
            if self.index == len(self.steps):
                self.status = "approved"
                break
            self._enter(self.index)

    def _key(self, kind: str, actor: str, comment: str, target: str | None, position: str) -> str:
        tag = self.steps[self.index].tag() if self.index < len(self.steps) else ""
        key = f"{kind}:{self.index}{tag}:{actor}"
        if kind == "add_sign":
            return f"{key}:{position}:{target}"
        if kind == "comment":
            return f"comment:{actor}:{hashlib.sha1(comment.encode()).hexdigest()[:12]}"
        return f"{key}:v{self.version}" if kind in ("transfer", "remind") else key

    def everyone(self) -> set[str]:
        return {p for s in self.steps for p in s.people()}

    def _enter(self, i: int) -> None:
        """Someone who approved an earlier step counts as approving here too (``auto``)."""
        before = {p for s in self.steps[:i] for p, d in s.decisions.items() if d in APPROVED}
        step = self.steps[i]
        while not step.decided():
            who = next((p for p in step.waits_on() if p in before and p not in step.decisions), None)
            if who is None:
                break
            step.decisions[who] = "auto"

    def act(
        self,
        kind: str,
        actor: str,
        key: str | None,
        comment: str,
        target: str | None,
        position: str = "",
        to: int | None = None,
    ) -> str:
        """Apply an action; returns "applied", "noop", or the error class's name."""
        key = key or self._key(kind, actor, comment.strip(), target, position)
        if key in self.keys:
            return "noop"
        if kind == "withdraw":
            if actor != self.applicant:
                return "NotAnApprover"
            if self.status not in ("pending", "returned"):
                return "InstanceClosed"
            self.status = "withdrawn"
            return self._applied(key, actor, kind)
        if kind == "comment":
            if not comment.strip():
                return "InputError"
            if actor not in self.everyone() | {self.applicant}:
                return "NotAnApprover"
            return self._applied(key, actor, kind)
        if kind == "remind":
            if actor != self.applicant:
                return "NotAnApprover"
            if self.status != "pending":
                return "InstanceClosed"
            if self.reminded:
                return "RemindTooSoon"
            self.reminded = True
            return self._applied(key, actor, kind)
        if kind == "resubmit":
            if actor != self.applicant:
                return "NotAnApprover"
            if self.status != "returned":
                return "InputError" if self.status == "pending" else "InstanceClosed"
            self.status = "pending"
            self._enter(self.index)
            self._settle()
            return self._applied(key, actor, kind)
        if self.status == "returned":
            return "NotAnApprover"
        if self.status != "pending" and (actor, kind) in self.done_ever:
            return "noop"  # a retry, also of a transfer that took them off the step
        if self.status == "pending" and actor not in self.pending() and (actor, kind) in self.done:
            return "noop"
        if actor not in self.everyone():
            return "NotAnApprover"
        if self.status != "pending":
            mine = [s for s in self.steps if actor in s.people()]
            if not any(actor in s.decisions for s in self.steps) and any(s.decided() for s in mine):
                return "noop"  # a late approver: someone else decided their step
            return "InstanceClosed"
        step = self.steps[self.index]
        if actor not in step.waits_on():
            if actor in step.decisions:
                return "noop"
            mine = [g for g in step.groups if actor in g]
            if mine:
                return "noop" if all(g not in step.open_groups() for g in mine) else "NotAnApprover"
            earlier = [
                s for s in self.steps[: self.index] if actor in s.people() and actor not in s.decisions
            ]
            return "noop" if earlier else "NotAnApprover"
        if kind == "transfer":
            assert target is not None
            if target in step.people():
                return "InputError"
            step.groups = [[target if p == actor else p for p in g] for g in step.groups]
            return self._applied(key, actor, kind)
        if kind == "add_sign":
            assert target is not None
            if target == self.applicant or target in step.people():
                return "InputError"
            if position == "cosign":
                if step.mode != "会签":
                    return "InputError"
                step.groups.append([target])  # a role of their own
                self._enter(self.index)
                self._settle()
            elif position == "after":
                self.steps.insert(self.index + 1, MStep("依次", [[target]], added=True))
            else:  # before: the target first, then the step comes back to its approvers
                self.steps.insert(self.index, MStep("依次", [[target]], added=True))
                self._enter(self.index)
                self._settle()
            return self._applied(key, actor, kind)
        if kind == "return":
            if not comment.strip():
                return "InputError"
            if to is None:
                step.reset()
                self.status = "returned"
            else:
                if to >= len(self.steps) or to >= self.index:
                    return "InputError"
                for s in self.steps[to : self.index + 1]:
                    s.reset()
                self.index = to
                self._enter(to)
                self._settle()
            applied = self._applied(key, actor, kind)
            self.done.clear()  # a step sent back is decided afresh (the 退回 itself included)
            return applied
        if kind == "reject":
            if not comment.strip():
                return "InputError"
            step.decisions[actor] = "rejected"
            self.status = "rejected"
            return self._applied(key, actor, kind)
        step.decisions[actor] = "approved"
        self._settle()
        return self._applied(key, actor, kind)

    def _applied(self, key: str, actor: str, kind: str) -> str:
        self.keys.add(key)
        self.done.add((actor, kind))
        self.done_ever.add((actor, kind))
        self.version += 1
        self.applied += 1
        return "applied"


def pick(data: st.DataObject, options: list[Any]) -> Any:
    """One of ``options``, drawn the same way whatever they are: what a draw looks like must not depend
    on state that concurrency decides (which of two racing actions won), or hypothesis cannot replay."""
    return options[data.draw(st.integers(0, 63)) % len(options)]


def outcome(call: Any) -> str:
    try:
        result: ApprovalResult = call()
    except (NotAnApprover, InstanceClosed, InputError, RemindTooSoon) as exc:
        return type(exc).__name__
    return "applied" if result.applied else "noop"


def observed(inst: Any) -> tuple[Any, ...]:
    return inst.status, inst.step_index, sorted(inst.pending), [dict(s.decisions) for s in inst.steps]


def expected(m: MInstance) -> tuple[Any, ...]:
    return m.status, m.index, sorted(m.pending()), [dict(s.decisions) for s in m.steps]


# -- the machine -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Act:
    kind: str
    actor: str
    key: str | None
    comment: str
    target: str | None
    position: str = ""
    to: int | None = None

    def __iter__(self) -> Iterator[Any]:  # the model takes them in this order
        return iter((self.kind, self.actor, self.key, self.comment, self.target, self.position, self.to))

    def run(self, engine: ApprovalEngine, instance_id: str) -> ApprovalResult:
        return engine.act(
            instance_id, self.kind, actor=self.actor, key=self.key, comment=self.comment, target=self.target,
            position=self.position, return_to=self.to,
        )  # fmt: skip


class ApprovalMachine(RuleBasedStateMachine):
    store: FalkorDBStore
    others: list[FalkorDBStore]  # two more connections, for actions at the same moment

    def __init__(self) -> None:
        super().__init__()
        self.engine = ApprovalEngine(self.store)
        self.model: dict[str, MInstance] = {}
        self.order: list[str] = []  # instance ids in submit order (ids themselves are random)

    @rule(app=st.sampled_from(APPLICATIONS))
    def submit(self, app: tuple[str, str, float | None, float | None]) -> None:
        process, applicant, amount, days = app
        inst = self.engine.submit(process, applicant=applicant, amount=amount, days=days).instance
        steps = []
        for s in inst.steps:
            groups = s.groups()
            if len(groups) == 1 and len(groups[0]) > 1:  # one role, several holders: shown as 或签
                assert s.mode == "或签", (s.name, s.mode)
            steps.append(MStep(s.mode, [list(g) for g in groups]))
        m = MInstance(inst.id, applicant, steps)
        m._enter(0)
        self.model[inst.id] = m
        self.order.append(inst.id)
        assert observed(inst) == expected(m)

    def _action(self, data: st.DataObject, m: MInstance) -> Act:
        actors = sorted(m.everyone() | {m.applicant, STRANGER, *TARGETS})
        asked = data.draw(st.booleans())  # mostly someone the instance waits on
        actor = pick(data, m.pending() if asked and m.pending() else actors)
        kind = pick(data, KINDS)
        key = pick(data, [None, None, "k1", "k2"])
        comment = pick(data, ["同意", "材料不全", ""])
        target = pick(data, TARGETS)
        position = pick(data, ["before", "after", "cosign"]) if kind == "add_sign" else ""
        to = pick(data, [None, None, 0, 1, 9]) if kind == "return" else None  # 9: a step no instance has
        return Act(
            kind, actor, key, comment, target if kind in ("transfer", "add_sign") else None, position, to
        )

    @precondition(lambda self: bool(self.order))
    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        m = self.model[pick(data, self.order)]
        a = self._action(data, m)
        want = m.act(*a)
        got = outcome(lambda: a.run(self.engine, m.id))
        assert got == want, a
        assert observed(self.engine.get(m.id)) == expected(m)

    @precondition(lambda self: bool(self.order))
    @rule(data=st.data())
    def act_at_once(self, data: st.DataObject) -> None:
        """Two actions on one instance at the same moment, each on its own connection: the result is
        one of the two orders, never a mix (nothing lost, nothing counted twice)."""
        m = self.model[pick(data, self.order)]
        actions = [self._action(data, m) for _ in range(2)]
        if data.draw(st.booleans()):  # one card's two buttons, or one tap delivered twice: same actor and key
            first = replace(actions[0], key=actions[0].key or "k1")
            actions = [first, replace(actions[1], actor=first.actor, key=first.key)]
        barrier = threading.Barrier(2)
        got: list[str] = ["", ""]

        def run(i: int) -> None:
            engine = ApprovalEngine(self.others[i])
            barrier.wait()
            got[i] = outcome(lambda: actions[i].run(engine, m.id))

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        after = observed(self.engine.get(m.id))
        for order in ((0, 1), (1, 0)):
            trial = copy.deepcopy(m)
            want = ["", ""]
            for i in order:
                want[i] = trial.act(*actions[i])
            if want == got and expected(trial) == after:
                self.model[m.id] = trial
                return
        raise AssertionError(f"no order of {actions} gives {got} / {after}")

    @invariant()
    def graph_agrees(self) -> None:
        """Who each instance waits on in the graph, and its audit trail, are the model's."""
        if not self.model:
            return
        rows = self.store.query(
            "MATCH (i:ApprovalInstance) WHERE i.id IN $ids OPTIONAL MATCH (i)-[:PENDING_WITH]->(p) "
            "OPTIONAL MATCH (a:ApprovalAction)-[:ACTION_ON]->(i) "
            "RETURN i.id AS id, collect(DISTINCT p.id) AS pending, count(DISTINCT a) AS actions",
            {"ids": sorted(self.model)},
        )
        for r in rows:
            m = self.model[r["id"]]
            assert sorted(r["pending"]) == sorted(m.pending()), (r["id"], m.status)
            assert r["actions"] == m.applied + 1  # every applied action audited once, plus the submit


@pytest.fixture
def machine(org: FalkorDBStore) -> Iterator[type[ApprovalMachine]]:
    others = [FalkorDBStore.embedded(org.server.graph_dir, org.graph_name) for _ in range(2)]  # type: ignore[union-attr]
    ApprovalMachine.store, ApprovalMachine.others = org, others
    yield ApprovalMachine
    for s in others:
        s.close()


CHECKS = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much]


def test_the_engine_follows_the_documented_rules(machine: type[ApprovalMachine]) -> None:
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=20, stateful_step_count=30, deadline=None, suppress_health_check=CHECKS
        ),
    )


@pytest.mark.slow
def test_the_engine_follows_the_documented_rules_at_length(machine: type[ApprovalMachine]) -> None:
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=150, stateful_step_count=60, deadline=None, suppress_health_check=CHECKS
        ),
    )

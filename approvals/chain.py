"""Who approves: a process definition from the graph resolved to the concrete people for one
applicant under given conditions (amount in 元, days).

Steps apply when their conditions hold — ``minAmount``/``minDays`` mean *more than* (超过), the
``max`` bounds *at most* — and each step's approver roles resolve relative to the applicant:
``direct_manager`` (REPORTS_TO), ``department_head`` (head of the applicant's department, or of
the department above when the applicant heads it, or else the applicant's superior), ``position``
(everyone holding the position).
Modes (docs/approvals.md): approvers are grouped by role and any one holder of a role decides for
it; 依次 takes the roles one after another, 会签 needs every role, 或签 any one approver. A step whose
approvers all hold one role is therefore decided by any one of them: it resolves as 或签
(:func:`effective_mode`), so the engine, ``whoApproves``, the chat and the cards all say so.

Example::

    chain = resolve_chain(store, "PROC-EXPENSE", applicant="E1040", amount=8000)
    [(s.name, s.mode, [p.name for p in s.approvers]) for s in chain.steps]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graph.base import GraphStore
from queries import load as load_query
from zhiku.errors import InputError, NotFoundError

MODES = ("依次", "会签", "或签")


@dataclass(frozen=True, slots=True)
class Approver:
    id: str
    name: str
    role: str  # the approver role's name, e.g. 直属上级


def effective_mode(mode: str, approvers: tuple[Approver, ...]) -> str:
    """How a step is decided once resolved: 或签 when several people hold its one role (any of them
    decides, whatever the definition says), else the declared mode."""
    roles = {a.role or a.id for a in approvers}
    return "或签" if len(roles) == 1 and len(approvers) > 1 else mode


@dataclass(frozen=True, slots=True)
class ChainStep:
    id: str
    name: str
    ordinal: int
    mode: str  # as resolved for these approvers (effective_mode); ``declared_mode`` is the definition's
    condition: str  # human-readable, e.g. 金额超过5000元; "" when unconditional
    approvers: tuple[Approver, ...]
    applies: bool
    unresolved: tuple[str, ...] = ()  # roles no one holds (the step needs an admin's attention)
    declared_mode: str = ""


@dataclass(slots=True)
class Chain:
    process_id: str
    process_name: str
    applicant_id: str
    applicant_name: str
    amount: float | None
    days: float | None
    steps: list[ChainStep] = field(default_factory=list)

    @property
    def active_steps(self) -> list[ChainStep]:
        return [s for s in self.steps if s.applies]


def find_process(store: GraphStore, name_or_id: str) -> tuple[str, str]:
    rows = store.query(load_query("find_process").text, {"name": name_or_id.strip()})
    if not rows:
        raise NotFoundError(
            f"没有找到审批流程：{name_or_id}",
            f"no approval process named {name_or_id}",
            hint="用流程 ID（如 PROC-EXPENSE）或名称（如 费用报销）",
        )
    return rows[0]["id"], rows[0]["name"]


def condition_text(row: Mapping[str, Any]) -> str:
    """When a step of ``process_steps.cypher`` applies, in Chinese (e.g. 金额超过5000元); "" when always."""
    parts = []
    if row["minAmount"] is not None:
        parts.append(f"金额超过{row['minAmount']:g}元")
    if row["maxAmount"] is not None:
        parts.append(f"金额不超过{row['maxAmount']:g}元")
    if row["minDays"] is not None:
        parts.append(f"超过{row['minDays']:g}天")
    if row["maxDays"] is not None:
        parts.append(f"不超过{row['maxDays']:g}天")
    return "且".join(parts)


def _applies(row: dict[str, Any], amount: float | None, days: float | None) -> bool:
    if row["minAmount"] is not None and (amount is None or amount <= row["minAmount"]):
        return False
    if row["maxAmount"] is not None and amount is not None and amount > row["maxAmount"]:
        return False
    if row["minDays"] is not None and (days is None or days <= row["minDays"]):
        return False
    return not (row["maxDays"] is not None and days is not None and days > row["maxDays"])


def resolve_chain(
    store: GraphStore, process: str, *, applicant: str, amount: float | None = None, days: float | None = None
) -> Chain:
    """The concrete approval chain; :class:`NotFoundError` for an unknown process or applicant."""
    if (amount is not None and amount < 0) or (days is not None and days < 0):
        raise InputError("金额和天数不能为负数", "amount and days must not be negative")
    process_id, process_name = find_process(store, process)
    steps = store.query(load_query("process_steps").text, {"id": process_id})
    positions = sorted({a["position"] for s in steps for a in s["approvers"] if a.get("position")})
    rows = store.query(
        load_query("approver_candidates").text, {"applicant": applicant, "positions": positions}
    )
    if not rows:
        raise NotFoundError(f"没有这个员工：{applicant}", f"no employee with id {applicant}")
    people = rows[0]
    heads = sorted((h for h in people["heads"] if h.get("id")), key=lambda h: h["depth"])
    chain = Chain(process_id, process_name, applicant, people["applicantName"] or applicant, amount, days)
    for row in steps:
        approvers: list[Approver] = []
        unresolved: list[str] = []
        for role in row["approvers"]:
            if not role.get("id"):
                continue
            found: list[Approver] = []
            if role["relation"] == "direct_manager" and people["manager"]:
                found.append(Approver(people["manager"], people["managerName"], role["name"]))
            elif role["relation"] == "department_head":
                head = next((h for h in heads if h["id"] != applicant), None)
                if head:
                    found.append(Approver(head["id"], head["name"], role["name"]))
                elif people["manager"]:  # the applicant heads the department: their superior signs
                    found.append(Approver(people["manager"], people["managerName"], role["name"]))
            elif role["relation"] == "position":
                found.extend(
                    Approver(h["id"], h["name"], role["name"])
                    for h in people["holders"]
                    if h.get("id") and h["position"] == role["position"] and h["id"] != applicant
                )
            if not found:
                unresolved.append(role["name"])
            approvers.extend(a for a in found if a not in approvers)
        declared = row["mode"] if row["mode"] in MODES else "依次"
        chain.steps.append(
            ChainStep(
                row["id"],
                row["name"],
                int(row["ordinal"] or 0),
                effective_mode(declared, tuple(approvers)),
                condition_text(row),
                tuple(approvers),
                _applies(row, amount, days),
                tuple(unresolved),
                declared,
            )
        )
    return chain

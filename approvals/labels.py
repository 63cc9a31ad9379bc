"""What an approval chain is called in the asker's language: the process's name and each step's.

A step is named by its own label in that language when the data has one, else by the labels of the
approver roles it asks for ("Direct manager", "HRBP / HR manager"), else as the process definition
names it (Chinese). The process's name comes from its labels (:func:`lang.labels.label_in`), else
stays Chinese. The chat's who-approves reply uses it, so an English or Japanese asker reads
"Expense reimbursement" / 「経費精算申請」, not 费用报销; ``whoApproves`` names the chain, its steps and
the approvers' roles the same way.

Example::

    names = chain_labels(store, chain, "ja")
    names.process, names.step(chain.steps[0])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from approvals.chain import Chain, ChainStep
from graph.base import GraphStore
from lang.labels import label_in, language_code
from queries import load as load_query


@dataclass(frozen=True, slots=True)
class ChainLabels:
    """A chain's names in one language (``steps``: step id → name; a step not in it keeps its own;
    ``roles``: an approver role's own name → its name in the language)."""

    process: str
    steps: Mapping[str, str] = field(default_factory=dict)
    roles: Mapping[str, str] = field(default_factory=dict)

    def step(self, step: ChainStep) -> str:
        return self.steps.get(step.id, step.name)

    def role(self, name: str) -> str:
        return self.roles.get(name, name)


def step_label(step: Mapping[str, Any], roles: Sequence[Mapping[str, Any]], language: str) -> str | None:
    """A step's name in ``language``: its own label, else its roles' labels joined by " / " (all of
    them must have one); ``None`` when the data has neither."""
    own = label_in(step, language)
    if own:
        return own
    names = [label_in(role, language) for role in roles]
    if not names or any(n is None for n in names):
        return None
    return " / ".join(dict.fromkeys(n for n in names if n))


def chain_labels(store: GraphStore, chain: Chain, language: str) -> ChainLabels:
    """``chain``'s names in ``language`` (read from the graph: the process, its steps, their roles)."""
    if language_code(language) == "zh":
        return ChainLabels(chain.process_name)
    steps = store.query(load_query("process_steps").text, {"id": chain.process_id})
    roles_of = {s["id"]: [a["id"] for a in s["approvers"] if a.get("id")] for s in steps}
    ids = {chain.process_id, *roles_of, *(r for roles in roles_of.values() for r in roles)}
    rows = store.query(load_query("entities_by_ids").text, {"ids": sorted(ids)})
    props = {r["id"]: r["properties"] for r in rows}
    named: dict[str, str] = {}
    for step_id, role_ids in roles_of.items():
        label = step_label(props.get(step_id, {}), [props.get(r, {}) for r in role_ids], language)
        if label:
            named[step_id] = label
    roles = {
        str(props[r]["name"]): label
        for r in {r for ids in roles_of.values() for r in ids}
        if props.get(r, {}).get("name") and (label := label_in(props[r], language))
    }
    process = label_in(props.get(chain.process_id, {}), language) or chain.process_name
    return ChainLabels(process, named, roles)

"""Versioned process definitions: an instance keeps the steps (and the definition version) it started
with, so loading a new ``processes.yaml`` changes the route of new applications only. What a load
reports is which running instances still wait on a step the new version no longer has — they finish
on their own version, but an admin should know.

Example::

    stranded(store, "PROC-EXPENSE", {"直属上级审批", "财务总监审批"}, 3)
    # ['AP-… 张三的费用报销（800元）：第 1 版，待“会计审核”——第 3 版已无此步骤']
"""

from __future__ import annotations

import json

from graph.base import GraphStore
from queries import load as load_query


def stranded(store: GraphStore, process_id: str, step_names: set[str], version: int) -> list[str]:
    """One line (Chinese) per open instance of ``process_id`` whose current step is not in
    ``step_names`` (the new version's steps)."""
    out = []
    for row in store.query(load_query("approval_open_of_process").text, {"process": process_id}):
        steps = json.loads(row["steps"])
        index = int(row["stepIndex"])
        if not 0 <= index < len(steps):
            continue
        step = steps[index]
        if step.get("added_by") or step["name"] in step_names:
            continue  # an added step (加签) is the instance's own
        was = row["version"] or 0
        out.append(
            f"{row['id']} {row['name']}：第 {was} 版，待“{step['name']}”——第 {version} 版已无此步骤，"
            f"该申请按原版本继续审批 / waits on step {step['name']!r}, which version {version} removed; "
            "it finishes on its own version"
        )
    return out

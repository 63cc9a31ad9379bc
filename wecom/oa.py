"""WeCom's own approval app as an :class:`approvals.oa.OASystem`: submit through ``oa/applyevent``,
mirror status after ``sys_approval_change`` through ``oa/getapprovaldetail`` (see approvals.oa)."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace
from typing import Any

from approvals.chain import resolve_chain
from approvals.engine import AUDIT_DEFAULTS, ApprovalEngine, now
from approvals.rules import Instance, StepState, action_id, opening_steps, steps_json
from graph.base import UnitOfWork
from graph.versions import RECORDS
from queries import load as load_query
from wecom.client import WeComClient
from zhiku.errors import InputError

#: WeCom sp_status → our status (4 withdrawn, 6 withdrawn after approval, 7 deleted, 10 paid)
SP_STATUS = {
    1: "pending",
    2: "approved",
    3: "rejected",
    4: "withdrawn",
    6: "withdrawn",
    7: "withdrawn",
    10: "approved",
}


def wecom_nodes(steps: tuple[StepState, ...]) -> list[tuple[int, list[str], int]]:
    """Our steps as WeCom approver nodes: ``(step index, employee ids, attr)`` with attr 1 = 或签,
    2 = 会签 (every person of the node). WeCom has no node for "one holder of each role", so a step it
    cannot say in one node — 依次 over several roles, or a 会签 where a role has several holders —
    becomes one 或签 node per role, in order (WeCom then asks the roles of such a 会签 one after the
    other; the outcome is the same: one holder of every role approves)."""
    nodes: list[tuple[int, list[str], int]] = []
    for i, s in enumerate(steps):
        groups = s.groups()
        if s.mode == "或签" or len(groups) == 1:
            nodes.append((i, [p.id for p in s.approvers], 1))
        elif s.mode == "会签" and all(len(g) == 1 for g in groups):
            nodes.append((i, [g[0] for g in groups], 2))
        else:
            nodes.extend((i, g, 1) for g in groups)
    return nodes


class WeComOA:
    """Approvals decided in WeCom's approval app, mirrored into the graph."""

    name = "wecom"

    def __init__(self, engine: ApprovalEngine, client: WeComClient, templates: dict[str, str]) -> None:
        self.engine = engine  # for the graph, the listeners (stream, notifications) and reads
        self.client = client
        self.templates = templates  # process id → WeCom approval template id

    def _userids(self, employees: list[str]) -> dict[str, str]:
        rows = self.engine.store.query(load_query("wecom_userids").text, {"ids": employees})
        return {str(r["id"]): str(r["userid"]) for r in rows}

    async def submit(
        self, process: str, *, applicant: str, amount: float | None, days: float | None, reason: str
    ) -> Instance:
        chain = await asyncio.to_thread(
            resolve_chain, self.engine.store, process, applicant=applicant, amount=amount, days=days
        )
        template = self.templates.get(chain.process_id)
        if not template:
            raise InputError(
                f"流程“{chain.process_name}”没有配置企业微信审批模板",
                f"no WeCom template for {chain.process_id}",
            )
        steps = opening_steps(chain)  # refuses a step no one can approve before WeCom hears of it
        people = [applicant, *[p.id for s in steps for p in s.approvers]]
        userids = self._userids(people)
        payload: dict[str, Any] = {
            "creator_userid": userids.get(applicant, applicant),
            "template_id": template,
            "use_template_approver": 0,
            "approver": [
                {"attr": attr, "userid": [userids.get(p, p) for p in who]}
                for _, who, attr in wecom_nodes(steps)
            ],
            "apply_data": {
                "contents": [
                    {"control": "Textarea", "id": "reason", "value": {"text": reason or chain.process_name}}
                ]
            },
            "summary_list": [
                {"summary_info": [{"text": (reason or chain.process_name)[:20], "lang": "zh_CN"}]}
            ],
        }
        sp_no = await self.client.apply_event(payload)
        return await asyncio.to_thread(
            self.engine.open_instance,
            chain,
            instance_id=f"WX-{sp_no}",
            title=f"{chain.applicant_name}的{chain.process_name}（企业微信审批 {sp_no}）",
            reason=reason,
            channel="wecom_oa",
        )

    async def get(self, instance_id: str) -> Instance:
        return await asyncio.to_thread(self.engine.get, instance_id)

    async def sync(self, sp_no: str) -> Instance:
        """Fetch the approval's detail from WeCom and mirror it (after ``sys_approval_change``).

        The people's decisions come from WeCom's nodes (mapped back to our steps by
        :func:`wecom_nodes`); each step's status follows from them by our rules, the instance's from
        WeCom's ``sp_status``. A decision that does not move the step (one role of a 会签) is written
        too, announced as ``signed`` (progress, not "step approved"); a repeated callback writes nothing.
        """
        info = await self.client.approval_detail(sp_no)
        instance_id = f"WX-{sp_no}"
        inst = await asyncio.to_thread(self.engine.get, instance_id)
        by_userid = {v: k for k, v in self._userids([p.id for s in inst.steps for p in s.approvers]).items()}
        decisions = [dict(s.decisions) for s in inst.steps]
        newly: list[str] = []
        for (index, _, _), node in zip(wecom_nodes(inst.steps), info.get("sp_record", []), strict=False):
            for d in node.get("details", []):
                employee = by_userid.get(d["approver"]["userid"])
                if employee and d.get("sp_status") in (2, 3) and employee not in decisions[index]:
                    decisions[index][employee] = "approved" if d["sp_status"] == 2 else "rejected"
                    newly.append(employee)
        status = SP_STATUS.get(int(info.get("sp_status", 1)), "pending")
        steps: list[StepState] = []
        index = len(inst.steps)
        for i, step in enumerate(inst.steps):
            settled = replace(step, decisions=decisions[i]).settled()
            if index < len(inst.steps):  # after the step it waits on: not started
                settled = "waiting" if not decisions[i] else settled
            elif settled != "approved":
                index = i
            steps.append(replace(step, decisions=decisions[i], status=settled))
        if status == "pending" and index == len(steps):
            index = len(steps) - 1  # WeCom still waits (e.g. on a node we do not map): stay on the last
        if status == inst.status and index == inst.step_index and not newly:
            return inst  # a repeated callback: nothing new
        at = now()
        key = f"wecom-sync:{info.get('sp_status')}:{index}:{json.dumps(decisions, sort_keys=True)}"
        record_id = action_id(instance_id, key)
        attempt = uuid.uuid4().hex
        new_index = min(index, len(steps) - 1)
        pending = steps[new_index].pending() if status == "pending" else []

        def write() -> tuple[bool, Instance]:
            with UnitOfWork(self.engine.store, writes=RECORDS) as uow:
                uow.run(
                    load_query("approval_transition").text,
                    {
                        "id": instance_id,
                        "version": inst.version,
                        "status": status,
                        "stepIndex": new_index,
                        "steps": steps_json(steps),
                        "action": record_id,
                        "attempt": attempt,
                        "at": at,
                    },
                )
                uow.run(
                    load_query("approval_record").text,
                    {
                        "id": instance_id,
                        "action": record_id,
                        "attempt": attempt,
                        "seq": inst.version + 1,
                        "kind": "sync",
                        "step": new_index,
                        "stepName": steps[new_index].name,
                        "employee": newly[-1] if newly else inst.applicant,
                        "target": None,
                        "comment": f"企业微信审批状态 {info.get('sp_status')}",
                        "channel": "wecom_oa",
                        "pending": pending,
                        "at": at,
                        **AUDIT_DEFAULTS,
                    },
                )
            return bool(uow.results[0]), self.engine.get(instance_id)

        written, after = await asyncio.to_thread(write)
        if not written:  # another callback mirrored it first: it announced what changed
            return after
        if after.status != "pending":
            kind, recipients = after.status, (after.applicant, *after.pending)
        elif after.step_index != inst.step_index:
            kind, recipients = "step_approved", (after.applicant, *after.pending)
        else:  # progress within a step: the applicant may follow it, nobody is told "step approved"
            kind, recipients = "signed", (after.applicant,)
        self.engine.announce(kind, after, "wecom", recipients)
        return after

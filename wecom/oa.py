"""WeCom's own approval app as an :class:`approvals.oa.OASystem`: submit through ``oa/applyevent``,
mirror status after ``sys_approval_change`` through ``oa/getapprovaldetail`` (see approvals.oa)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

from approvals.chain import resolve_chain
from approvals.engine import ApprovalEngine, now
from approvals.rules import Instance, action_id, opening_steps, steps_json
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
                {
                    "attr": 2 if s.mode == "会签" else 1,
                    "userid": [userids.get(p.id, p.id) for p in s.approvers],
                }
                for s in steps
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
        """Fetch the approval's detail from WeCom and mirror it (after ``sys_approval_change``)."""
        info = await self.client.approval_detail(sp_no)
        instance_id = f"WX-{sp_no}"
        inst = await asyncio.to_thread(self.engine.get, instance_id)
        by_userid = {v: k for k, v in self._userids([p.id for s in inst.steps for p in s.approvers]).items()}
        steps = list(inst.steps)
        index = len(steps)
        for i, (step, node) in enumerate(zip(inst.steps, info.get("sp_record", []), strict=False)):
            decided = dict(step.decisions)
            for d in node.get("details", []):
                employee = by_userid.get(d["approver"]["userid"])
                if employee and d.get("sp_status") in (2, 3):
                    decided[employee] = "approved" if d["sp_status"] == 2 else "rejected"
            status = {1: "pending", 2: "approved", 3: "rejected"}.get(node.get("sp_status", 1), "pending")
            steps[i] = replace(step, decisions=decided, status=status)
            if status == "pending" and index == len(steps):
                index = i
        status = SP_STATUS.get(int(info.get("sp_status", 1)), "pending")
        if status == "pending" and index == len(steps):
            index = len(steps) - 1
        # Nothing to mirror unless the status or the step moved (a repeated callback, or one 会签 approver
        # of several). This is what the check did before the steps became immutable: it compared the
        # steps with themselves, so a decision alone never wrote; mirroring it would also announce
        # "step_approved" to the applicant for a step that has not moved.
        if status == inst.status and index == inst.step_index:
            return inst
        at = now()
        decisions = json.dumps([s.decisions for s in steps], sort_keys=True)
        key = f"wecom-sync:{info.get('sp_status')}:{index}:{decisions}"
        record_id = action_id(instance_id, key)

        new_index = min(index, len(steps) - 1)
        pending = steps[new_index].pending() if status == "pending" else []

        def write() -> Instance:
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
                        "at": at,
                    },
                )
                uow.run(
                    load_query("approval_record").text,
                    {
                        "id": instance_id,
                        "action": record_id,
                        "seq": inst.version + 1,
                        "kind": "sync",
                        "step": new_index,
                        "stepName": steps[new_index].name,
                        "employee": inst.applicant,
                        "target": None,
                        "comment": f"企业微信审批状态 {info.get('sp_status')}",
                        "channel": "wecom_oa",
                        "pending": pending,
                        "at": at,
                    },
                )
            return self.engine.get(instance_id)

        after = await asyncio.to_thread(write)
        kind = after.status if after.status != "pending" else "step_approved"
        self.engine.announce(kind, after, "wecom", (after.applicant, *after.pending))
        return after

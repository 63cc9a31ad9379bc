"""Where approvals are decided: the ``OASystem`` protocol and its two implementations.

* :class:`BuiltinOA` — instances in our graph (:mod:`approvals.engine`); approvers decide through
  WeCom button cards, GraphQL or the chatbot.
* :class:`wecom.oa.WeComOA` — WeCom's own approval app: Zhiku submits through ``oa/applyevent`` (approver
  nodes with ``attr`` 1 = 或签, 2 = 会签, resolved from the same process definitions), approvers act
  in WeCom's native approval UI (WeCom has no API to approve on someone's behalf), and after each
  ``sys_approval_change`` callback Zhiku fetches ``oa/getapprovaldetail`` and mirrors the status into
  the graph (an ``ApprovalInstance`` with id ``WX-<sp_no>``), so lookups, the chatbot, subscriptions
  and notifications work the same for both.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from approvals.engine import ApprovalEngine
from approvals.rules import Instance


class OASystem(Protocol):
    name: str

    async def submit(
        self, process: str, *, applicant: str, amount: float | None, days: float | None, reason: str
    ) -> Instance: ...

    async def get(self, instance_id: str) -> Instance: ...


class BuiltinOA:
    name = "builtin"

    def __init__(self, engine: ApprovalEngine) -> None:
        self.engine = engine

    async def submit(
        self, process: str, *, applicant: str, amount: float | None, days: float | None, reason: str
    ) -> Instance:
        result = await asyncio.to_thread(
            self.engine.submit, process, applicant=applicant, amount=amount, days=days, reason=reason
        )
        return result.instance

    async def get(self, instance_id: str) -> Instance:
        return await asyncio.to_thread(self.engine.get, instance_id)

"""What the employee's mini-program (``miniprogram/``) needs beside the shared queries: my tickets, my
notifications (the approval events addressed to me), and WeChat subscribe messages — which templates
the app should ask consent for, and recording the answers (:mod:`wecom.subscribe`)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import ctx
from api.graphql.paging import page
from api.graphql.tickets import Ticket, ticket
from zhiku.errors import ConfigError, InputError
from zhiku.settings import MAX_KEY_CHARS

#: How far back in the approval event stream notifications are looked for.
NOTICE_SCAN = 2000
#: Which approval events a subscribe template serves, for the app's wording.
PURPOSES = {"submitted": "todo", "pending": "todo", "transferred": "todo"}


@strawberry.type(description="一条通知：与我相关的审批状态变化 / an approval event addressed to me")
class Notification:
    event_id: str
    kind: str
    instance_id: strawberry.ID
    status: str
    step: str
    summary: str
    at: str


@strawberry.type(description="小程序订阅消息模板 / a subscribe-message template the app asks consent for")
class SubscribeTemplate:
    template_id: str
    purpose: str = strawberry.field(description="todo（有审批待我处理）/ result（我的申请有结果）")


@strawberry.input(
    description="wx.requestSubscribeMessage 对一个模板的结果 / the user's answer for one template"
)
class SubscribeChoice:
    template_id: str
    decision: str = strawberry.field(description="accept / reject / ban / filter")


@strawberry.type(description="订阅消息授权记录 / consent recorded for one template")
class SubscribeConsent:
    template_id: str
    accepted: bool
    remaining: int = strawberry.field(description="还可发送的条数（每次同意可发一条）")
    refused: bool


def _subscribe_rules(state: Any) -> list[Any]:
    wecom = state.wecom
    if wecom is None or wecom.subscribe is None:
        return []
    return [r for r in wecom.rules if r.message == "mp_subscribe"]


@strawberry.type
class MiniProgramQuery:
    @strawberry.field(description="我提交的工单（转人工、服务请求）/ my own tickets")
    async def my_tickets(self, info: Info, first: int = 20) -> list[Ticket]:
        c = ctx(info)
        who = c.require()
        desk, limit = c.state.desk, page(first)

        def load() -> list[Any]:
            return [desk.seen_by(desk.get(v.id), who) for v in desk.list(employee=who.id, limit=limit)]

        return [ticket(v) for v in await asyncio.to_thread(load)]

    @strawberry.field(description="我的通知：发给我的审批状态变化，最新的在前 / my notifications")
    async def my_notifications(self, info: Info, first: int = 20) -> list[Notification]:
        c = ctx(info)
        who = c.require()
        limit = page(first)
        hub = c.state.approval_hub  # its Redis client and the approval stream
        entries: Any = await hub.kv.xrevrange(hub.stream.name, count=NOTICE_SCAN)
        out: list[Notification] = []
        for entry_id, fields in entries or []:
            if who.id not in json.loads(fields.get("recipients") or "[]"):
                continue
            out.append(
                Notification(
                    event_id=entry_id,
                    kind=fields.get("kind", ""),
                    instance_id=strawberry.ID(fields.get("instance_id", "")),
                    status=fields.get("status", ""),
                    step=fields.get("step", ""),
                    summary=fields.get("summary", ""),
                    at=fields.get("at", ""),
                )
            )
            if len(out) >= limit:
                break
        return out

    @strawberry.field(description="小程序应请求授权的订阅消息模板（未配置时为空）/ subscribe templates")
    def subscribe_templates(self, info: Info) -> list[SubscribeTemplate]:
        c = ctx(info)
        c.require()
        seen: dict[str, str] = {}
        for rule in _subscribe_rules(c.state):
            kind = rule.event.removeprefix("approval.")
            seen.setdefault(rule.template, PURPOSES.get(kind, "result"))
        return [SubscribeTemplate(template_id=t, purpose=p) for t, p in seen.items()]


@strawberry.type
class MiniProgramMutation:
    @strawberry.mutation(
        description="记录订阅消息授权（小程序调用 wx.requestSubscribeMessage 之后；"
        "code 为 wx.login 的新 code，用于取得 openid）/ record subscribe-message consent"
    )
    async def record_subscribe_consent(
        self, info: Info, choices: list[SubscribeChoice], code: str | None = None
    ) -> list[SubscribeConsent]:
        c = ctx(info)
        who = c.require()
        wecom = c.state.wecom
        if wecom is None or wecom.subscribe is None:
            raise ConfigError(
                "未启用小程序订阅消息"
                "（设置 ZHIKU_WECHAT_MINIPROGRAM_APP_ID 与 ZHIKU_WECHAT_MINIPROGRAM_SECRET）",
                "mini-program subscribe messages are not configured",
            )
        known = {r.template for r in _subscribe_rules(c.state)}
        if not choices or len(choices) > len(known):
            raise InputError("请至少提交一个模板的授权结果", "no or too many choices")
        unknown = [ch.template_id for ch in choices if ch.template_id not in known]
        if unknown:
            raise InputError(f"未知的订阅消息模板：{'、'.join(unknown)}", f"unknown templates: {unknown}")
        if code is not None and len(code) > MAX_KEY_CHARS:
            raise InputError("登录 code 过长", "code too long")
        sender = wecom.subscribe
        openid = await sender.client.openid_of(code) if code else None
        recorded = await sender.consents.record(
            who.id, {ch.template_id: ch.decision for ch in choices}, openid=openid
        )
        return [
            SubscribeConsent(
                template_id=r.template_id, accepted=r.accepted, remaining=r.remaining, refused=r.refused
            )
            for r in recorded
        ]

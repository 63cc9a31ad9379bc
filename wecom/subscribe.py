"""WeChat mini-program subscribe messages (订阅消息): ``subscribeMessage.send`` when an approval a
user submitted is decided or one waits for them, only with the user's consent, per template.

How consent works in WeChat: the app calls ``wx.requestSubscribeMessage`` with template ids and the
user accepts or refuses each one; every acceptance of a one-time template lets the server send ONE
message with it. The app reports the answers (GraphQL ``recordSubscribeConsent``) with a fresh
``wx.login`` code, which the server turns into the user's openid under the mini-program
(``/sns/jscode2session``). Here that becomes, in the shared Redis:

* ``zhiku:mp:openid:<employee>`` — the openid;
* ``zhiku:mp:consent:<employee>:<template>`` — how many sends the user has allowed (one per accept);
* ``zhiku:mp:refused:<employee>:<template>`` — the user refused (in the app, or WeChat answered
  43101): recorded, and nothing is sent with that template again until they accept it anew.

Errors of ``subscribe/send``: 43101 (the user refused / no consent left) → recorded as refused, not
retried; 47003 (the data does not fit the template's keywords) → logged with the payload, not retried
(it would fail again); 40001/42001 (token invalid/expired) → the client refreshes the token and
retries once (:meth:`wecom.client.WeComClient.call`); WeChat unreachable → a dead letter, replayed.

Example::

    client = MiniProgramClient.from_settings(settings, kv)
    consents = SubscribeConsents(kv)
    await consents.record("E1030", {"TMPL-todo": "accept"}, openid=await client.openid_of(code))
    sender = SubscribeSender(client, consents)
    await sender.send("E1030", "TMPL-todo", {"thing1": "请假审批"}, page="pages/approval/detail?id=AP-1")
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self

import redis.asyncio

from wecom.client import WeComError
from wecom.wechat_mp import VALUE_LIMIT, WeChatMPClient
from zhiku.errors import ConfigError, InputError
from zhiku.settings import Settings

log = logging.getLogger(__name__)

REFUSED = 43101  # the user refused this template (or used up their consent)
BAD_DATA = 47003  # template data does not fit its keywords (e.g. thing.DATA over 20 characters)
#: How long an openid and a consent are kept without use (WeChat keeps one-time consents indefinitely).
KEEP_S = 365 * 24 * 3600
DECISIONS = frozenset({"accept", "reject", "ban", "filter"})  # wx.requestSubscribeMessage's answers


class MiniProgramClient(WeChatMPClient):
    """The mini-program's server API (its own AppID + AppSecret; same token endpoint and error
    handling as the official account's)."""

    def __init__(
        self,
        app_id: str,
        secret: str,
        kv: redis.asyncio.Redis,
        *,
        base_url: str = "https://api.weixin.qq.com",
    ) -> None:
        if not app_id or not secret:
            raise ConfigError(
                "未配置小程序订阅消息（ZHIKU_WECHAT_MINIPROGRAM_APP_ID / ZHIKU_WECHAT_MINIPROGRAM_SECRET）",
                "mini-program subscribe messages are not configured",
            )
        super().__init__(app_id, secret, kv, miniprogram_app_id=app_id, base_url=base_url)
        self._token_key = f"zhiku:wechat:miniprogram:token:{app_id}"

    @classmethod
    def from_settings(cls, settings: Settings, kv: redis.asyncio.Redis) -> Self:
        return cls(
            settings.wechat_miniprogram_app_id,
            settings.wechat_miniprogram_secret.get_secret_value(),
            kv,
            base_url=settings.wechat_api_base,
        )

    async def openid_of(self, js_code: str) -> str:
        """The user's openid under this mini-program for a one-time ``wx.login`` code."""
        data = await self._get_json(
            "/sns/jscode2session",
            {
                "appid": self.corp_id,
                "secret": self.secret,
                "js_code": js_code,
                "grant_type": "authorization_code",
            },
        )
        if int(data.get("errcode", 0)) != 0 or not data.get("openid"):
            raise self._error(data if data.get("errcode") else {"errcode": 40029, "errmsg": "no openid"})
        return str(data["openid"])

    async def send_subscribe(
        self, openid: str, template_id: str, data: dict[str, str], *, page: str = ""
    ) -> None:
        payload: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": str(value)[:VALUE_LIMIT]} for key, value in data.items()},
            "miniprogram_state": "formal",
            "lang": "zh_CN",
        }
        if page:
            payload["page"] = page
        await self.call("/cgi-bin/message/subscribe/send", payload)


@dataclass(frozen=True, slots=True)
class Consent:
    """One template's consent for one employee, after recording."""

    template_id: str
    accepted: bool
    remaining: int  # sends still allowed
    refused: bool


class SubscribeConsents:
    """Per-employee, per-template consent in the shared Redis (see the module docstring)."""

    def __init__(self, kv: redis.asyncio.Redis) -> None:
        self.kv = kv

    @staticmethod
    def _keys(employee: str, template_id: str) -> tuple[str, str]:
        return f"zhiku:mp:consent:{employee}:{template_id}", f"zhiku:mp:refused:{employee}:{template_id}"

    async def record(
        self, employee: str, decisions: dict[str, str], *, openid: str | None = None
    ) -> list[Consent]:
        """Record the app's ``requestSubscribeMessage`` answers (template id → accept / reject / ban /
        filter) and, when given, the employee's openid."""
        if openid:
            await self.kv.set(f"zhiku:mp:openid:{employee}", openid, ex=KEEP_S)
        out = []
        for template_id, decision in decisions.items():
            if decision not in DECISIONS:
                raise InputError(
                    f"未知的订阅结果：{decision}（应为 accept / reject / ban / filter）",
                    f"unknown subscribe decision {decision}",
                )
            count_key, refused_key = self._keys(employee, template_id)
            if decision == "accept":
                remaining = int(await self.kv.incr(count_key))
                await self.kv.expire(count_key, KEEP_S)
                await self.kv.delete(refused_key)
                out.append(Consent(template_id, True, remaining, False))
            else:
                await self.refuse(employee, template_id)
                out.append(Consent(template_id, False, 0, True))
        return out

    async def refuse(self, employee: str, template_id: str) -> None:
        count_key, refused_key = self._keys(employee, template_id)
        await self.kv.delete(count_key)
        await self.kv.set(refused_key, "1", ex=KEEP_S)

    async def take(self, employee: str, template_id: str) -> str | None:
        """Use one consent: the openid to send to, or None (no openid, refused, or none left)."""
        count_key, refused_key = self._keys(employee, template_id)
        if await self.kv.exists(refused_key):
            return None
        openid = await self.kv.get(f"zhiku:mp:openid:{employee}")
        if not openid:
            return None
        if int(await self.kv.decr(count_key)) < 0:
            await self.kv.set(count_key, 0, keepttl=True)
            return None
        return str(openid)

    async def give_back(self, employee: str, template_id: str) -> None:
        """A send that did not happen (WeChat unreachable) does not use up the consent."""
        await self.kv.incr(self._keys(employee, template_id)[0])

    async def state(self, employee: str, template_id: str) -> Consent:
        count_key, refused_key = self._keys(employee, template_id)
        remaining = int(await self.kv.get(count_key) or 0)
        refused = bool(await self.kv.exists(refused_key))
        return Consent(template_id, remaining > 0, remaining, refused)


class Outcome(StrEnum):
    SENT = "sent"
    NO_CONSENT = "no_consent"  # nothing sent: no openid, refused, or no consent left
    REFUSED = "refused"  # WeChat said 43101: recorded as refused, not retried
    BAD_DATA = "bad_data"  # WeChat said 47003: not retried
    FAILED = "failed"  # WeChat unreachable or another error: the caller keeps it for replay


class SubscribeSender:
    """Send one subscribe message to an employee if they consented; say what happened."""

    def __init__(self, client: MiniProgramClient, consents: SubscribeConsents) -> None:
        self.client = client
        self.consents = consents

    async def send(self, employee: str, template_id: str, data: dict[str, str], *, page: str = "") -> Outcome:
        openid = await self.consents.take(employee, template_id)
        if openid is None:
            return Outcome.NO_CONSENT
        try:
            await self.client.send_subscribe(openid, template_id, data, page=page)
        except WeComError as exc:
            if exc.errcode == REFUSED:
                await self.consents.refuse(employee, template_id)
                log.info("subscribe message refused by %s for %s: recorded", employee, template_id)
                return Outcome.REFUSED
            if exc.errcode == BAD_DATA:
                log.error("subscribe message %s: data does not fit the template: %s", template_id, data)
                return Outcome.BAD_DATA
            await self.consents.give_back(employee, template_id)
            raise
        except Exception:
            await self.consents.give_back(employee, template_id)
            raise
        return Outcome.SENT

"""The WeChat official account (微信公众号) as a notification channel: template messages, optionally
opening a page of the mini-program (the "mini-program card" of a template message).

Same API family as WeCom — an access token from ``/cgi-bin/token`` (``grant_type=client_credential``),
the same error codes (40001/40014/42001 refresh, 45009 back-off) — so this is :class:`WeComClient`
with the official account's token call and one message type. Employees are reached by their
``wechatOpenId`` (an Employee property, the openid under this official account).

Example::

    mp = WeChatMPClient.from_settings(settings, kv)
    await mp.send_template("oXyz…", "TM-approval", {"first": "您的申请已通过", "keyword1": "费用报销"},
                           page="pages/approval/detail?id=AP-1")
"""

from __future__ import annotations

from typing import Any, Self

import redis.asyncio

from wecom.client import WeComClient
from zhiku.errors import ConfigError
from zhiku.settings import Settings

#: The template message API limits each value (WeChat truncates or refuses longer ones).
VALUE_LIMIT = 200


class WeChatMPClient(WeComClient):
    """One official account (AppID + AppSecret); ``miniprogram_app_id`` for mini-program jumps."""

    token_path = "/cgi-bin/token"  # noqa: S105 - an endpoint, not a secret

    def __init__(
        self,
        app_id: str,
        secret: str,
        kv: redis.asyncio.Redis,
        *,
        miniprogram_app_id: str = "",
        base_url: str = "https://api.weixin.qq.com",
    ) -> None:
        if not app_id or not secret:
            raise ConfigError(
                "未配置微信公众号（ZHIKU_WECHAT_MP_APP_ID / ZHIKU_WECHAT_MP_SECRET）",
                "the WeChat official account is not configured",
            )
        super().__init__(app_id, secret, 0, kv, base_url=base_url)
        self._token_key = f"zhiku:wechat:mp:token:{app_id}"
        self.miniprogram_app_id = miniprogram_app_id

    @classmethod
    def from_settings(cls, settings: Settings, kv: redis.asyncio.Redis) -> Self:
        return cls(
            settings.wechat_mp_app_id,
            settings.wechat_mp_secret.get_secret_value(),
            kv,
            miniprogram_app_id=settings.wechat_miniprogram_app_id,
            base_url=settings.wechat_api_base,
        )

    def _token_params(self) -> dict[str, str]:
        return {"grant_type": "client_credential", "appid": self.corp_id, "secret": self.secret}

    async def send_template(
        self, openid: str, template_id: str, data: dict[str, str], *, page: str = "", url: str = ""
    ) -> str:
        """Send one template message; returns WeChat's msgid. With ``page`` (and a configured
        mini-program) tapping it opens that mini-program page; else ``url`` if given."""
        payload: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": str(value)[:VALUE_LIMIT]} for key, value in data.items()},
        }
        if page and self.miniprogram_app_id:
            payload["miniprogram"] = {"appid": self.miniprogram_app_id, "pagepath": page}
        if url:
            payload["url"] = url
        result = await self.call("/cgi-bin/message/template/send", payload)
        return str(result.get("msgid", ""))

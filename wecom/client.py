"""The WeCom server API, async (httpx): access token, messages, template cards, OAuth2, approvals.

The access token is cached in Redis and shared by every process of the deployment. Refreshes happen
under one Redis lock, and a refresh forced by an "invalid token" answer only replaces the token that
failed — so two workers that both see 40001 do not fetch two tokens and overwrite each other (each
fetch invalidates the previous token at WeCom: a classic bug). Tokens are refreshed ~60 s before
they expire, and once on 40001/40014/42001; 45009 (rate limited) backs off and retries; 60020 (this
server's IP is not allow-listed), 81013, 42014 and other configuration faults raise clear errors.

Example::

    async with WeComClient.from_settings(settings, kv) as client:
        await client.send_text(["zhangsan"], "你的报销已通过")
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Self

import httpx
import redis.asyncio
from redis.exceptions import RedisError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from zhiku.errors import ConfigError, RetryableError, SharedStateUnavailable, ZhikuError
from zhiku.metrics import WECOM_ERRORS
from zhiku.settings import Settings

log = logging.getLogger(__name__)

#: Tries and first back-off (doubling) of a token lookup when the shared Redis times out.
TOKEN_ATTEMPTS = 4
TOKEN_RETRY_WAIT_S = 0.2
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid / expired access token: refresh once and retry
TEXT_LIMIT_BYTES = 2048
MARKDOWN_LIMIT_BYTES = 4096


class WeComError(ZhikuError):
    """WeCom answered with a non-zero errcode."""

    code = "WECOM_API_ERROR"

    def __init__(self, errcode: int, errmsg: str, message_zh: str = "", *, hint: str = "") -> None:
        super().__init__(
            message_zh or f"企业微信接口返回错误 {errcode}：{errmsg}",
            f"WeCom error {errcode}: {errmsg}",
            hint=hint,
        )
        self.errcode = errcode


class WeComRateLimited(WeComError, RetryableError):
    code = "WECOM_RATE_LIMITED"


class WeComUnavailable(RetryableError):
    code = "WECOM_UNAVAILABLE"


class WeComConfigError(WeComError, ConfigError):
    code = "WECOM_CONFIG"


_CONFIG_FAULTS = {
    60020: (
        "企业微信拒绝了本服务器的 IP（不在企业可信 IP 列表中）",
        "在管理后台 → 应用 → 企业可信IP 中加入本服务器出口 IP",
    ),
    40013: ("企业 ID（corpid）无效", "检查 ZHIKU_WECOM_CORP_ID"),
    40001: ("应用 Secret 无效或已重置", "检查 ZHIKU_WECOM_SECRET"),
    301002: ("没有权限访问该成员（不在应用可见范围）", "在应用的可见范围中加入该成员"),
    60011: ("没有权限（不在应用可见范围或缺少接口权限）", "检查应用可见范围与接口权限"),
    48002: ("接口未授权或小程序与应用不匹配", "检查小程序关联与接口权限"),
    # the WeChat official account (wecom/wechat_mp.py)
    40125: ("公众号 AppSecret 无效", "检查 ZHIKU_WECHAT_MP_SECRET"),
    40164: (
        "微信拒绝了本服务器的 IP（不在公众号 IP 白名单中）",
        "在公众号后台 → 基本配置 → IP白名单中加入本服务器出口 IP",
    ),
    40037: ("公众号模板消息的 template_id 无效", "检查 wecom/rules.yaml 中 mp_template 规则的模板 ID"),
}
_MEANING = {
    81013: "消息接收人均无效或不在应用可见范围",
    42014: "卡片的 response_code 已使用过或已失效",
    40029: "登录授权码（code）无效或已使用",
    40056: "模板卡片 task_id 重复或无效",
    301025: "审批模板或审批人配置不正确",
    43004: "接收人未关注公众号",
    40003: "openid 无效",
    43101: "用户拒绝接受该订阅消息（或已用完授权次数）",
    47003: "订阅消息的模板参数不符合要求",
}


def split_text(text: str, limit_bytes: int = TEXT_LIMIT_BYTES) -> list[str]:
    """Split at paragraph, then sentence, then character boundaries so each part fits ``limit_bytes``."""
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit_bytes):
        candidate = current + piece
        if len(candidate.encode()) <= limit_bytes:
            current = candidate
        else:
            if current:
                parts.append(current)
            current = piece
    if current.strip():
        parts.append(current)
    return [p.strip("\n") for p in parts if p.strip()]


def _pieces(text: str, limit: int) -> list[str]:
    out: list[str] = []
    for para in text.splitlines(keepends=True):
        if len(para.encode()) <= limit:
            out.append(para)
            continue
        sentence = ""
        for ch in para:
            if len((sentence + ch).encode()) > limit:
                out.append(sentence)
                sentence = ""
            sentence += ch
            if ch in "。！？；!?;":
                out.append(sentence)
                sentence = ""
        if sentence:
            out.append(sentence)
    return out


class WeComClient:
    """One WeCom app (corp id + secret + agent id)."""

    def __init__(
        self,
        corp_id: str,
        secret: str,
        agent_id: int,
        kv: redis.asyncio.Redis,
        *,
        base_url: str = "https://qyapi.weixin.qq.com",
        timeout_s: float = 5.0,
        refresh_margin_s: int = 60,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        if not corp_id or not secret:
            raise ConfigError(
                "未配置企业微信（ZHIKU_WECOM_CORP_ID / ZHIKU_WECOM_SECRET）", "WeCom is not configured"
            )
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = agent_id
        self.kv = kv
        self.refresh_margin_s = refresh_margin_s
        self.http = http or httpx.AsyncClient(base_url=base_url, timeout=timeout_s)
        self._token_key = f"zhiku:wecom:token:{corp_id}:{agent_id}"

    @classmethod
    def from_settings(cls, settings: Settings, kv: redis.asyncio.Redis) -> Self:
        return cls(
            settings.wecom_corp_id,
            settings.wecom_secret.get_secret_value(),
            settings.wecom_agent_id,
            kv,
            base_url=settings.wecom_api_base,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    # -- access token ---------------------------------------------------------------------------

    async def token(self, *, stale: str | None = None) -> str:
        """The cached token; with ``stale``, replace that token (unless someone already did).

        The cache is the shared Redis: when it times out or drops the connection under load (or its
        refresh lock cannot be had), the lookup is retried with back-off, then fails as the retryable
        :class:`SharedStateUnavailable` — never as a raw ``redis`` exception."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(SharedStateUnavailable),
            wait=wait_exponential(multiplier=TOKEN_RETRY_WAIT_S, max=2),
            stop=stop_after_attempt(TOKEN_ATTEMPTS),
            reraise=True,
        ):
            with attempt:
                try:
                    return await self._token(stale)
                except RedisError as exc:
                    raise SharedStateUnavailable(
                        "企业微信凭证缓存（Redis）暂时不可用，请稍后重试",
                        f"WeCom token cache unavailable: {type(exc).__name__}: {exc}",
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _token(self, stale: str | None) -> str:
        cached = await self.kv.get(self._token_key)
        if cached and cached != stale:
            return str(cached)
        async with self.kv.lock(self._token_key + ":lock", timeout=15, blocking_timeout=15):
            cached = await self.kv.get(self._token_key)  # another worker may have refreshed meanwhile
            if cached and cached != stale:
                return str(cached)
            data = await self._get_json(self.token_path, self._token_params())
            if data.get("errcode", 0) != 0:
                raise self._error(data, token_call=True)
            token = str(data["access_token"])
            ttl = max(int(data.get("expires_in", 7200)) - self.refresh_margin_s, 1)
            await self.kv.set(self._token_key, token, ex=ttl)
            log.info("%s access token refreshed (valid %ss)", self.token_path, ttl)
            return token

    token_path = "/cgi-bin/gettoken"  # noqa: S105 - an endpoint, not a secret

    def _token_params(self) -> dict[str, str]:
        return {"corpid": self.corp_id, "corpsecret": self.secret}

    # -- calls ----------------------------------------------------------------------------------

    async def _get_json(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            resp = await self.http.get(path, params=params)
            resp.raise_for_status()
            return dict(resp.json())
        except (httpx.TransportError, httpx.HTTPStatusError, ValueError) as exc:
            WECOM_ERRORS.labels("unreachable").inc()
            raise WeComUnavailable("企业微信接口暂时不可用", f"WeCom unreachable: {exc}") from None

    async def call(
        self, path: str, payload: dict[str, Any] | None = None, *, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Call an API with the access token; POST when ``payload`` is given."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(WeComRateLimited),
            wait=wait_exponential(multiplier=0.2, max=5),
            stop=stop_after_attempt(4),
            reraise=True,
        ):
            with attempt:
                return await self._call_once(path, payload, params)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _call_once(
        self, path: str, payload: dict[str, Any] | None, params: dict[str, Any] | None
    ) -> dict[str, Any]:
        token = await self.token()
        for refreshed in (False, True):
            query = {**(params or {}), "access_token": token}
            try:
                if payload is None:
                    resp = await self.http.get(path, params=query)
                else:
                    resp = await self.http.post(path, params=query, json=payload)
                resp.raise_for_status()
                data = dict(resp.json())
            except (httpx.TransportError, httpx.HTTPStatusError, ValueError) as exc:
                WECOM_ERRORS.labels("unreachable").inc()
                raise WeComUnavailable("企业微信接口暂时不可用", f"WeCom {path} failed: {exc}") from None
            errcode = int(data.get("errcode", 0))
            if errcode in TOKEN_ERRORS and not refreshed:
                token = await self.token(stale=token)
                continue
            if errcode != 0:
                raise self._error(data)
            return data
        raise self._error(data)

    @staticmethod
    def _error(data: dict[str, Any], *, token_call: bool = False) -> WeComError:
        errcode = int(data.get("errcode", -1))
        errmsg = str(data.get("errmsg", ""))
        WECOM_ERRORS.labels(str(errcode)).inc()
        if errcode == 45009:
            return WeComRateLimited(errcode, errmsg, "企业微信接口调用过于频繁，请稍后重试")
        if errcode in _CONFIG_FAULTS and (errcode != 40001 or token_call):
            zh, hint = _CONFIG_FAULTS[errcode]
            return WeComConfigError(errcode, errmsg, zh, hint=hint)
        return WeComError(errcode, errmsg, _MEANING.get(errcode, ""))

    # -- messages -------------------------------------------------------------------------------

    async def send(self, touser: Sequence[str], msgtype: str, body: dict[str, Any]) -> dict[str, Any]:
        payload = {
            "touser": "|".join(touser),
            "msgtype": msgtype,
            "agentid": self.agent_id,
            msgtype: body,
            "enable_duplicate_check": 0,
        }
        return await self.call("/cgi-bin/message/send", payload)

    async def send_text(self, touser: Sequence[str], text: str, *, markdown: bool = False) -> int:
        """Send ``text``, split into several messages when long; returns how many were sent."""
        kind, limit = ("markdown", MARKDOWN_LIMIT_BYTES) if markdown else ("text", TEXT_LIMIT_BYTES)
        parts = split_text(text, limit)
        for part in parts:
            await self.send(touser, kind, {"content": part})
        return len(parts)

    async def send_card(self, touser: Sequence[str], card: dict[str, Any]) -> str:
        """Send a template card; returns its ``response_code`` (single use, for one update)."""
        data = await self.send(touser, "template_card", card)
        return str(data.get("response_code", ""))

    async def update_card(
        self, userids: Sequence[str], response_code: str, *, replace_name: str | None = None,
        card: dict[str, Any] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        payload: dict[str, Any] = {
            "userids": list(userids),
            "agentid": self.agent_id,
            "response_code": response_code,
        }
        if card is not None:
            payload["template_card"] = card
        else:
            payload["button"] = {"replace_name": replace_name or "已处理"}
        return await self.call("/cgi-bin/message/update_template_card", payload)

    # -- identity -------------------------------------------------------------------------------

    async def user_of_code(self, code: str) -> str:
        """OAuth2 web login: the member's userid for a one-time ``code``."""
        data = await self.call("/cgi-bin/auth/getuserinfo", params={"code": code})
        userid = data.get("userid") or data.get("UserId")
        if not userid:
            raise WeComError(0, "no userid", "该账号不是企业成员，无法登录")
        return str(userid)

    async def miniprogram_session(self, js_code: str) -> str:
        """Mini-program login: the userid for ``wx.qy.login``'s code (the session_key stays here)."""
        data = await self.call(
            "/cgi-bin/miniprogram/jscode2session",
            params={"js_code": js_code, "grant_type": "authorization_code"},
        )
        if data.get("corpid") and data["corpid"] != self.corp_id:
            raise WeComError(0, "corp mismatch", "该小程序会话不属于本企业")
        return str(data["userid"])

    # -- the WeCom approval app (OA) --------------------------------------------------------------

    async def apply_event(self, payload: dict[str, Any]) -> str:
        data = await self.call("/cgi-bin/oa/applyevent", payload)
        return str(data["sp_no"])

    async def approval_detail(self, sp_no: str) -> dict[str, Any]:
        data = await self.call("/cgi-bin/oa/getapprovaldetail", {"sp_no": sp_no})
        return dict(data["info"])

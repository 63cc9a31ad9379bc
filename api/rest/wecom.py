"""WeCom routes: the callback URL (verification + encrypted messages) and single sign-on.

* ``GET /wecom/callback`` — URL verification: the bare decrypted ``echostr`` (no JSON, quotes or
  newline); a forged or stale signature → 403 and a log line.
* ``POST /wecom/callback`` — an encrypted message or event: acknowledged at once with an empty 200
  (WeCom retries after 5 s), handled in the background (:mod:`wecom.service`).
* ``GET /auth/wecom/login`` → 302 to WeCom's OAuth2 page; ``GET /auth/wecom/callback?code&state``
  → Zhiku's JWT for the employee the member is (JSON, or a redirect to a same-site page with the
  token in the fragment); ``POST /auth/miniprogram {"code"}`` → the JWT for a mini-program user
  (``jscode2session``; the session_key never leaves the server).
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import jwt
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from api.auth import issue_token
from api.deps import StateDep
from wecom.crypto import SignatureError
from wecom.service import WeComService
from zhiku.errors import ConfigError, InputError, NotFoundError

log = logging.getLogger(__name__)
router = APIRouter(tags=["wecom"])
STATE_AUDIENCE = "zhiku-wecom-oauth"
AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"


def _service(state: Any) -> WeComService:
    if state.wecom is None:
        raise ConfigError("未启用企业微信（设置 ZHIKU_WECOM_CORP_ID 等）", "WeCom is not configured")
    service: WeComService = state.wecom
    return service


def _forbidden(request: Request, exc: SignatureError) -> Response:
    client = request.client.host if request.client else "?"
    log.warning("WeCom callback refused from %s: %s", client, exc.message_en)
    return PlainTextResponse("forbidden", status_code=403)


@router.get("/wecom/callback", include_in_schema=False)
def verify_url(
    request: Request, state: StateDep, msg_signature: str = "", timestamp: str = "", nonce: str = "",
    echostr: str = "",
) -> Response:  # fmt: skip
    service = _service(state)
    try:
        echo = service.crypto.verify_url(msg_signature, timestamp, nonce, echostr)
    except SignatureError as exc:
        return _forbidden(request, exc)
    return Response(content=echo.encode(), media_type="text/plain; charset=utf-8")


@router.post("/wecom/callback", include_in_schema=False)
async def callback(
    request: Request, state: StateDep, msg_signature: str = "", timestamp: str = "", nonce: str = ""
) -> Response:
    started = time.perf_counter()
    service = _service(state)
    body = await request.body()
    try:
        outcome = await service.accept(body, msg_signature, timestamp, nonce)
    except SignatureError as exc:
        return _forbidden(request, exc)
    except InputError as exc:
        log.warning("malformed WeCom callback: %s", exc.message_en)
        return PlainTextResponse("bad request", status_code=400)
    took_ms = (time.perf_counter() - started) * 1000
    headers = {"X-Zhiku-Callback": outcome, "Server-Timing": f"accept;dur={took_ms:.2f}"}
    return Response(content=b"", status_code=200, headers=headers)


def _safe_redirect(target: str | None) -> str | None:
    """Only same-site paths: never an open redirect that would leak the token elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/auth/wecom/login", summary="企业微信网页授权登录 / WeCom OAuth2 login")
def login(state: StateDep, redirect: str | None = None) -> RedirectResponse:
    settings = state.settings
    _service(state)
    claims = {
        "aud": STATE_AUDIENCE,
        "nonce": secrets.token_urlsafe(8),
        "redirect": _safe_redirect(redirect),
        "exp": datetime.now(UTC) + timedelta(minutes=10),
    }
    oauth_state = jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm="HS256")
    params = {
        "appid": settings.wecom_corp_id,
        "redirect_uri": f"{settings.public_base_url}/auth/wecom/callback",
        "response_type": "code",
        "scope": "snsapi_base",
        "state": oauth_state,
        "agentid": settings.wecom_agent_id,
    }
    return RedirectResponse(f"{AUTHORIZE_URL}?{urlencode(params, quote_via=quote)}#wechat_redirect", 302)


def _token_for(state: Any, userid: str) -> dict[str, Any]:
    service = _service(state)
    employee = service.employee_of(userid)
    settings = state.settings
    return {"token": issue_token(settings, employee), "employee": employee, "expiresIn": settings.token_ttl_s}


@router.get("/auth/wecom/callback", summary="企业微信授权回调 / OAuth2 callback")
async def oauth_callback(state: StateDep, code: str = "", state_: str = Query("", alias="state")) -> Response:
    try:
        claims = jwt.decode(
            state_,
            state.settings.secret_key.get_secret_value(),
            algorithms=["HS256"],
            audience=STATE_AUDIENCE,
        )
    except jwt.PyJWTError:
        return JSONResponse(
            {"error": {"code": "BAD_OAUTH_STATE", "message": "登录请求已过期或无效，请重新登录"}},
            status_code=400,
        )
    if not code:
        return JSONResponse({"error": {"code": "BAD_INPUT", "message": "缺少授权码 code"}}, status_code=400)
    userid = await _service(state).client.user_of_code(code)
    try:
        body = _token_for(state, userid)
    except NotFoundError as exc:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message_zh}}, status_code=403)
    target = _safe_redirect(claims.get("redirect"))
    if target:
        return RedirectResponse(f"{target}#token={body['token']}", 302)
    return JSONResponse(body)


class MiniProgramLogin(BaseModel):
    code: str = Field(min_length=1, max_length=256)


@router.post("/auth/miniprogram", summary="小程序登录 / mini-program login")
async def miniprogram_login(payload: MiniProgramLogin, state: StateDep) -> JSONResponse:
    userid = await _service(state).client.miniprogram_session(payload.code)
    try:
        return JSONResponse(_token_for(state, userid))
    except NotFoundError as exc:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message_zh}}, status_code=403)

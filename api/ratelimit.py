"""Per-user and per-IP request limits for the API (default 500 requests/second each, per instance).

Built on ``limits`` (maintained; its sliding-window counter is the cheap, smooth choice: two
counters per key, no per-hit timestamps). A request over either limit gets **429** with
``Retry-After`` and the same error shape GraphQL clients parse (``errors[0].extensions.code =
RATE_LIMITED``). The user key is the employee the bearer token names — the same principal the
request executes as and the response cache keys on (``PrincipalCache.subject``: a token's signature
is checked once, then remembered), so neither a second token of the same employee nor a made-up one
buys a fresh allowance; callers without a valid token count against their IP only. (Requests with
two ``Authorization`` headers never get here: :mod:`api.headers` refuses them.) WeCom's callback and
the health check are not limited here: WeCom retries on its own schedule, and a limited health check
would lie.

    app.add_middleware(RateLimit, per_user="500/second", per_ip="500/second")

:class:`ChatLimit` holds each employee to ``ZHIKU_CHAT_MESSAGES_PER_MINUTE`` on the chat socket,
counted in the shared Redis: across all their sockets and all API workers, so reconnecting does not
start a fresh allowance.
"""

from __future__ import annotations

import logging
import math
import time

import redis.asyncio
from limits import RateLimitItemPerMinute, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from zhiku.errors import ZhikuError

log = logging.getLogger(__name__)

EXEMPT = ("/healthz", "/wecom/callback")
CHAT_LIMIT_PREFIX = "zhiku:chat-limit"


class ChatLimit:
    """Chat messages per employee per minute, in the Redis ``kv`` talks to (a moving window: never
    more than ``per_minute`` in any 60 seconds, whichever socket or worker they came through).

    >>> limit = ChatLimit(async_kv, 30)
    >>> await limit.hit("E1030")   # False once E1030 has sent 30 in the last minute
    """

    def __init__(self, kv: redis.asyncio.Redis, per_minute: int) -> None:
        # limits' own Redis scripts, on the app's connection pool (closed with it at shut-down)
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=CHAT_LIMIT_PREFIX,
            wrap_exceptions=True,
            connection_pool=kv.connection_pool,  # type: ignore[arg-type]
        )
        self.limiter = MovingWindowRateLimiter(storage)
        self.item = RateLimitItemPerMinute(per_minute, namespace="chat")

    async def hit(self, user_id: str) -> bool:
        """Count one message; False when it is over the limit. A Redis that cannot be reached does
        not silence the chat (which then fails on its own, with its own message)."""
        try:
            return await self.limiter.hit(self.item, user_id)
        except StorageError as exc:
            log.warning("chat rate limit not checked (Redis: %s)", exc.storage_error)
            return True


def _employee(scope: Scope) -> str | None:
    """The employee a valid bearer token names, or ``None`` (no token, an invalid one, or the app not
    started yet)."""
    auth = next((v for k, v in scope.get("headers") or () if k == b"authorization"), None)
    state = getattr(scope["app"].state, "zhiku", None) if auth and "app" in scope else None
    if state is None or auth is None:
        return None
    try:
        return str(state.principals.subject(state.settings, auth.decode("latin-1")))
    except ZhikuError:
        return None


class RateLimit:
    def __init__(self, app: ASGIApp, *, per_user: str, per_ip: str) -> None:
        self.app = app
        self.limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self.per_user = parse(per_user)
        self.per_ip = parse(per_ip)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path", "") in EXEMPT:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        if not self.limiter.hit(self.per_ip, "ip", ip):
            await self._reject(scope, receive, send, self.per_ip, "ip", ip)
            return
        user = _employee(scope)
        if user is not None and not self.limiter.hit(self.per_user, "user", user):
            await self._reject(scope, receive, send, self.per_user, "user", user)
            return
        await self.app(scope, receive, send)

    async def _reject(
        self, scope: Scope, receive: Receive, send: Send, item: object, kind: str, key: str
    ) -> None:
        stats = self.limiter.get_window_stats(item, kind, key)  # type: ignore[arg-type]
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        if scope["type"] == "websocket":  # refuse the handshake; the client reconnects later
            await send({"type": "websocket.close", "code": 1013, "reason": "rate limited"})
            return
        who = "您" if kind == "user" else "该地址"
        body = {
            "errors": [
                {
                    "message": f"{who}的请求过于频繁，请 {retry} 秒后再试",
                    "extensions": {"code": "RATE_LIMITED", "message_en": f"too many requests per {kind}"},
                }
            ]
        }
        response = JSONResponse(body, status_code=429, headers={"Retry-After": str(retry)})
        await response(scope, receive, send)

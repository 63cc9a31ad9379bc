"""Per-user and per-IP request limits for the API (default 500 requests/second each), cluster-wide.

A token bucket per user and per IP, kept in the shared Redis (the graph server, or
``ZHIKU_REDIS_URL``), so the limit holds across every API instance and worker: a client spreading its
requests over three instances gets 500/s, not 1,500. ``"500/second"`` (``limits`` syntax) means a
bucket of 500 tokens refilled at 500 per second: bursts up to the bucket's size, the rate on average.
One small Lua script (:class:`TokenBucket`) takes a token from each bucket in one round trip, with
the Redis server's clock (``TIME``) — instances whose clocks disagree still share one bucket. (``limits``
offers windows only; its Redis strategies cost a round trip per bucket.)

A request over either limit gets **429** with ``Retry-After`` (when the next token is due) and the
same error shape GraphQL clients parse (``errors[0].extensions.code = RATE_LIMITED``). The user key
is the employee the bearer token names — the same principal the request executes as and the response
cache keys on (``PrincipalCache.subject``: a token's signature is checked once, then remembered), so
neither a second token of the same employee nor a made-up one buys a fresh allowance; callers without
a valid token count against their IP only. (Requests with two ``Authorization`` headers never get
here: :mod:`api.headers` refuses them.) WeCom's callback and the health check are not limited here:
WeCom retries on its own schedule, and a limited health check would lie. A Redis that cannot be
reached lets requests through (logged): the graph lives on the same server, so they fail on their own
with a clear ``GRAPH_UNAVAILABLE``.

    app.add_middleware(RateLimit, per_user="500/second", per_ip="500/second")
    state.rate_limiter = TokenBucket(async_kv)     # at start-up (api/app.py)

:class:`ChatLimit` holds each employee to ``ZHIKU_CHAT_MESSAGES_PER_MINUTE`` on the chat socket,
counted in the shared Redis: across all their sockets and all API workers, so reconnecting does not
start a fresh allowance.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio
from limits import RateLimitItemPerMinute, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from zhiku.errors import ZhikuError

log = logging.getLogger(__name__)

EXEMPT = ("/healthz", "/wecom/callback")
CHAT_LIMIT_PREFIX = "zhiku:chat-limit"
BUCKET_PREFIX = "zhiku:rate"

#: Takes one token from each bucket in KEYS, in order, stopping at the first that has none.
#: ARGV: per bucket its refill rate (tokens per millisecond) and capacity. Returns {0, 0} when every
#: bucket gave a token, else {the 1-based index of the bucket that refused, ms until it has one}.
#: Buckets before the one that refused keep the token taken (a refused request still counted
#: against the IP, as with counters). A bucket unused long enough to be full again expires.
BUCKET_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i - 1])
  local cap = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', key, 't', 'at')
  local tokens, at = tonumber(state[1]), tonumber(state[2])
  if tokens == nil or at == nil then
    tokens, at = cap, now
  end
  tokens = math.min(cap, tokens + math.max(0, now - at) * rate)
  if tokens < 1 then
    return {i, math.ceil((1 - tokens) / rate)}
  end
  redis.call('HSET', key, 't', tostring(tokens - 1), 'at', tostring(now))
  redis.call('PEXPIRE', key, math.ceil(cap / rate) + 1000)
end
return {0, 0}
"""


@dataclass(frozen=True, slots=True)
class Rate:
    """A bucket's size and refill: ``Rate.parse("500/second")`` holds 500 and refills 500 a second."""

    capacity: int
    per_ms: float
    spec: str

    @classmethod
    def parse(cls, text: str) -> Rate:
        item = parse(text)
        seconds = item.get_expiry()
        return cls(item.amount, item.amount / (seconds * 1000.0), f"{item.amount}-{seconds}")


class TokenBucket:
    """Token buckets in Redis, shared by every instance (one round trip for several buckets).

    >>> bucket = TokenBucket(async_kv)
    >>> await bucket.take([("ip:10.0.0.1", Rate.parse("500/second"))])
    (0, 0)      # allowed; (1, 20) would be: bucket 1 refused, next token in 20 ms
    """

    def __init__(self, kv: redis.asyncio.Redis) -> None:
        self.kv = kv
        self.script = kv.register_script(BUCKET_SCRIPT)

    async def take(self, buckets: list[tuple[str, Rate]]) -> tuple[int, int]:
        keys = [f"{BUCKET_PREFIX}:{rate.spec}:{name}" for name, rate in buckets]
        args: list[Any] = []
        for _, rate in buckets:
            args += [repr(rate.per_ms), rate.capacity]
        refused, wait_ms = await self.script(keys=keys, args=args)
        return int(refused), int(wait_ms)


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
    """The ASGI middleware: takes a token per request from the caller's IP bucket and, when signed
    in, their user bucket. The buckets live in the app's :class:`TokenBucket`, built at start-up
    (``app.state.zhiku.rate_limiter``)."""

    def __init__(self, app: ASGIApp, *, per_user: str, per_ip: str) -> None:
        self.app = app
        self.per_user = Rate.parse(per_user)
        self.per_ip = Rate.parse(per_ip)
        self._warned = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path", "") in EXEMPT:
            await self.app(scope, receive, send)
            return
        state = getattr(scope["app"].state, "zhiku", None)
        limiter: TokenBucket | None = getattr(state, "rate_limiter", None)
        if limiter is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        checks = [("ip", ip, self.per_ip)]
        user = _employee(scope)
        if user is not None:
            checks.append(("user", user, self.per_user))
        try:
            refused, wait_ms = await limiter.take([(f"{kind}:{key}", rate) for kind, key, rate in checks])
        except (RedisError, OSError) as exc:
            if time.monotonic() - self._warned > 10:  # once per 10 s, not once per request
                self._warned = time.monotonic()
                log.warning("request limits not checked (Redis: %s)", exc)
            refused = 0
        if refused:
            await self._reject(scope, receive, send, checks[refused - 1][0], wait_ms)
            return
        await self.app(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, kind: str, wait_ms: int) -> None:
        retry = max(1, math.ceil(wait_ms / 1000))
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

"""Per-user and per-IP request limits for the API (default 500 requests/second each, per instance).

Built on ``limits`` (maintained; its sliding-window counter is the cheap, smooth choice: two
counters per key, no per-hit timestamps). A request over either limit gets **429** with
``Retry-After`` and the same error shape GraphQL clients parse (``errors[0].extensions.code =
RATE_LIMITED``). The user key is the bearer token (one per signed-in employee, no JWT decode on the
hot path); anonymous callers count against their IP only. WeCom's callback and the health check are
not limited here: WeCom retries on its own schedule, and a limited health check would lie.

    app.add_middleware(RateLimit, per_user="500/second", per_ip="500/second")
"""

from __future__ import annotations

import hashlib
import math
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

EXEMPT = ("/healthz", "/wecom/callback")


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
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"")
        checks = [(self.per_ip, "ip", ip)]
        if auth.lower().startswith(b"bearer "):
            checks.append((self.per_user, "user", hashlib.blake2b(auth[7:], digest_size=12).hexdigest()))
        for item, kind, key in checks:
            if not self.limiter.hit(item, kind, key):
                await self._reject(scope, receive, send, item, kind, key)
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

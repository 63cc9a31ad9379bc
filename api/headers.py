"""Refuse requests that carry more than one ``Authorization`` header.

Each layer reads "the" header its own way — Starlette's ``headers.get`` the first, a ``dict`` of the
raw headers the last — so a request with two tokens could execute as one caller while the response
cache filed the answer under the other and the rate limit counted a third. There is no legitimate use
for two, so the outermost middleware answers **400** (``DUPLICATE_AUTHORIZATION``), before the rate
limit, the cache or GraphQL see the request; a WebSocket upgrade is refused the same way (with the
400 response where the server supports it, else a refused handshake). Every later layer then reads
the same, single value: the one principal that executes is the one the cache and the rate limit key
on.

    app.add_middleware(SingleAuthorization)   # added last: outermost
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from zhiku.errors import InputError


class DuplicateAuthorization(InputError):
    """The request carries more than one ``Authorization`` header."""

    code = "DUPLICATE_AUTHORIZATION"


ERROR = DuplicateAuthorization(
    "请求中有多个 Authorization 头：每个请求只能携带一个令牌",
    "more than one Authorization header: send exactly one token",
)


def _body(path: str) -> bytes:
    """The error in the shape the endpoint's clients parse: GraphQL's ``errors`` list on /graphql,
    the REST ``error`` object elsewhere."""
    if path.startswith("/graphql"):
        body: dict[str, object] = {
            "errors": [
                {
                    "message": ERROR.message_zh,
                    "extensions": {"code": ERROR.code, "message_en": ERROR.message_en},
                }
            ]
        }
    else:
        body = {"error": {"code": ERROR.code, "message": ERROR.message_zh, "message_en": ERROR.message_en}}
    return json.dumps(body, ensure_ascii=False).encode()


class SingleAuthorization:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or (
            sum(1 for name, _ in scope.get("headers") or () if name == b"authorization") < 2
        ):
            await self.app(scope, receive, send)
            return
        body = _body(scope.get("path", ""))
        headers = [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", b"%d" % len(body)),
        ]
        if scope["type"] == "websocket":
            await receive()  # websocket.connect: the handshake request, answered below
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 400, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif "websocket.http.response" in scope.get("extensions", {}):
            await send({"type": "websocket.http.response.start", "status": 400, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1008, "reason": "duplicate Authorization"})

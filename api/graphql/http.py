"""The GraphQL endpoint's transports: Strawberry's ASGI app, made to follow the GraphQL-over-HTTP
spec's media types and to hold graphql-transport-ws to its message shapes.

HTTP. A client that accepts ``application/graphql-response+json`` (before ``application/json`` in its
``Accept`` header) gets that media type, and a request error — the document does not parse or
validate, the variables do not coerce, nothing executed — is answered **400** without a ``data``
entry, as the spec says for it. A client that accepts only ``application/json`` (or sends no
``Accept``) keeps the long-standing behaviour: 200 with ``{"data": null, "errors": […]}``. Either way
the errors carry a code and a Chinese message (:mod:`api.graphql.errors`). The response cache keys on
the media type chosen here (:func:`response_media_type`).

WebSocket. Only ``graphql-transport-ws`` is offered (the deprecated ``graphql-ws`` /
subscriptions-transport-ws protocol, which no Zhiku client speaks, is off). A message that is not a
JSON object of the protocol's shape closes the socket with 4400 and a fixed reason (the protocol's
rule) instead of raising inside the handler; the token may come in ``connection_init``'s payload for
queries and mutations as well as for subscriptions.

    app = ZhikuGraphQL(schema, context_getter=…)
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.base import BaseSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from api.graphql.errors import TooManyOperations, coded, convert_result
from api.web import graphiql_page
from zhiku.settings import MAX_KEY_CHARS

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
#: The protocol's message types (graphql-transport-ws); anything else closes the socket with 4400.
MESSAGE_TYPES = frozenset({"connection_init", "ping", "pong", "subscribe", "complete"})
#: Longest operation id accepted (clients use UUIDs).
MAX_ID = MAX_KEY_CHARS


def response_media_type(accept: str | None) -> str:
    """The media type to answer in: the most preferred of ``application/graphql-response+json`` and
    ``application/json`` (or a wildcard, read as ``application/json``) in ``accept``; ties go to the
    one listed first; ``application/json`` when there is no ``Accept`` or it names neither."""
    if not accept:
        return JSON
    chosen: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.lower()
        if q <= 0:
            continue
        if media == GRAPHQL_RESPONSE:
            chosen.append((-q, i, GRAPHQL_RESPONSE))
        elif media in (JSON, "application/*", "*/*"):
            chosen.append((-q, i, JSON))
    return min(chosen)[2] if chosen else JSON


def request_error(result: ExecutionResult) -> bool:
    """Nothing executed: parse, validation or variable-coercion errors (errors without a path, no
    data). An execution error that nulls the whole ``data`` still has its field's path."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)


def _message_problem(message: object) -> str | None:
    """Why ``message`` breaks graphql-transport-ws's shapes (a fixed close reason), or ``None``."""
    if not isinstance(message, dict):
        return "Invalid message received"
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in MESSAGE_TYPES:
        return "Unknown message type"
    if kind in ("subscribe", "complete"):
        op = message.get("id")
        if not isinstance(op, str) or not op or len(op) > MAX_ID:
            return "Invalid operation id"
    if kind == "subscribe":
        payload = message.get("payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return "Invalid subscribe payload"
        if not isinstance(payload.get("variables"), dict | None):
            return "Invalid subscribe payload"
        if not isinstance(payload.get("operationName"), str | None):
            return "Invalid subscribe payload"
        if not isinstance(payload.get("extensions"), dict | None):
            return "Invalid subscribe payload"
    return None


class SafeTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """Strawberry's graphql-transport-ws handler, with each message's shape checked before it is read
    (the base handler indexes into whatever JSON arrives and only expects ``KeyError``)."""

    async def handle_message(self, message: Message) -> None:
        problem = _message_problem(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        if message["type"] == "connection_init" and message.get("payload") is None:
            message = {"type": "connection_init", "payload": {}}  # the protocol allows a null payload
        if message["type"] == "subscribe" and self.connection_acknowledged:
            if message["id"] in self.operations:
                await self.websocket.close(code=4409, reason="Subscriber for this id already exists")
                return
            limit = self.max_subscriptions_per_connection
            if limit is not None and len(self.operations) >= limit:
                error = TooManyOperations(
                    f"此连接上进行中的操作过多（上限 {limit} 个），请先结束一些订阅",
                    f"too many operations in flight on this connection (limit {limit})",
                )
                await self.send_message(
                    {"id": message["id"], "type": "error", "payload": [coded(error).formatted]}
                )
                return
        await super().handle_message(message)


class ZhikuGraphQL(GraphQL[Any, None]):
    """Strawberry's ASGI app with the spec's media types, coded errors on every path and a strict
    graphql-transport-ws handler (see the module's docstring). The app routes ``/graphql`` to it
    directly, not through Strawberry's FastAPI router: no FastAPI routing and dependency solving per
    request (measured: ~12 % of the event loop's time on an executed ``entity`` read).
    ``context_getter(connection)`` adds Zhiku's entries to Strawberry's ``request`` and ``response``."""

    graphql_transport_ws_handler_class = SafeTransportWSHandler

    def __init__(
        self,
        schema: BaseSchema,
        *,
        context_getter: Callable[[HTTPConnection], Awaitable[dict[str, Any]]],
        **options: Any,
    ) -> None:
        super().__init__(schema, **options)
        self._context_getter = context_getter

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Any:
        return {"request": request, "response": response, **await self._context_getter(request)}

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from the web bundle (its scripts served by Zhiku, no CDN) when it is built;
        Strawberry's page otherwise."""
        page = graphiql_page(request.app.state.zhiku.settings)
        return page if page is not None else await super().render_graphql_ide(request)

    def decode_json(self, data: str | bytes) -> object:
        try:
            return json.loads(data)
        except json.JSONDecodeError:
            raise
        except (ValueError, RecursionError) as exc:  # bad UTF-8; arrays nested past Python's stack
            raise json.JSONDecodeError(f"not JSON: {type(exc).__name__}", "", 0) from None

    async def on_ws_connect(self, context: Any) -> UnsetType | dict[str, object] | None:
        # The token in connection_init's payload signs in the whole connection (queries too).
        zhiku = context.get("zhiku") if isinstance(context, dict) else None
        if zhiku is not None:
            zhiku.use_connection_params(context.get("connection_params"))
        return await super().on_ws_connect(context)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        convert_result(result)  # already done by the schema's extension; a safety net (idempotent)
        response = await super().process_result(request, result)
        media = response_media_type(request.headers.get("accept"))
        request.state.graphql_media = media
        if media == GRAPHQL_RESPONSE and request_error(result):
            response.pop("data", None)
            request.state.graphql_status = 400
        waits = [w for e in result.errors or () if (w := (e.extensions or {}).get("retryAfter")) is not None]
        if waits:  # overloaded (EMBEDDER_BUSY): a retryable 503 with Retry-After, whatever the media type
            request.state.retry_after = max(waits)
        return response

    async def run(
        self,
        request: Request | WebSocket,
        context: Any = UNSET,
        root_value: Any = UNSET,
    ) -> Any:
        response = await super().run(request, context, root_value)
        if not (isinstance(response, Response) and isinstance(request, Request)):
            return response  # a WebSocket
        if getattr(request.state, "graphql_media", JSON) == GRAPHQL_RESPONSE:
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
            response.status_code = getattr(request.state, "graphql_status", response.status_code)
        if (retry_after := getattr(request.state, "retry_after", None)) is not None:
            response.status_code = 503
            response.headers["Retry-After"] = str(retry_after)
        return response

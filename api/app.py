"""The FastAPI application factory.

Example::

    app = create_app(load_settings())          # opens the configured graph store at start-up
    uvicorn.run(app, port=8000)
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api.auth import PrincipalCache
from api.cache import ResponseCache, ResponseStore
from api.deps import AppState
from api.graphql.context import Context
from api.graphql.http import ZhikuGraphQL
from api.graphql.schema import build_schema
from api.headers import SingleAuthorization
from api.miniprogram_web import include_miniprogram
from api.observability import install as install_observability
from api.origin import check_ws_origin
from api.ratelimit import ChatLimit, RateLimit, TokenBucket
from api.rest.attachments import ATTACH_PATH
from api.rest.attachments import router as attachments_router
from api.rest.chat_ws import router as chat_ws_router
from api.rest.console import router as console_router
from api.rest.console import static_files as console_static
from api.rest.health import router as health_router
from api.rest.uploads import UPLOAD_PATH
from api.rest.uploads import router as uploads_router
from api.rest.wecom import router as wecom_router
from api.rest.widget import router as widget_router
from api.web import include_web
from graph.base import GraphStore
from ontology.model import configured_ontology
from search.service import SearchService
from zhiku import __version__
from zhiku.errors import ZhikuError
from zhiku.services import build_state
from zhiku.settings import Environment, Settings

log = logging.getLogger(__name__)


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, whether announced or streamed. ``larger``
    names paths with a limit of their own (document uploads, attachments: a path template such as
    ``/api/applications/{id}/attachments`` matches any one segment for ``{id}``), which their handlers
    enforce."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}
        self._own = [re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(p))) for p in self.larger]

    async def __call__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        if scope["type"] != "http" or any(p.fullmatch(scope["path"]) for p in self._own):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._reject(scope, receive, send)

    async def _reject(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        response = JSONResponse(
            {
                "error": {
                    "code": "REQUEST_TOO_LARGE",
                    "message": f"请求体超过 {self.max_bytes} 字节上限",
                    "message_en": f"request body exceeds {self.max_bytes} bytes",
                }
            },
            status_code=413,
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


class JsonHttpErrors:
    """Strawberry answers HTTP-level mistakes (body is not JSON, ``query`` not a string) with plain
    text; clients get the same JSON error shape as every other failure instead."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith("/graphql"):
            await self.app(scope, receive, send)
            return
        held: Message | None = None

        async def wrapped(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                plain = headers.get(b"content-type", b"").startswith(b"text/plain")
                if 400 <= message["status"] < 500 and plain:
                    held = message
                    return
            elif message["type"] == "http.response.body" and held is not None:
                detail = bytes(message.get("body", b"")).decode("utf-8", "replace")
                response = JSONResponse(
                    {
                        "errors": [
                            {
                                "message": f"请求无效：{detail}",
                                "extensions": {"code": "BAD_REQUEST", "message_en": detail},
                            }
                        ]
                    },
                    status_code=held["status"],
                )
                await response({"type": "http"}, receive, send)
                return
            await send(message)

        await self.app(scope, receive, wrapped)


def create_app(
    settings: Settings,
    store: GraphStore | None = None,
    search: SearchService | None = None,
    *,
    freeze_gc: bool = False,
) -> FastAPI:
    """Build the app: HTTP concerns here, the services from :func:`zhiku.services.build_state`. With
    ``store`` (and ``search``) given the app uses (and does not close) them; else it opens the
    configured store and search index (and syncs the index with the graph).
    ``freeze_gc``: a serving process (``api.main``) freezes what start-up built (``gc.freeze``); tests,
    which build many apps in one process, do not."""
    ontology = configured_ontology(settings)  # the schema's enums need it now (loaded projects' too)
    responses = (
        ResponseStore(max_bytes=settings.api_cache_mb << 20, ttl_s=settings.api_cache_ttl_s)
        if settings.api_cache_mb
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The services are built where the CLI builds them (zhiku/services.py); the app adds only
        # what HTTP needs: the principal cache's token memo, the rate limits, the response cache.
        async with build_state(
            settings, store=store, search=search, ontology=ontology, principals=PrincipalCache, serve=True
        ) as state:
            # a serving state has them (build_state(serve=True))
            assert state.async_kv is not None
            assert state.hub is not None
            assert state.approval_hub is not None
            assert isinstance(state.principals, PrincipalCache)
            app.state.zhiku = AppState(
                settings=settings,
                store=state.store,
                ontology=ontology,
                search=state.search,
                recommender=state.recommender,
                principals=state.principals,
                dialog=state.dialog,
                desk=state.desk,
                hub=state.hub,
                approval_hub=state.approval_hub,
                chat_limit=ChatLimit(state.async_kv, settings.chat_messages_per_minute),
                rate_limiter=TokenBucket(state.async_kv),
                scheduler=state.scheduler,
                index_follower=state.index_follower,
                approvals=state.approvals,
                events=state.events,
                kv_url=state.kv_url,
                wecom=state.wecom,
                responses=responses,
            )
            if freeze_gc:
                # What start-up built (models, the search index, the ontology) lives as long as the
                # process: out of the collector's sight, full collections stop re-scanning it under
                # load (measured: ask p99 at 128 clients 284 → 188 ms).
                gc.collect()
                gc.freeze()
            log.info("Zhiku %s serving with graph backend %s", __version__, state.store.backend)
            yield

    production = settings.env is Environment.production
    app = FastAPI(
        title="知库 Zhiku",
        version=__version__,
        lifespan=lifespan,
        docs_url=None if production else "/docs",
        redoc_url=None,
        openapi_url=None if production else "/openapi.json",
    )

    async def context_getter(connection: HTTPConnection) -> dict[str, Any]:
        # Keep Strawberry's own "request" key; add ours beside it. WebSocket clients send the token
        # in the upgrade request's Authorization header or in connection_init's payload.
        state: AppState = connection.app.state.zhiku
        if connection.scope["type"] == "websocket":
            check_ws_origin(connection, settings)
        auth = connection.headers.get("authorization")
        return {"state": state, "zhiku": Context(state, auth, connection)}

    graphql = ZhikuGraphQL(
        build_schema(settings, ontology),
        context_getter=context_getter,
        graphql_ide=None if production else "graphiql",
        allow_queries_via_get=not production,
        multipart_uploads_enabled=False,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),  # api/graphql/http.py: why not graphql-ws
    )
    # Routes are matched in order: the busiest first (measured: ~0.1 ms per GraphQL request matching
    # the console's, WeCom's and health's routes before reaching it).
    # Strawberry's ASGI app, routed to directly (api/graphql/http.py: no FastAPI layer per request)
    app.router.routes.insert(0, Route("/graphql", graphql, methods=["GET", "POST"]))
    app.router.routes.insert(1, WebSocketRoute("/graphql", graphql))
    app.include_router(health_router)
    app.include_router(chat_ws_router)
    app.include_router(console_router)
    app.mount("/agent/static", console_static(), name="agent-static")
    app.include_router(wecom_router)
    app.include_router(uploads_router)
    app.include_router(widget_router)
    app.include_router(attachments_router)

    @app.exception_handler(ZhikuError)
    async def zhiku_error(request: Request, exc: ZhikuError) -> JSONResponse:
        status = 503 if exc.retryable else 400
        retry_after = getattr(exc, "retry_after", None)
        return JSONResponse(
            {"error": {"code": exc.code, "message": exc.message_zh, "message_en": exc.message_en}},
            status_code=status,
            headers={"Retry-After": str(retry_after)} if retry_after is not None else None,
        )

    if responses is not None:  # innermost: CORS headers, size and rate limits apply to hits too
        app.add_middleware(ResponseCache, store=responses)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(JsonHttpErrors)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        larger={UPLOAD_PATH: settings.ingest_max_bytes, ATTACH_PATH: settings.attachment_max_bytes},
    )
    if settings.rate_limit_per_user or settings.rate_limit_per_ip:  # outermost: refused requests cost least
        app.add_middleware(
            RateLimit,
            per_user=settings.rate_limit_per_user or "1000000/second",
            per_ip=settings.rate_limit_per_ip or "1000000/second",
        )
    app.add_middleware(SingleAuthorization)  # outermost: before anything reads the Authorization header
    install_observability(app)  # around it all: request id, metrics, /metrics (api/observability.py)
    include_miniprogram(app)  # the mini-program's H5 build at /m/
    include_web(app, settings)  # the web console at / (last route: its fallback catches the rest)
    return app

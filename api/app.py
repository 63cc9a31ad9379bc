"""The FastAPI application factory.

Example::

    app = create_app(load_settings())          # opens the configured graph store at start-up
    uvicorn.run(app, port=8000)
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from strawberry.fastapi import GraphQLRouter

from api.deps import AppState
from api.graphql.schema import build_schema
from api.rest.health import router as health_router
from graph import open_store
from graph.base import GraphStore
from ontology.model import load_ontology
from zhiku import __version__
from zhiku.errors import ZhikuError
from zhiku.settings import Environment, Settings

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, whether announced or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:  # fmt: skip
        if scope["type"] != "http":
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

    async def _reject(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                      send: Callable[[Message], Awaitable[None]]) -> None:  # fmt: skip
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


def create_app(settings: Settings, store: GraphStore | None = None) -> FastAPI:
    """Build the app. With ``store`` given the app uses (and does not close) it; else it opens one."""
    ontology = load_ontology(extra_dir=settings.ontology_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = store is None
        active = open_store(settings) if own else store
        assert active is not None
        active.apply_schema(ontology.schema())
        app.state.zhiku = AppState(settings=settings, store=active, ontology=ontology)
        log.info("Zhiku %s serving with graph backend %s", __version__, active.backend)
        try:
            yield
        finally:
            if own:
                active.close()

    production = settings.env is Environment.production
    app = FastAPI(
        title="知库 Zhiku",
        version=__version__,
        lifespan=lifespan,
        docs_url=None if production else "/docs",
        redoc_url=None,
        openapi_url=None if production else "/openapi.json",
    )

    async def context_getter(request: Request) -> dict[str, Any]:
        # Keep Strawberry's own "request" key; add ours beside it.
        return {"request": request, "state": request.app.state.zhiku}

    graphql = GraphQLRouter(
        build_schema(settings),
        context_getter=context_getter,
        graphql_ide=None if production else "graphiql",
        allow_queries_via_get=not production,
        multipart_uploads_enabled=False,
    )
    app.include_router(health_router)
    app.include_router(graphql, prefix="/graphql")

    @app.exception_handler(ZhikuError)
    async def zhiku_error(request: Request, exc: ZhikuError) -> JSONResponse:
        status = 503 if exc.retryable else 400
        return JSONResponse(
            {"error": {"code": exc.code, "message": exc.message_zh, "message_en": exc.message_en}},
            status_code=status,
        )

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    return app

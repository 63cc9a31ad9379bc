"""Observability: Prometheus metrics at ``/metrics`` and a request id on every request and log line.

:func:`install` adds, outermost, the request id (``X-Request-ID``: a caller's or a proxy's is kept
when it is a plain token of up to 128 characters, else one is made; it is echoed on the response and
carried in every log line the request causes — ``ZHIKU_LOG_FORMAT=json``) and :class:`RequestMetrics`
(requests by route, method and status; latency histograms; WebSocket connections), then the
``/metrics`` route.

``/metrics`` needs ``Authorization: Bearer $ZHIKU_METRICS_TOKEN`` (Prometheus' ``authorization``
scrape option); without that setting it is off (404). Metrics name no employee, but they show load,
routes and error rates to whoever reads them, and the port is the public API's. Besides the counters
(:mod:`zhiku.metrics`, summed over workers), each scrape reads what is shared or the same on every
worker: the search index's size and version, the response cache's size, the ticket outbox and the
event streams' lengths.

Example::

    install(app)     # at the end of create_app: outermost middlewares
"""

from __future__ import annotations

import hmac
import logging
import re
import time
import uuid
from collections.abc import Iterable
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import AppState
from zhiku.metrics import HTTP_LATENCY, HTTP_REQUESTS, WEBSOCKETS, multiprocess

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
#: A request id we keep as given: letters, digits and ``._:-``, up to 128 (no spaces, quotes or
#: newlines to forge log lines with).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: Paths a request that matched no route is counted under (bounded labels whatever is requested).
_PREFIXES = ("/graphql", "/healthz", "/metrics", "/ws/", "/agent", "/wecom/")


def valid_request_id(value: str) -> bool:
    return _REQUEST_ID.fullmatch(value) is not None


#: The web console's fallback route (api/web.py): its client-side pages and every unknown path.
CATCH_ALL = "/{path:path}"


def route_label(scope: Scope) -> str:
    """The matched route's path template (FastAPI puts the route in the scope), else a known prefix,
    else ``other`` — never the raw path, which a client could vary without end."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str) and path and path != CATCH_ALL:
        return path
    raw = str(scope.get("path", ""))
    return next((prefix.rstrip("/") for prefix in _PREFIXES if raw.startswith(prefix)), "other")


class RequestMetrics:
    """Counts every HTTP request (route, method, status) with its latency, and every WebSocket
    connection (accepted or refused). A request that raises is counted as 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counted)
        finally:
            route, method = route_label(scope), str(scope.get("method", ""))
            HTTP_REQUESTS.labels(route, method, str(status)).inc()
            HTTP_LATENCY.labels(route, method).observe(time.perf_counter() - started)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        outcome = "refused"

        async def counted(message: Message) -> None:
            nonlocal outcome
            if message["type"] == "websocket.accept":
                outcome = "accepted"
            await send(message)

        try:
            await self.app(scope, receive, counted)
        finally:
            WEBSOCKETS.labels(route_label(scope), outcome).inc()


class StateCollector(Collector):
    """What a scrape reads from the app's services rather than from counters."""

    def __init__(self, state: AppState, streams: dict[str, int]) -> None:
        self.state = state
        self.streams = streams

    def collect(self) -> Iterable[Metric]:
        stats = self.state.search.stats()
        index = GaugeMetricFamily(
            "zhiku_search_index_size", "The search index: documents, chunks, vectors.", labels=["what"]
        )
        for what in ("documents", "chunks", "vectors"):
            index.add_metric([what], float(stats[what]))
        yield index
        yield GaugeMetricFamily(
            "zhiku_search_index_version",
            "The graph data version the index was synced to.",
            value=stats["version"],
        )
        queues = GaugeMetricFamily(
            "zhiku_queue_depth",
            "Waiting items: tickets in the outbox (graph unreachable when raised), events in each stream.",
            labels=["queue"],
        )
        outbox = self.state.dialog.outbox
        queues.add_metric(["outbox"], float(len(outbox.pending())) if outbox is not None else 0.0)
        for name, length in self.streams.items():
            queues.add_metric([f"stream:{name}"], float(length))
        yield queues
        if self.state.responses is not None:
            cache = self.state.responses.stats()
            sizes = GaugeMetricFamily(
                "zhiku_response_cache_size", "This worker's response cache.", labels=["what"]
            )
            sizes.add_metric(["entries"], float(cache["entries"]))
            sizes.add_metric(["bytes"], float(cache["bytes"]))
            yield sizes


async def _stream_lengths(state: AppState) -> dict[str, int]:
    lengths: dict[str, int] = {}
    for stream in {state.events.name, state.hub.stream.name, state.approval_hub.stream.name}:
        try:
            lengths[stream] = int(await state.hub.kv.xlen(stream))
        except Exception:  # the shared Redis is away: the rest of the scrape still answers
            log.warning("metrics: cannot read the length of stream %s", stream, exc_info=True)
    return lengths


def exposition(state: AppState, streams: dict[str, int]) -> bytes:
    """The text a scrape gets: the counters (all workers' under ``--workers N``) and the state."""
    if multiprocess():
        counted = CollectorRegistry()
        MultiProcessCollector(counted)  # type: ignore[no-untyped-call]  # prometheus-client 0.26 leaves it untyped
    else:
        counted = REGISTRY
    current = CollectorRegistry()
    current.register(StateCollector(state, streams))
    return generate_latest(counted) + generate_latest(current)


router = APIRouter()


def _refused(status: int, zh: str, en: str, **headers: str) -> JSONResponse:
    code = "NOT_FOUND" if status == 404 else "UNAUTHENTICATED"
    body: dict[str, Any] = {"error": {"code": code, "message": zh, "message_en": en}}
    return JSONResponse(body, status_code=status, headers=headers)


@router.get("/metrics", summary="Prometheus 指标 / Prometheus metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    state: AppState = request.app.state.zhiku
    expected = state.settings.metrics_token.get_secret_value()
    if not expected:
        return _refused(
            404, "指标未开启：设置 ZHIKU_METRICS_TOKEN", "metrics are off: set ZHIKU_METRICS_TOKEN"
        )
    given = request.headers.get("authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        challenge = {"WWW-Authenticate": 'Bearer realm="metrics"'}
        return _refused(401, "需要指标令牌", "the metrics token is required", **challenge)
    body = exposition(state, await _stream_lengths(state))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> None:
    """Outermost middlewares (request id, then metrics) and ``/metrics``: call last in create_app."""
    app.include_router(router)
    app.add_middleware(RequestMetrics)
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name=REQUEST_ID_HEADER,
        validator=valid_request_id,
        generator=lambda: uuid.uuid4().hex,
    )

"""Prometheus metrics: what every stage counts, defined once (``/metrics`` serves them, api/observability.py).

Counters and histograms live in the process that counts. Under ``zhiku serve --workers N`` each
worker is its own process, so ``zhiku serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh
directory before the workers start (:func:`prepare_multiprocess_dir`): prometheus-client then keeps
every worker's values in memory-mapped files there and ``/metrics``, whichever worker answers it, adds
them up (``MultiProcessCollector``). Values that are the same for every worker or live in the shared
Redis — index size, queue depths — are not stored: they are read when ``/metrics`` is scraped.

Example::

    from zhiku.metrics import WECOM_ERRORS
    WECOM_ERRORS.labels(errcode="45009").inc()
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import Counter, Histogram

#: The environment variable prometheus-client reads (at import) for its multiprocess mode.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: Request latency buckets (seconds): health checks and cached reads in the first ones, ``ask`` in
#: the middle, a slow graph or a WeCom answer at the top.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "zhiku_http_requests",
    "HTTP requests answered, by route (the matched route's path), method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "zhiku_http_request_duration_seconds",
    "Time from a request's arrival to its response's last byte, by route and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
WEBSOCKETS = Counter(
    "zhiku_websocket_connections",
    "WebSocket connections accepted or refused, by route (chat, GraphQL subscriptions).",
    ["route", "outcome"],
)
RESPONSE_CACHE = Counter(
    "zhiku_response_cache_lookups",
    "GraphQL read responses looked up in the response cache (api/cache.py): result=hit|miss.",
    ["result"],
)
WECOM_ERRORS = Counter(
    "zhiku_wecom_errors",
    "WeCom API calls that failed: errcode is WeCom's code, or 'unreachable' (network, HTTP status).",
    ["errcode"],
)


def prepare_multiprocess_dir(default: Path) -> Path:
    """The directory for several workers' metric files: ``PROMETHEUS_MULTIPROC_DIR`` if set, else
    ``default``; created, emptied of a previous run's files, and exported for the workers (they
    inherit the environment). Call before the workers start, never in a running worker."""
    directory = Path(os.environ.get(MULTIPROC_ENV) or default)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):  # prometheus-client's files: counter_<pid>.db, histogram_…
        stale.unlink(missing_ok=True)
    os.environ[MULTIPROC_ENV] = str(directory)
    return directory


def multiprocess() -> bool:
    """Whether this process counts into shared files (``zhiku serve --workers N``)."""
    return bool(os.environ.get(MULTIPROC_ENV))

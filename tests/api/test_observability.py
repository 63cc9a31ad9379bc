"""``/metrics`` and request ids on a real ``zhiku serve --workers 2`` on loopback: the scrape is
refused without the metrics token; with it, prometheus-client's own parser reads requests by route
and status, latency histograms, response-cache lookups, the index size and queue depths — the
counters summed over both workers whichever answers; ``X-Request-ID`` is kept or made, echoed, and
in the JSON log line of its request; no secret reaches the log."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.auth import issue_token
from graph.falkordb_store import FalkorDBStore
from zhiku.loopback import Served, serving
from zhiku.settings import Settings
from zhiku.types import EdgeRecord, NodeRecord

METRICS_TOKEN = "metrics-token-for-the-test-0123456789"  # the test's own
SECRET = "development-only-secret-for-observability-tests-0123"  # the test's own
QUERY = "{ me { id name } }"
SENT = 8


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Path, Path]]:
    tmp = tmp_path_factory.mktemp("observability")
    data_dir, log = tmp / "data", tmp / "serve.log"
    writer = FalkorDBStore.embedded(data_dir / "graph", idle_shutdown_s=1)
    try:
        writer.upsert_nodes([
            NodeRecord("E1", ("Employee",), {"name": "张伟", "level": 3}),
            NodeRecord("D1", ("Department",), {"name": "行政部"}),
        ])  # fmt: skip
        writer.upsert_relationships([EdgeRecord("E1", "BELONGS_TO", "D1", {})])
    finally:
        writer.close()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("ZHIKU_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update({
        "ZHIKU_DATA_DIR": str(data_dir), "ZHIKU_EMBED_MODEL": "static", "ZHIKU_SECRET_KEY": SECRET,
        "ZHIKU_METRICS_TOKEN": METRICS_TOKEN, "ZHIKU_LOG_FORMAT": "json",
    })  # fmt: skip
    with serving(env, args=["--workers", "2"], log=log) as server:
        yield server, log, data_dir


def _scrape(base: str) -> dict[str, Any]:
    """name → list of samples (prometheus_client's parser)."""
    response = httpx.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}", "Connection": "close"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {family.name: family.samples for family in text_string_to_metric_families(response.text)}


def _value(samples: list[Any], name: str, **labels: str) -> float:
    return sum(
        s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def test_metrics_need_the_token(served: tuple[Served, Path, Path]) -> None:
    server, _, _ = served
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {METRICS_TOKEN}"}):
        refused = httpx.get(f"{server.base}/metrics", headers=headers)
        assert refused.status_code == 401 and refused.json()["error"]["message_en"]
        assert "zhiku_http_requests" not in refused.text


def test_the_scrape_counts_every_workers_requests_with_latency_cache_index_and_queues(
    served: tuple[Served, Path, Path],
) -> None:
    server, _, data_dir = served
    token = issue_token(Settings(secret_key=SECRET), "E1")  # type: ignore[arg-type]
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(headers=auth) as same_connection:  # one connection: one worker, its cache
        for _ in range(SENT // 2):
            answered = same_connection.post(f"{server.base}/graphql", json={"query": QUERY})
            assert answered.status_code == 200 and answered.json()["data"]["me"]["id"] == "E1"
    for _ in range(SENT // 2):  # new connections: spread over the workers
        answered = httpx.post(
            f"{server.base}/graphql", json={"query": QUERY}, headers={**auth, "Connection": "close"}
        )
        assert answered.status_code == 200
    # a file name: 404 whether or not the web console is built (its fallback serves page paths)
    assert httpx.get(f"{server.base}/no-such-file.txt").status_code == 404

    files = {p.name.split("_")[-1] for p in (data_dir / "metrics").rglob("counter_*.db")}
    assert files  # the workers count into shared files (PROMETHEUS_MULTIPROC_DIR)
    for _ in range(4):  # whichever worker answers the scrape, it reports both workers' counts
        metrics = _scrape(server.base)
        requests = metrics["zhiku_http_requests"]
        assert (
            _value(requests, "zhiku_http_requests_total", route="/graphql", method="POST", status="200")
            == SENT
        )
        assert _value(requests, "zhiku_http_requests_total", route="other", status="404") == 1
        latency = metrics["zhiku_http_request_duration_seconds"]
        assert _value(latency, "zhiku_http_request_duration_seconds_count", route="/graphql") == SENT
        assert (
            _value(latency, "zhiku_http_request_duration_seconds_bucket", route="/graphql", le="+Inf") == SENT
        )
        cache = metrics["zhiku_response_cache_lookups"]
        hits = _value(cache, "zhiku_response_cache_lookups_total", result="hit")
        misses = _value(cache, "zhiku_response_cache_lookups_total", result="miss")
        assert hits + misses == SENT and hits >= SENT // 2 - 1  # the repeats on one connection hit
        index = {s.labels["what"]: s.value for s in metrics["zhiku_search_index_size"]}
        assert set(index) == {"documents", "chunks", "vectors"} and index["chunks"] == 0
        queues = {s.labels["queue"]: s.value for s in metrics["zhiku_queue_depth"]}
        assert queues["outbox"] == 0 and any(q.startswith("stream:") for q in queues)


def test_request_ids_are_kept_or_made_echoed_and_in_the_json_log(served: tuple[Served, Path, Path]) -> None:
    server, log, _ = served
    kept = httpx.get(f"{server.base}/healthz", headers={"X-Request-ID": "trace-abc.123"})
    assert kept.headers["x-request-id"] == "trace-abc.123"
    made = httpx.get(f"{server.base}/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    forged = httpx.get(f"{server.base}/healthz", headers={"X-Request-ID": 'x" injected=1'})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["x-request-id"])  # not a plain token: replaced
    secret_jwt = "eyJhbGciOiJIUzI1NiJ9.secret-payload.signature"
    httpx.get(f"{server.base}/ws/chat?token={secret_jwt}")  # a token in a URL, as browsers send it
    httpx.get(f"{server.base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})

    def lines() -> list[dict[str, Any]]:
        text = log.read_text(encoding="utf-8", errors="replace")
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    records: list[dict[str, Any]] = []
    for _ in range(50):  # the access line is written as the response goes out
        records = lines()
        if any(r.get("request_id") == made.headers["x-request-id"] for r in records):
            break
        time.sleep(0.1)
    access = [r for r in records if r.get("logger") == "uvicorn.access"]
    mine = [r for r in access if r.get("request_id") == "trace-abc.123"]
    assert len(mine) == 1 and mine[0]["path"] == "/healthz" and mine[0]["status"] == 200
    assert {"time", "level", "message"} <= set(mine[0])
    assert any(r.get("request_id") == made.headers["x-request-id"] for r in access)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert secret_jwt not in text and "secret-payload" not in text and METRICS_TOKEN not in text
    assert any("[redacted]" in r.get("path", "") for r in access)
    # every log line is JSON: what is not is the CLI's own banner on stdout (data directory, address)
    plain_logs = [
        line for line in text.splitlines() if re.match(r"(INFO|WARNING|ERROR|DEBUG|CRITICAL)\b", line)
    ]
    assert plain_logs == []

"""Schema fuzzing: schemathesis generates queries from the checked-in ``api/schema.graphql`` and sends
them to a real uvicorn server on loopback; no input may produce a 5xx or an INTERNAL_ERROR."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from api.app import create_app
from api.auth import issue_token
from api.graphql.export import SCHEMA_FILE
from zhiku.settings import Settings

schema = schemathesis.graphql.from_path(SCHEMA_FILE)
SEEN = {"requests": 0, "answered": 0}


@pytest.fixture(scope="module")
def server(demo_graph, demo_search) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    app_settings = Settings(data_dir=demo_search.directory.parent)
    app = create_app(app_settings, store=demo_graph, search=demo_search)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", issue_token(app_settings, "E1030")
    srv.should_exit = True
    thread.join(timeout=10)
    demo_graph.execute("MATCH (f:Feedback) DETACH DELETE f")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_breaks_the_server(case, server) -> None:  # type: ignore[no-untyped-def]
    base, token = server
    response = case.call(base_url=f"{base}/graphql", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, response.text
    body = response.json()
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    assert "INTERNAL_ERROR" not in codes, body
    SEEN["requests"] += 1
    SEEN["answered"] += bool(body.get("data") and any(v is not None for v in body["data"].values()))


def test_the_fuzzer_reached_the_resolvers() -> None:
    """Guard against a fuzz run that only ever hit validation errors (runs after the cases above)."""
    assert SEEN["requests"] >= 100
    assert SEEN["answered"] >= 10

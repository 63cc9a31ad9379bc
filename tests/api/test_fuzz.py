"""Schema fuzzing: schemathesis generates queries from the checked-in ``api/schema.graphql`` and sends
them to a real uvicorn server on loopback; no input may produce a 5xx or an INTERNAL_ERROR.

The WebSocket transport too: hypothesis sends graphql-transport-ws messages — bad JSON, wrong types,
deep nesting, large payloads, NUL bytes, unknown message types, subscribing before ``connection_init``
— to the same server; it must answer with coded errors or close with one of the protocol's codes,
never show an exception's text, and stay healthy."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import websockets
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from api.graphql.export import SCHEMA_FILE
from tests.api.conftest import closed_as, serve

schema = schemathesis.graphql.from_path(SCHEMA_FILE)
SEEN = {"requests": 0, "answered": 0}


@pytest.fixture(scope="module")
def server(module_demo_copy) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """On a copy of the demo: generated mutations record feedback, views, tickets, applications."""
    with serve(*module_demo_copy) as live:
        yield live.base, live.token("E1030")


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


# -- the WebSocket transport -------------------------------------------------------------------------

#: What an answer must never contain: the text of an exception (paths, OS errors, Python internals).
RAW = (
    "Traceback",
    "Errno",
    "embedded null byte",
    "File name too long",
    ".cypher",
    "RecursionError",
    "KeyError",
    "TypeError",
    "is not subscriptable",
    "object has no attribute",
)
#: Close codes a well-behaved graphql-transport-ws server uses (normal, too big, the protocol's 44xx).
CLOSE_CODES = {1000, 1009, 4400, 4401, 4403, 4406, 4408, 4409, 4429}
WS_SEEN = {"connections": 0, "coded_errors": 0, "closed_4400": 0}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
documents = st.sampled_from(
    [
        "{ me { id } }",
        "{ __typename }",
        '{ namedQuery(name: "' + "a" * 300 + '") }',
        '{ namedQuery(name: "a\\u0000b") }',
        '{ entity(id: "\\u0000") { id } }',
        "subscription { indexStatus { version } }",
        'subscription { approvalStatus(instanceId: "x") { status } }',
        "{ " + " ".join(["__typename"] * 2100) + " }",
        "{ " + " ".join(f"a{i}: __typename" for i in range(30)) + " }",
        "{ entity(id: 1) { " + "relations { target { " * 8 + "id" + " } }" * 8 + " } }",
        "{",
        'mutation { chat(message: "你好") { text } }',
    ]
) | st.text(max_size=40)
message_types = st.sampled_from(
    ["connection_init", "ping", "pong", "subscribe", "complete", "next", "error", "start", "stop", "ka", ""]
)
subscribe_payloads = st.fixed_dictionaries(
    {"query": documents | st.integers() | st.none()},
    optional={
        "variables": json_values
        | st.fixed_dictionaries({"i": st.text(max_size=5).map(lambda t: t + "\x00")}),
        "operationName": st.text(max_size=10) | st.integers(),
        "extensions": json_values,
    },
)
shaped = st.fixed_dictionaries(
    {"type": message_types | st.integers() | st.none()},
    optional={
        "id": st.text(max_size=10) | st.integers() | st.lists(st.integers(), max_size=2) | st.just("x" * 500),
        "payload": subscribe_payloads | json_values,
    },
).map(json.dumps)
deep = st.integers(min_value=10, max_value=200_000).map(lambda n: "[" * n + "]" * n) | st.integers(
    min_value=10, max_value=50_000
).map(lambda n: '{"type":"subscribe","id":"1","payload":' + '{"a":' * n + "1" + "}" * n + "}")
large = st.integers(min_value=1_000, max_value=1_000_000).map(
    lambda n: json.dumps({"type": "subscribe", "id": "1", "payload": {"query": "{ " + "a" * n + " }"}})
)
nul_text = st.text(max_size=30).map(lambda t: t[: len(t) // 2] + "\x00" + t[len(t) // 2 :])
ws_messages = st.one_of(
    st.text(max_size=60),  # mostly not JSON
    json_values.map(json.dumps),  # JSON of the wrong shape
    shaped,
    shaped,
    deep,
    large,
    nul_text,
    nul_text.map(lambda t: json.dumps({"type": "subscribe", "id": t, "payload": {"query": t}})),
    st.binary(max_size=20),
)


async def _ws_session(url: str, token: str, init: bool, messages: list[str | bytes]) -> list[Any]:
    """One connection: optionally ``connection_init`` with a token, then ``messages``; everything
    received (``("closed", code, reason)`` last when the server closed)."""
    received: list[Any] = []
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"], max_size=None) as ws:
        if init:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
            )
        try:
            for message in messages:
                await ws.send(message)
            while True:  # until the server closes or falls quiet (a live subscription never ends)
                received.append(json.loads(await asyncio.wait_for(ws.recv(), 0.5)))
        except websockets.ConnectionClosed as closed:
            received.append(closed_as(closed))
        except TimeoutError:
            pass
    return received


def _sub(query: str) -> str:
    return json.dumps({"type": "subscribe", "id": "1", "payload": {"query": query}})


@given(init=st.booleans(), messages=st.lists(ws_messages, min_size=1, max_size=4))
# the audit's cases, always run: coded errors…
@example(init=True, messages=[_sub('{ entity(id: "\\u0000") { id } }')])
@example(init=True, messages=[_sub("{ " + " ".join(["__typename"] * 2100) + " }")])
@example(init=True, messages=[_sub('{ namedQuery(name: "' + "a" * 300 + '") }')])
@example(init=True, messages=[_sub("{")])
# …and the protocol's closes
@example(init=False, messages=["{not json"])
@example(init=True, messages=["[" * 100_000 + "]" * 100_000])
@example(init=True, messages=[json.dumps([1]), _sub("{ me { id } }")])
@example(init=False, messages=[_sub("{ me { id } }")])
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_websocket_message_breaks_the_server(server, init: bool, messages: list[str | bytes]) -> None:  # type: ignore[no-untyped-def]
    base, token = server
    url = base.replace("http://", "ws://") + "/graphql"
    received = asyncio.run(_ws_session(url, token, init, messages))
    WS_SEEN["connections"] += 1
    text = json.dumps(received, ensure_ascii=False, default=str)
    assert not any(raw in text for raw in RAW), text[:2000]
    for item in received:
        if isinstance(item, tuple):
            assert item[1] in CLOSE_CODES, item  # never 1011 (server error) or an abnormal drop
            WS_SEEN["closed_4400"] += item[1] == 4400
            continue
        assert isinstance(item, dict) and item.get("type") in (
            "connection_ack",
            "pong",
            "next",
            "error",
            "complete",
        )
        payload = item.get("payload")
        errors = payload if item["type"] == "error" else (payload or {}).get("errors") or []
        for error in errors:
            assert error["extensions"]["code"] and error["extensions"]["message_en"], item
            assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), item
            WS_SEEN["coded_errors"] += 1
    assert httpx.get(f"{base}/healthz").status_code == 200


def test_the_websocket_fuzzer_reached_the_handler() -> None:
    """Guard against a run that never got past the handshake (runs after the cases above)."""
    assert WS_SEEN["connections"] >= 40
    assert WS_SEEN["closed_4400"] >= 3 and WS_SEEN["coded_errors"] >= 4

"""GraphQL over WebSocket (graphql-transport-ws) answers like HTTP: every error coded, in Chinese,
never an exception's own text; an over-limit document gets a coded ``error`` message (not a bare
``complete``); a malformed message closes the socket with 4400 and a fixed reason. A real
``websockets`` client against a real uvicorn server on loopback."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from tests.api.conftest import Live, closed_as

PROTOCOL = ["graphql-transport-ws"]
ANALYST, EMPLOYEE = "E1004", "E1030"


async def exchange(live: Live, messages: list[Any], token: str | None = None, wait: float = 5.0) -> list[Any]:
    """Send ``messages`` (JSON-encoded unless already ``str``/``bytes``) after ``connection_init``
    (when ``token`` is given) and collect what comes back until the operation ends, the socket
    closes (``("closed", code, reason)``) or nothing arrives for ``wait`` seconds."""
    received: list[Any] = []
    async with websockets.connect(live.ws, subprotocols=PROTOCOL, max_size=None) as ws:
        if token is not None:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
            )
            assert json.loads(await ws.recv()) == {"type": "connection_ack"}
        for message in messages:
            await ws.send(message if isinstance(message, str | bytes) else json.dumps(message))
        try:
            while True:
                reply = json.loads(await asyncio.wait_for(ws.recv(), wait))
                received.append(reply)
                if reply.get("type") in ("error", "complete"):
                    break
        except websockets.ConnectionClosed as closed:
            received.append(closed_as(closed))
        except TimeoutError:
            pass
    return received


def subscribe(query: str, variables: dict | None = None, op: str = "1") -> dict:
    return {"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables}}


def errors_of(received: list[Any]) -> list[dict]:
    """The GraphQL errors in an exchange: an ``error`` message's payload or a ``next``'s errors."""
    out: list[dict] = []
    for message in received:
        if isinstance(message, dict) and message.get("type") == "error":
            out.extend(message["payload"])
        elif isinstance(message, dict) and message.get("type") == "next":
            out.extend(message["payload"].get("errors") or [])
    return out


RAW = ("Errno", "File name too long", "embedded null byte", "Traceback", ".cypher", "/queries/")


def assert_coded(received: list[Any], code: str) -> dict:
    errors = errors_of(received)
    assert errors, received
    assert {e["extensions"]["code"] for e in errors} == {code}, received
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e["message"]) for e in errors), received
    text = json.dumps(received, ensure_ascii=False)
    assert not any(raw in text for raw in RAW), text
    return errors[0]


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("{ " + " ".join(["__typename"] * 2100) + " }", "QUERY_TOO_LARGE"),
        ("{ " + " ".join(f"a{i}: __typename" for i in range(20)) + " }", "QUERY_TOO_MANY_ALIASES"),
        (
            '{ entity(id: "E1001") { relations { target { relations { target { relations { target { relations { target { relations { target { relations { type } } } } } } } } } } } } }',
            "QUERY_TOO_DEEP",
        ),
        ("{ me { id", "GRAPHQL_PARSE_FAILED"),
        ("{ me { nope } }", "GRAPHQL_VALIDATION_FAILED"),
        ('{ entity(id: "a\\u0000b") { id } }', "BAD_INPUT"),
        ('subscription { approvalStatus(instanceId: "x\\u0000") { status } }', "BAD_INPUT"),
    ],
)
def test_request_errors_get_a_coded_error_message(live: Live, document: str, code: str) -> None:
    received = asyncio.run(exchange(live, [subscribe(document)], token=live.token(EMPLOYEE)))
    assert received[-1]["type"] == "error", received  # an error message, not a bare complete or a close
    assert_coded(received, code)


def test_a_nul_in_variables_is_bad_input(live: Live) -> None:
    cases = [
        ("query($i: ID!) { entity(id: $i) { id } }", {"i": "a\x00b"}),
        ("subscription($i: ID) { approvalStatus(instanceId: $i) { status } }", {"i": "\x00"}),
        ('query($p: JSON) { namedQuery(name: "entity_by_id", params: $p) }', {"p": {"id": "\x00"}}),
    ]
    for document, variables in cases:
        received = asyncio.run(exchange(live, [subscribe(document, variables)], token=live.token(ANALYST)))
        assert_coded(received, "BAD_INPUT")


def test_resolver_failures_never_show_exception_text(live: Live) -> None:
    """The audit's cases: a named query whose name is too long for a file name, and one with a NUL."""
    for name in ("a" * 300, "a\\u0000b"):
        received = asyncio.run(
            exchange(live, [subscribe(f'{{ namedQuery(name: "{name}") }}')], token=live.token(ANALYST))
        )
        errors = errors_of(received)
        assert errors and all(e["extensions"]["code"] and e["extensions"]["message_en"] for e in errors)
        text = json.dumps(received, ensure_ascii=False)
        assert not any(raw in text for raw in RAW), text


def test_a_subscription_that_is_refused_is_coded(live: Live) -> None:
    received = asyncio.run(
        exchange(live, [subscribe("subscription { indexStatus { version } }")], token="forged")
    )
    assert_coded(received, "INVALID_TOKEN")


def test_queries_sign_in_with_the_connection_init_token(live: Live) -> None:
    received = asyncio.run(exchange(live, [subscribe("{ me { id } }")], token=live.token(EMPLOYEE)))
    assert received[0] == {"id": "1", "type": "next", "payload": {"data": {"me": {"id": EMPLOYEE}}}}
    assert received[-1] == {"id": "1", "type": "complete"}


INIT = {"type": "connection_init"}


@pytest.mark.parametrize(
    ("messages", "code", "reason"),
    [
        (["{not json"], 4400, "WebSocket message must be valid JSON"),
        (["[" * 100_000 + "]" * 100_000], 4400, "WebSocket message must be valid JSON"),
        ([b"\x00\x01binary"], 4400, "WebSocket message type must be text"),
        ([INIT, [1, 2, 3]], 4400, "Invalid message received"),
        ([INIT, "null"], 4400, "Invalid message received"),
        ([INIT, {"type": 5}], 4400, "Unknown message type"),
        ([INIT, {"type": "next", "id": "1"}], 4400, "Unknown message type"),
        (
            [INIT, {"type": "subscribe", "id": ["1"], "payload": {"query": "{ me { id } }"}}],
            4400,
            "Invalid operation id",
        ),
        (
            [INIT, {"type": "subscribe", "id": "x" * 1000, "payload": {"query": "{ me { id } }"}}],
            4400,
            "Invalid operation id",
        ),
        (
            [INIT, {"type": "subscribe", "id": "1", "payload": "{ me { id } }"}],
            4400,
            "Invalid subscribe payload",
        ),
        (
            [INIT, {"type": "subscribe", "id": "1", "payload": {"query": 5}}],
            4400,
            "Invalid subscribe payload",
        ),
        (
            [INIT, {"type": "subscribe", "id": "1", "payload": {"query": "{ me { id } }", "variables": [1]}}],
            4400,
            "Invalid subscribe payload",
        ),
        ([INIT, {"type": "complete", "id": {"a": 1}}], 4400, "Invalid operation id"),
        ([INIT, {"type": "connection_init", "payload": 5}], 4400, "Invalid connection init payload"),
        ([INIT, INIT], 4429, "Too many initialisation requests"),
        ([subscribe("{ me { id } }")], 4401, "Unauthorized"),
    ],
)
def test_malformed_messages_close_with_the_protocols_code(
    live: Live, messages: list[Any], code: int, reason: str
) -> None:
    received = asyncio.run(exchange(live, messages))
    assert received[-1] == ("closed", code, reason), received


def test_an_operation_id_in_use_closes_with_4409(live: Live) -> None:
    watch = subscribe("subscription { indexStatus(pollSeconds: 60) { version } }")
    received = asyncio.run(exchange(live, [watch, watch], token=live.token(EMPLOYEE)))
    assert received[-1] == ("closed", 4409, "Subscriber for this id already exists")


def test_health_after_abuse(live: Live) -> None:
    import httpx

    assert httpx.get(f"{live.base}/healthz").status_code == 200


def test_a_null_connection_init_payload_is_accepted(live: Live) -> None:
    received = asyncio.run(
        exchange(live, [{"type": "connection_init", "payload": None}, subscribe("{ __typename }")])
    )
    assert received == [
        {"type": "connection_ack"},
        {"id": "1", "type": "next", "payload": {"data": {"__typename": "Query"}}},
        {"id": "1", "type": "complete"},
    ]

"""One request, one caller: a request (or WebSocket upgrade) with two ``Authorization`` headers is
refused with 400 before the rate limit, the response cache or GraphQL read either; the rate limit
counts the employee a token names, not the token's bytes. Real requests with two headers on the wire
(``http.client``), against a real uvicorn server on loopback."""

from __future__ import annotations

import asyncio
import http.client
import json
from urllib.parse import urlsplit

import pytest
import websockets

from api.auth import issue_token
from tests.api.conftest import Live, serve

ME = json.dumps({"query": "{ me { id } }"}).encode()
E1030, E1062 = "E1030", "E1062"


def post(
    live: Live, tokens: list[str], body: bytes = ME, path: str = "/graphql"
) -> tuple[int, dict[str, str], dict]:
    """POST ``body`` with one ``Authorization: Bearer …`` header per token, exactly as listed."""
    url = urlsplit(live.base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.putrequest("POST" if body else "GET", path)
        for token in tokens:
            conn.putheader("Authorization", f"Bearer {token}")
        if body:
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(response.read())
    finally:
        conn.close()


def test_two_tokens_are_refused_before_anything_reads_them(live: Live) -> None:
    first, second = live.token(E1030), live.token(E1062)
    for pair in ([first, second], [second, first], [first, first]):
        status, headers, body = post(live, pair)
        assert status == 400
        error = body["errors"][0]
        assert error["extensions"]["code"] == "DUPLICATE_AUTHORIZATION"
        assert "Authorization" in error["message"] and "令牌" in error["message"]
        assert "x-zhiku-cache" not in headers  # refused outside the cache: nothing filed, nothing served
    # each caller, alone, gets their own answer — neither was filed under the other's key
    for who, token in ((E1062, second), (E1030, first)):
        status, headers, body = post(live, [token])
        assert status == 200 and body == {"data": {"me": {"id": who}}}
        assert headers["x-zhiku-cache"] == "miss"
        assert post(live, [token])[2] == {"data": {"me": {"id": who}}}


def test_two_tokens_are_refused_on_rest_paths_too(live: Live) -> None:
    status, _, body = post(live, [live.token(E1030), live.token(E1062)], body=b"", path="/healthz")
    assert status == 400
    assert body["error"]["code"] == "DUPLICATE_AUTHORIZATION" and "令牌" in body["error"]["message"]
    assert post(live, [], body=b"", path="/healthz")[0] == 200


def test_a_websocket_upgrade_with_two_tokens_is_refused(live: Live) -> None:
    async def connect(tokens: list[str]) -> websockets.exceptions.InvalidStatus:
        headers = [("Authorization", f"Bearer {t}") for t in tokens]
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            async with websockets.connect(
                live.ws, subprotocols=["graphql-transport-ws"], additional_headers=headers
            ):
                pass
        return refused.value

    refused = asyncio.run(connect([live.token(E1030), live.token(E1062)]))
    assert refused.response.status_code == 400
    body = json.loads(refused.response.body)
    assert body["errors"][0]["extensions"]["code"] == "DUPLICATE_AUTHORIZATION"

    async def one_token_is_fine() -> str:
        async with websockets.connect(
            live.ws,
            subprotocols=["graphql-transport-ws"],
            additional_headers=[("Authorization", f"Bearer {live.token(E1030)}")],
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": "{ me { id } }"}}))
            return str(json.loads(await ws.recv())["payload"]["data"]["me"]["id"])

    assert asyncio.run(one_token_is_fine()) == E1030


def test_the_rate_limit_counts_the_employee_not_the_token(demo_graph, demo_search, fresh_limits) -> None:  # type: ignore[no-untyped-def]
    with serve(
        demo_graph, demo_search, rate_limit_per_user="3/minute", rate_limit_per_ip="50/minute"
    ) as live:
        # two different tokens naming the same employee (different expiry → different bytes)
        a = live.token(E1030)
        b = issue_token(live.settings, E1030, ttl_s=600)
        assert a != b
        assert [post(live, [t])[0] for t in (a, b, a)] == [200, 200, 200]
        status, _, body = post(live, [b])
        assert status == 429 and body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # a made-up second token neither runs nor buys a fresh allowance
        assert post(live, [a, "made-up"])[0] == 400
        assert post(live, [a])[0] == 429
        # made-up tokens alone count against the address only: each is refused as a bad token
        status, _, body = post(live, ["made-up-1"])
        assert status == 200 and body["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
        assert post(live, [live.token(E1062)])[0] == 200  # another employee keeps their allowance

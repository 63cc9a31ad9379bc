"""Per-user and per-IP limits: over either, a 429 with Retry-After and a GraphQL-shaped error; other
users keep their own allowance; the health check is never limited; the buckets are shared by every
instance. (Minute and hour rates keep the tests independent of how fast this machine is.)"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
import redis.asyncio
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from api.ratelimit import Rate, TokenBucket
from zhiku.settings import Settings

ME = "{ me { id } }"


@pytest.fixture
def limited(demo_graph, demo_search, fresh_limits) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = Settings(
        data_dir=demo_search.directory.parent, rate_limit_per_user="3/minute", rate_limit_per_ip="5/minute"
    )
    with TestClient(create_app(settings, store=demo_graph, search=demo_search)) as client:
        yield client


def _ask(client: TestClient, who: str):  # type: ignore[no-untyped-def]
    token = issue_token(client.app.state.zhiku.settings, who)
    return client.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"})


def test_users_and_addresses_are_limited(limited: TestClient) -> None:
    assert [_ask(limited, "E1030").status_code for _ in range(3)] == [200, 200, 200]
    over = _ask(limited, "E1030")
    assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
    error = over.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED" and "频繁" in error["message"]
    # another employee has an allowance of their own, until the address runs out (5 per minute)
    assert _ask(limited, "E1031").status_code == 200
    assert _ask(limited, "E1031").status_code == 429  # the IP's 5th… and beyond
    assert limited.get("/healthz").status_code == 200  # never limited


def test_bad_limits_are_refused_at_start() -> None:
    with pytest.raises(ValueError, match="rate_limit_per_ip"):
        Settings(rate_limit_per_ip="lots")
    assert Settings(rate_limit_per_ip="").rate_limit_per_ip == ""  # off


def test_token_buckets_are_one_per_cluster(demo_graph) -> None:  # type: ignore[no-untyped-def]
    """Two instances (two clients of the embedded server) draw from the same bucket; the first
    bucket that refuses is named, with the wait until its next token."""

    async def run() -> None:
        clients = [redis.asyncio.Redis.from_url(demo_graph.kv_url) for _ in range(2)]
        try:
            buckets = [TokenBucket(c) for c in clients]
            hourly = Rate.parse("5/hour")  # refills one token per 12 minutes: no refill during the test
            user = f"user:{uuid.uuid4().hex}"
            results = [await buckets[i % 2].take([(user, hourly)]) for i in range(8)]
            assert [r[0] for r in results] == [0] * 5 + [1] * 3
            assert all(0 < wait <= 720_000 for _, wait in results[5:])
            # an address with room, then the exhausted user: the user's bucket (the 2nd) refuses
            ip = f"ip:{uuid.uuid4().hex}"
            refused, _ = await buckets[0].take([(ip, hourly), (user, hourly)])
            assert refused == 2
        finally:
            for c in clients:
                await c.aclose()

    asyncio.run(run())
    rate = Rate.parse("500/second")
    assert rate.capacity == 500 and rate.per_ms == 0.5


def test_the_request_limit_holds_across_instances(demo_graph, demo_search, fresh_limits) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(
        data_dir=demo_search.directory.parent, rate_limit_per_user="3/hour", rate_limit_per_ip="1000/second"
    )
    apps = [create_app(settings, store=demo_graph, search=demo_search) for _ in range(2)]
    with TestClient(apps[0]) as one, TestClient(apps[1]) as two:
        token = issue_token(settings, "E1030", ttl_s=3600 + 7)  # a token no other test uses
        headers = {"Authorization": f"Bearer {token}"}
        codes = [c.post("/graphql", json={"query": ME}, headers=headers).status_code for c in (one, two, one)]
        assert codes == [200, 200, 200]
        over = two.post("/graphql", json={"query": ME}, headers=headers)  # 4th, on the other instance
        assert over.status_code == 429 and int(over.headers["Retry-After"]) > 60

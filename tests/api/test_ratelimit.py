"""Per-user and per-IP limits: over either, a 429 with Retry-After and a GraphQL-shaped error; other
users keep their own allowance; the health check is never limited. (Minute windows keep the test
independent of how fast this machine is.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from zhiku.settings import Settings

ME = "{ me { id } }"


@pytest.fixture
def limited(demo_graph, demo_search) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
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

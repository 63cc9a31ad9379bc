"""A real uvicorn server on loopback serving the demo company, for tests that need real HTTP requests
and real WebSocket clients (raw headers, handshakes, close codes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from api.app import create_app
from api.auth import issue_token
from zhiku.loopback import running
from zhiku.settings import Settings


@dataclass(frozen=True)
class Live:
    base: str  # http://127.0.0.1:PORT
    settings: Settings

    @property
    def graphql(self) -> str:
        return f"{self.base}/graphql"

    @property
    def ws(self) -> str:
        return self.graphql.replace("http://", "ws://")

    def token(self, employee: str) -> str:
        return issue_token(self.settings, employee)


@contextmanager
def serve(demo_graph: Any, demo_search: Any, **overrides: Any) -> Iterator[Live]:
    """The app on a free loopback port, in a thread; stopped on exit."""
    settings = Settings(data_dir=demo_search.directory.parent, **overrides)
    with running(create_app(settings, store=demo_graph, search=demo_search)) as base:
        yield Live(base, settings)


@pytest.fixture(scope="module")
def live(demo_graph, demo_search) -> Iterator[Live]:  # type: ignore[no-untyped-def]
    with serve(demo_graph, demo_search) as server:
        yield server


def closed_as(closed: Any) -> tuple[str, int | None, str]:
    """A WebSocket close as the tests record it: ``("closed", code, reason)`` (code ``None`` when the
    server sent no close frame)."""
    return ("closed", closed.rcvd.code if closed.rcvd else None, closed.rcvd.reason if closed.rcvd else "")


def gql_as(api: Any, who: str, query: str, **variables: Any) -> dict[str, Any]:
    """POST a GraphQL request to a ``TestClient`` app as employee ``who``; the body (200 expected)."""
    token = issue_token(api.app.state.zhiku.settings, who)
    r = api.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body

"""The conformance suite on Neo4j, whenever ``NEO4J_URI`` is set (no Neo4j server can run here).

Also: a Neo4j URI that does not answer gives a clear, retryable ``GraphUnavailable`` — exercised
with the real driver against a closed port on loopback.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from graph import open_store
from zhiku.errors import GraphUnavailable
from zhiku.settings import Settings

from .conformance import GraphStoreConformance


@pytest.mark.neo4j
@pytest.mark.skipif(not os.environ.get("NEO4J_URI"), reason="set NEO4J_URI to run against a real Neo4j")
class TestNeo4j(GraphStoreConformance):
    @pytest.fixture
    def store(self) -> Iterator[Any]:
        from graph.neo4j_store import Neo4jStore

        s = Neo4jStore(
            os.environ["NEO4J_URI"],
            os.environ.get("NEO4J_USER", "neo4j"),
            os.environ.get("NEO4J_PASSWORD", ""),
            database=os.environ.get("NEO4J_DATABASE", "neo4j"),
            batch_size=7,
            versions_url=os.environ.get("ZHIKU_REDIS_URL", ""),
        )
        s.reset()
        try:
            yield s
        finally:
            s.reset()
            s.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_neo4j_gives_a_clear_retryable_error() -> None:
    settings = Settings(graph_uri=f"bolt://127.0.0.1:{_closed_port()}", graph_connect_timeout_s=2)
    with pytest.raises(GraphUnavailable) as info:
        open_store(settings)
    assert info.value.retryable
    assert "无法连接 Neo4j" in info.value.message_zh
    assert "127.0.0.1" in info.value.one_line()


def test_settings_pick_the_backend_from_the_uri() -> None:
    assert Settings(graph_uri="neo4j://db:7687").graph_backend.value == "neo4j"
    assert Settings(graph_uri="bolt+s://db:7687").graph_backend.value == "neo4j"
    assert Settings(graph_uri="falkordb://db:6379").graph_backend.value == "falkordb"
    assert Settings().graph_backend.value == "embedded"

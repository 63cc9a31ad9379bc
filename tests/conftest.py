"""Shared fixtures: a real embedded FalkorDB server per test session, a fresh graph per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.falkordb_store import FalkorDBStore
from ontology.model import Ontology, load_ontology


@pytest.fixture(scope="session")
def graph_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("zhiku-graph")


@pytest.fixture
def store(graph_dir: Path) -> Iterator[FalkorDBStore]:
    """A new, empty graph (its own key) on the session's embedded server."""
    s = FalkorDBStore.embedded(graph_dir, f"test_{uuid.uuid4().hex[:12]}", batch_size=7)
    try:
        yield s
    finally:
        s.reset()
        s.close()


@pytest.fixture(scope="session")
def onto() -> Ontology:
    return load_ontology()


def neo4j_configured() -> bool:
    return bool(os.environ.get("NEO4J_URI"))

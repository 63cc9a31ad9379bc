"""Shared fixtures: a real embedded FalkorDB server per test session, a fresh graph per test."""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.falkordb_store import FalkorDBStore
from ontology.model import Ontology, load_ontology


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``models`` need the optional extra; without it they are skipped, saying how."""
    if importlib.util.find_spec("sentence_transformers") is not None:
        return
    skip = pytest.mark.skip(
        reason="needs the optional models extra (sentence-transformers, torch): "
        "pip install 'zhiku[models]' or make test-models"
    )
    for item in items:
        if item.get_closest_marker("models") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def graph_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("zhiku-graph")


def _fresh_graph(graph_dir: Path, prefix: str, **options: int) -> Iterator[FalkorDBStore]:
    s = FalkorDBStore.embedded(graph_dir, f"{prefix}_{uuid.uuid4().hex[:12]}", **options)
    try:
        yield s
    finally:
        s.reset()
        s.close()


@pytest.fixture
def store(graph_dir: Path) -> Iterator[FalkorDBStore]:
    """A new, empty graph (its own key) on the session's embedded server."""
    yield from _fresh_graph(graph_dir, "test", batch_size=7)


@pytest.fixture(scope="session")
def onto() -> Ontology:
    return load_ontology()


def neo4j_configured() -> bool:
    return bool(os.environ.get("NEO4J_URI"))


@pytest.fixture(scope="session")
def embed_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache for the whole session: each distinct text is embedded once."""
    path = tmp_path_factory.mktemp("zhiku-embeddings") / "embeddings.sqlite"
    os.environ["ZHIKU_EMBED_CACHE"] = str(path)  # CLI subprocesses share it too
    return path


@pytest.fixture(scope="session")
def demo_graph(graph_dir: Path, onto: Ontology) -> Iterator[FalkorDBStore]:
    """The demo company with its documents ingested, shared read-only by the tests that ask for it."""
    from demo.load import demo_document_paths, load_demo
    from ingest.pipeline import Pipeline

    for s in _fresh_graph(graph_dir, "demo"):
        load_demo(s, onto)
        Pipeline(s, ontology=onto).ingest(demo_document_paths())
        yield s


@pytest.fixture(scope="session")
def e5() -> object:
    from search.embedders import E5Embedder

    return E5Embedder()


@pytest.fixture(scope="session")
def demo_search(
    demo_graph: FalkorDBStore, e5: object, embed_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[object]:
    """The demo's search index (e5 embeddings), synced once per session."""
    from search.service import SearchService

    service = SearchService(
        demo_graph,
        tmp_path_factory.mktemp("zhiku-search"),
        e5,
        cache_path=embed_cache,  # type: ignore[arg-type]
    )
    service.sync()
    yield service
    service.close()


@pytest.fixture
def fresh_limits(demo_graph: FalkorDBStore) -> Iterator[None]:
    """The chat's per-employee message counters and the request token buckets live in the shared Redis
    (the demo graph's server), across apps: a test that relies on them starts and ends with none."""
    import redis

    from api.ratelimit import BUCKET_PREFIX, CHAT_LIMIT_PREFIX

    def clear() -> None:
        with redis.Redis.from_url(demo_graph.kv_url) as kv:
            for prefix in (CHAT_LIMIT_PREFIX, BUCKET_PREFIX):
                for key in kv.scan_iter(f"{prefix}:*"):
                    kv.delete(key)

    clear()
    yield
    clear()


@pytest.fixture
def org(graph_dir: Path, onto: Ontology) -> Iterator[FalkorDBStore]:
    """The demo company's organisation and processes (no documents) in a fresh, writable graph."""
    from demo.load import load_demo

    for s in _fresh_graph(graph_dir, "org"):
        load_demo(s, onto)
        yield s


@pytest.fixture(autouse=True)
def _collect_after_each_test() -> Iterator[None]:
    """Collect garbage after every test, so an unclosed socket or file warns in the test that
    leaked it — not later, in whichever test the collector happened to run (as CI once saw)."""
    import gc

    yield
    gc.collect()

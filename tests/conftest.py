"""Shared fixtures: a real embedded FalkorDB server per test session, a fresh graph per test.

The demo company is loaded once per session (``demo_graph``, with its search index ``demo_search``)
and is read-only: its store refuses every write — content and records alike — so no test can see
what another left behind, whatever the order they run in. A test that writes (tickets, feedback,
who-read-what edges, approvals, a changed property), or drives an app that does (``ask`` records a
view), takes ``demo_copy``: the loaded demo copied with FalkorDB's ``GRAPH.COPY`` into a graph of its
own (16–40 ms measured here), deleted afterwards — no clean-up to write, none to forget. Beside it,
``copy_search`` is the demo's index bound to the copy (the ids are the same; the index files stay
shared and read-only), ``copy_search_writable`` a copy of the index files for a test that syncs it
(ingestion), and ``module_demo_copy`` one copy for a module-scoped server.
"""

from __future__ import annotations

import functools
import gc
import importlib.util
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest
import redis

from graph.base import Params, Statement
from graph.falkordb_store import FalkorDBStore
from graph.versions import CONTENT, WriteKind
from ontology.model import Ontology, load_ontology
from zhiku.types import WriteStats

if TYPE_CHECKING:
    from search.service import SearchService


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


def _fresh_graph(
    graph_dir: Path, prefix: str, cls: type[FalkorDBStore] = FalkorDBStore, **options: int
) -> Iterator[FalkorDBStore]:
    s = cls.embedded(graph_dir, f"{prefix}_{uuid.uuid4().hex[:12]}", **options)
    try:
        yield s
    finally:
        s.reset()
        s.close()


class SharedDemoWrite(AssertionError):
    """A write reached the shared, read-only demo graph: the test should use ``demo_copy``.

    An ``AssertionError`` rather than a ``ZhikuError`` so the app does not turn it into a polite
    user-facing error; and recorded too (see ``_demo_graph_stays_as_loaded``), so a write that some
    code swallows (or makes in a server thread) still fails the test that caused it."""


class ReadOnlyDemoStore(FalkorDBStore):
    """The demo's store, refusing every write once :meth:`freeze` is called.

    All of Zhiku's writes go through ``execute``, ``query_write_count`` or ``run_unit`` (the batched
    upserts and ``UnitOfWork`` call them); reads use ``GRAPH.RO_QUERY``, which the server itself
    refuses to let write. Records (``writes=RECORDS``: tickets, feedback, views, approvals) are
    refused as well: they are exactly what tests read back and count, so letting them accumulate
    here would couple the tests through the order they run in. Not covered: ``apply_schema``
    creating a missing constraint (the demo has them all, so the app's start-up creates nothing)."""

    frozen = False
    refused: list[str]

    def freeze(self) -> None:
        self.frozen = True
        self.refused = []

    def _refuse(self, what: str) -> None:
        if self.frozen:
            first_line = " ".join(what.split())[:160]
            self.refused.append(first_line)
            raise SharedDemoWrite(f"write to the shared read-only demo graph (use demo_copy): {first_line}")

    def execute(
        self, cypher: str, params: Params | None = None, *, writes: WriteKind = CONTENT
    ) -> WriteStats:
        self._refuse(cypher)
        return super().execute(cypher, params, writes=writes)

    def query_write_count(
        self, cypher: str, params: Params, stats: WriteStats, *, writes: WriteKind = CONTENT
    ) -> int:
        self._refuse(cypher)
        return super().query_write_count(cypher, params, stats, writes=writes)

    def run_unit(
        self, statements: Sequence[Statement], *, writes: WriteKind = CONTENT
    ) -> list[list[dict[str, Any]]]:
        self._refuse(" ; ".join(st.cypher for st in statements))
        return super().run_unit(statements, writes=writes)

    def reset(self) -> None:
        self.frozen = False  # the session's end deletes it
        super().reset()


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
    # ... and the ONNX e5-small, built once a session instead of once per data directory
    os.environ["ZHIKU_EMBED_MODELS_DIR"] = str(path.parent / "models")
    return path


@pytest.fixture(scope="session")
def demo_graph(graph_dir: Path, onto: Ontology) -> Iterator[FalkorDBStore]:
    """The demo company with its documents ingested, shared by the tests that ask for it and
    read-only: a write raises :class:`SharedDemoWrite` (tests that write take ``demo_copy``)."""
    from demo.load import demo_document_paths, load_demo
    from ingest.pipeline import Pipeline

    for s in _fresh_graph(graph_dir, "demo", ReadOnlyDemoStore):
        load_demo(s, onto)
        Pipeline(s, ontology=onto).ingest(demo_document_paths())
        assert isinstance(s, ReadOnlyDemoStore)
        s.freeze()
        yield s


@pytest.fixture(autouse=True)
def _demo_graph_stays_as_loaded(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test during which something tried to write to the shared demo graph — also when the
    code that tried swallowed the error (or ran in a server thread)."""
    yield
    if "demo_graph" not in request.fixturenames:
        return
    demo = request.getfixturevalue("demo_graph")
    if not isinstance(demo, ReadOnlyDemoStore):  # a module's own fixture of that name
        return
    refused, demo.refused = demo.refused, []
    if refused:
        pytest.fail("writes to the shared read-only demo graph (use demo_copy): " + " | ".join(refused))


@contextmanager
def copy_of_demo(demo: FalkorDBStore) -> Iterator[FalkorDBStore]:
    """The loaded demo graph copied (``GRAPH.COPY``) into a new graph on the same server: the same
    ids, indexes and constraints, writable, private to the caller, deleted on exit."""
    name = f"democopy_{uuid.uuid4().hex[:12]}"
    with redis.Redis.from_url(demo.kv_url) as kv:
        # GRAPH.COPY forks the server, and Redis runs one child at a time: while the embedded
        # server's periodic snapshot (BGSAVE) runs, the copy fails with "could not fork". Retry.
        for attempt in range(200):
            try:
                kv.execute_command("GRAPH.COPY", demo.graph_name, name)
                break
            except redis.ResponseError as exc:
                if "could not fork" not in str(exc) or attempt == 199:
                    raise
                time.sleep(0.05)
    assert demo.server is not None
    copy = FalkorDBStore.embedded(demo.server.graph_dir, name)
    try:
        yield copy
    finally:
        copy.reset()
        copy.close()


@functools.cache
def _shared_index_class() -> type[SearchService]:
    from search.service import SearchService

    class SharedDemoIndex(SearchService):
        """A search service over the demo's index directory: it reads the index (the chunks and
        their ids are the demo's, and so any copy's) but never changes it."""

        def sync(self, *args: Any, **kwargs: Any) -> Any:
            raise SharedDemoWrite("sync of the shared demo search index: give the test its own index")

        def rebuild(self, *args: Any, **kwargs: Any) -> Any:
            raise SharedDemoWrite("rebuild of the shared demo search index: give the test its own index")

    return SharedDemoIndex


@contextmanager
def shared_index(
    store: FalkorDBStore, directory: Path, embedder: Any, embed_cache: Path
) -> Iterator[SearchService]:
    """The demo's search index in ``directory``, read through a service bound to ``store``."""
    service = _shared_index_class()(store, directory, embedder, cache_path=embed_cache)
    try:
        yield service
    finally:
        service.close()


@contextmanager
def index_over(
    store: FalkorDBStore, demo_search: SearchService, embed_cache: Path
) -> Iterator[SearchService]:
    """The demo's search index bound to ``store`` (a copy of the demo), so what the app writes beside
    its searches — who read what (``Recommender`` reads and writes ``search.store``), tickets —
    lands in the copy. The index files are shared and stay read-only."""
    with shared_index(store, demo_search.directory, demo_search.embedder, embed_cache) as service:
        yield service


@pytest.fixture
def demo_copy(demo_graph: FalkorDBStore) -> Iterator[FalkorDBStore]:
    """A private, writable copy of the loaded demo graph for one test (see :func:`copy_of_demo`)."""
    with copy_of_demo(demo_graph) as copy:
        yield copy


@pytest.fixture
def copy_search(demo_copy: FalkorDBStore, demo_search: Any, embed_cache: Path) -> Iterator[Any]:
    """The demo's search index, bound to this test's ``demo_copy`` (see :func:`index_over`)."""
    with index_over(demo_copy, demo_search, embed_cache) as service:
        yield service


@pytest.fixture
def copy_search_writable(
    demo_copy: FalkorDBStore, demo_search: Any, embed_cache: Path, tmp_path: Path
) -> Iterator[Any]:
    """A writable copy of the demo's search index (its files copied), bound to ``demo_copy``: for a
    test that syncs the index (ingestion)."""
    from search.service import SearchService

    directory = tmp_path / "search"
    shutil.copytree(demo_search.directory, directory, ignore=shutil.ignore_patterns(".lock"))
    service = SearchService(demo_copy, directory, demo_search.embedder, cache_path=embed_cache)
    try:
        yield service
    finally:
        service.close()


class DemoCopy(NamedTuple):
    store: FalkorDBStore
    search: Any  # SearchService


@pytest.fixture(scope="module")
def module_demo_copy(demo_graph: FalkorDBStore, demo_search: Any, embed_cache: Path) -> Iterator[DemoCopy]:
    """One copy of the demo (and its index bound to it) for a whole module, for module-scoped servers
    whose tests write: the module's tests share it, so each asserts on what it wrote itself."""
    with copy_of_demo(demo_graph) as store, index_over(store, demo_search, embed_cache) as search:
        yield DemoCopy(store, search)


@pytest.fixture(scope="session")
def e5(embed_cache: Path) -> object:
    """e5-small as a server runs it by default (ONNX Runtime, built into the session's models dir)."""
    from search.embedders import load_embedder

    return load_embedder("e5-small", models_dir=embed_cache.parent / "models")


@pytest.fixture(scope="session")
def demo_search(
    demo_graph: FalkorDBStore, e5: object, embed_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[object]:
    """The demo's search index (e5 embeddings), synced once per session, then read-only: ``sync``
    raises :class:`SharedDemoWrite` (a test that changes the index builds its own)."""
    from search.service import SearchService

    directory = tmp_path_factory.mktemp("zhiku-search")
    building = SearchService(demo_graph, directory, e5, cache_path=embed_cache)  # type: ignore[arg-type]
    try:
        building.sync()
    finally:
        building.close()
    with shared_index(demo_graph, directory, e5, embed_cache) as service:
        yield service


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


@pytest.fixture(scope="module", autouse=True)
def _collect_everything_after_each_module() -> Iterator[None]:
    """A full collection once a module is done: what its module-scoped fixtures left in a cycle is
    freed (and an unclosed socket among it warns) within the module that made it."""
    yield
    gc.unfreeze()
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _collect_after_each_test() -> Iterator[None]:
    """Collect garbage after every test, so an unclosed socket or file warns in the test that
    leaked it — not later, in whichever test the collector happened to run (as CI once saw).

    What survives a test is frozen (``gc.freeze``): the next collection looks only at what the next
    test allocates. A full collection over the whole heap (the demo, the model, jieba's and the
    tokenizer's tables: 350,000–550,000 objects) took 0.3–0.7 s, after each of ~1,100 tests — five
    to six minutes of ``make test`` on two cores. Objects are still freed by reference counting as
    usual; only cycles among frozen objects wait for the module's full collection."""
    yield
    gc.collect()
    gc.freeze()

"""The ``GraphStore`` contract every backend implements, and the batched writes built on it.

Backends: :mod:`graph.falkordb_store` (embedded default, or a running FalkorDB) and
:mod:`graph.neo4j_store` (Neo4j through the official driver). Differences in Cypher text live in
:mod:`graph.dialect`; everything else is written once, here.

Example::

    from graph import open_store
    with open_store(settings) as store:
        store.upsert_nodes([NodeRecord("E1001", ("Employee",), {"name": "张伟"})])
        rows = store.query(queries.load("entity_by_id").text, {"id": "E1001"})
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, Self, runtime_checkable

from graph.dialect import Dialect
from graph.versions import CONTENT, DataVersions, WriteKind
from queries import load as load_query
from zhiku.settings import GRAPH_BATCH_SIZE
from zhiku.types import RESOURCE_LABEL, EdgeRecord, GraphSchema, NodeRecord, WriteStats, check_identifier

Params = Mapping[str, Any]


@dataclass(slots=True)
class Statement:
    """One parameterised Cypher statement inside a unit of work."""

    cypher: str
    params: Params = field(default_factory=dict)


class UnitOfWork:
    """Statements collected in a ``with`` block and committed together when it exits cleanly.

    Nothing is sent before the block ends, so an exception inside it discards everything. On commit,
    the backend runs all statements as one unit: Neo4j in one transaction (rolled back on any error);
    FalkorDB compiles every statement first (a syntax error or unknown function aborts before anything
    runs) and then runs them in one MULTI/EXEC block that no other client interleaves. FalkorDB has no
    rollback, so a *runtime* failure of statement k leaves statements before k applied: write with
    MERGE so a retry converges. ``results`` holds each statement's rows after commit. ``writes`` says
    what the statements change (see :mod:`graph.versions`).
    """

    def __init__(self, store: GraphStore, *, writes: WriteKind = CONTENT) -> None:
        self._store = store
        self._writes = writes
        self.statements: list[Statement] = []
        self.results: list[list[dict[str, Any]]] = []

    def run(self, cypher: str, params: Params | None = None) -> None:
        self.statements.append(Statement(cypher, dict(params or {})))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None and self.statements:
            self.results = self._store.run_unit(self.statements, writes=self._writes)


@runtime_checkable
class GraphStore(Protocol):
    """What Zhiku needs from a property-graph database."""

    backend: str
    dialect: Dialect
    #: How many times the store lost its server and reconnected. A multi-step write compares it before
    #: and after: a server that came back from its last snapshot may have lost the earlier steps.
    reconnects: int
    #: Version tokens every write changes (``None``: this store has no Redis beside it, no caching).
    versions: DataVersions | None

    def query(self, cypher: str, params: Params | None = None) -> list[dict[str, Any]]:
        """Run a read-only query; rows map column names to values (nodes as property maps)."""
        ...

    def execute(
        self, cypher: str, params: Params | None = None, *, writes: WriteKind = CONTENT
    ) -> WriteStats:
        """Run a write query and return its counters; ``writes`` says what it changes (see
        :mod:`graph.versions`): a write only to people's records may say ``RECORDS``."""
        ...

    def run_unit(
        self, statements: Sequence[Statement], *, writes: WriteKind = CONTENT
    ) -> list[list[dict[str, Any]]]:
        """Run statements as one unit of work (see :class:`UnitOfWork`)."""
        ...

    def query_write_count(
        self, cypher: str, params: Params, stats: WriteStats, *, writes: WriteKind = CONTENT
    ) -> int:
        """Run a write returning ``count(*) AS n``; add its counters to ``stats``; return n."""
        ...

    def apply_schema(self, schema: GraphSchema) -> list[str]:
        """Create the indexes and constraints that do not exist yet; return what was created."""
        ...

    def health(self) -> dict[str, Any]:
        """Whether the store answers, and how fast; never raises."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...

    # Batched writes, shared by all backends through BatchWriter below.
    def upsert_nodes(self, records: Iterable[NodeRecord]) -> WriteStats: ...

    def upsert_relationships(self, records: Iterable[EdgeRecord]) -> WriteStats: ...

    def delete_nodes(self, ids: Iterable[str]) -> WriteStats: ...


def _batches[T](items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class BatchWriter:
    """Mixin: idempotent ``UNWIND $rows … MERGE`` upserts in batches, written once for every backend.

    The Cypher comes from ``queries/upsert_nodes.cypher`` and ``queries/upsert_relationships.cypher``;
    only checked identifiers (labels, relationship types) are substituted into it.
    """

    batch_size: int = GRAPH_BATCH_SIZE
    backend: str = ""
    location: str = ""
    is_embedded: bool = False
    versions: DataVersions | None = None

    def _call[T](self, fn: Callable[[], T]) -> T:  # pragma: no cover - each backend implements it
        """Run ``fn`` against the database, turning driver errors into Zhiku's."""
        raise NotImplementedError

    def _wrote(self, kind: WriteKind) -> None:
        """Change the version token caches compare (see :mod:`graph.versions`)."""
        if self.versions is not None:
            self.versions.bump(kind)

    def _write[T](self, fn: Callable[[], T], writes: WriteKind) -> T:
        """Run a write through :meth:`_call`; change the version token after it — also when it
        failed, as it may have partly applied (FalkorDB has no rollback)."""
        try:
            return self._call(fn)
        finally:
            self._wrote(writes)

    def close(self) -> None:  # pragma: no cover - each backend implements it
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def health(self) -> dict[str, Any]:
        """Whether the store answers a trivial query, and how fast; never raises."""
        start = time.perf_counter()
        try:
            self.query("RETURN 1 AS ok")
        except Exception as exc:  # health never raises
            return {"ok": False, "backend": self.backend, "location": self.location, "error": str(exc)}
        return {
            "ok": True,
            "backend": self.backend,
            "location": self.location,
            "embedded": self.is_embedded,
            "latency_ms": round((time.perf_counter() - start) * 1000, 2),
        }

    def execute(
        self, cypher: str, params: Params | None = None, *, writes: WriteKind = CONTENT
    ) -> WriteStats:  # pragma: no cover
        raise NotImplementedError

    def query(self, cypher: str, params: Params | None = None) -> list[dict[str, Any]]:  # pragma: no cover
        raise NotImplementedError

    def upsert_nodes(self, records: Iterable[NodeRecord]) -> WriteStats:
        """MERGE nodes by id; ``SET n += props`` (a ``None`` value removes that property)."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for rec in records:
            labels = tuple(sorted({check_identifier(lb) for lb in rec.labels} - {RESOURCE_LABEL}))
            for prop in rec.properties:
                check_identifier(prop)
            groups[labels].append({"id": rec.id, "props": dict(rec.properties)})
        template = load_query("upsert_nodes")
        stats = WriteStats()
        for labels, rows in groups.items():
            set_labels = "SET n" + "".join(f":`{lb}`" for lb in labels) if labels else ""
            cypher = template.render(set_labels=set_labels)
            for batch in _batches(rows, self.batch_size):
                stats += self.execute(cypher, {"rows": list(batch)})
        return stats

    def upsert_relationships(self, records: Iterable[EdgeRecord]) -> WriteStats:
        """MERGE one relationship per (start, type, end); endpoints must exist (else ``unmatched``)."""
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for rec in records:
            for prop in rec.properties:
                check_identifier(prop)
            groups[check_identifier(rec.type)].append(
                {"start": rec.start, "end": rec.end, "props": dict(rec.properties)}
            )
        template = load_query("upsert_relationships")
        stats = WriteStats()
        for rel_type, rows in groups.items():
            cypher = template.render(type=f":`{rel_type}`")
            for batch in _batches(rows, self.batch_size):
                merged = self.query_write_count(cypher, {"rows": list(batch)}, stats)
                stats.unmatched += len(batch) - merged
        return stats

    def query_write_count(
        self, cypher: str, params: Params, stats: WriteStats, *, writes: WriteKind = CONTENT
    ) -> int:
        """Run a write that returns ``count(*) AS n``; add its counters to ``stats``; return n."""
        raise NotImplementedError  # pragma: no cover - each backend implements it

    def delete_nodes(self, ids: Iterable[str]) -> WriteStats:
        """DETACH DELETE nodes by id (their relationships go with them)."""
        cypher = load_query("delete_nodes").text
        stats = WriteStats()
        id_list = list(ids)
        for batch in _batches(id_list, self.batch_size):
            stats += self.execute(cypher, {"ids": list(batch)})
        return stats

"""``GraphStore`` on FalkorDB: the embedded default (falkordblite) or a running FalkorDB server.

Example::

    store = FalkorDBStore.embedded(Path(".zhiku/graph"))
    store.upsert_nodes([NodeRecord("D01", ("Department",), {"name": "人力资源部"})])
    store.close()
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote, unquote, urlparse

import falkordb
import redis
from falkordb.edge import Edge
from falkordb.node import Node
from falkordb.path import Path as FalkorPath
from falkordb.query_result import QueryResult

from graph.base import BatchWriter, Params, Statement
from graph.dialect import Dialect, FalkorDialect
from graph.embedded import EmbeddedServer
from graph.kv import sentinel_url, tls_options
from graph.supervisor import CLIENT_PREFIX
from graph.versions import CONTENT, DataVersions, WriteKind
from queries import load as load_query
from zhiku.errors import GraphError, GraphUnavailable
from zhiku.logs import redact_url
from zhiku.settings import GRAPH_BATCH_SIZE
from zhiku.types import GraphSchema, WriteStats

_TRANSIENT = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError, ConnectionError)


def _plain(value: Any) -> Any:
    """Nodes and edges become property maps, paths lists of them (the same shape Neo4j's .data() gives)."""
    if isinstance(value, Node | Edge):
        return dict(value.properties)
    if isinstance(value, FalkorPath):
        return [_plain(n) for n in value.nodes()]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _stats(result: Any) -> WriteStats:
    return WriteStats(
        nodes_created=int(result.nodes_created),
        nodes_deleted=int(result.nodes_deleted),
        relationships_created=int(result.relationships_created),
        relationships_deleted=int(result.relationships_deleted),
        properties_set=int(result.properties_set),
        labels_added=int(result.labels_added),
    )


def _rows(result: Any) -> list[dict[str, Any]]:
    names = [col[1] for col in result.header]
    return [dict(zip(names, (_plain(v) for v in row), strict=True)) for row in result.result_set]


class FalkorDBStore(BatchWriter):
    """FalkorDB through falkordb-py; reconnects (and restarts the embedded server) once on failure."""

    backend = "falkordb"
    reconnects = 0
    dialect: Dialect = FalkorDialect()

    def __init__(
        self,
        connect: Callable[[], falkordb.FalkorDB],
        graph_name: str,
        *,
        server: EmbeddedServer | None = None,
        batch_size: int = GRAPH_BATCH_SIZE,
        location: str = "",
        kv_url: str = "",
    ) -> None:
        self._connect = connect
        self.kv_url = kv_url  # the same server as a plain Redis (events, caches): see graph.kv
        self.graph_name = graph_name
        self.server = server
        self.batch_size = batch_size
        self.location = location
        self.is_embedded = server is not None
        self._db: falkordb.FalkorDB | None = None
        self._graph: Any = None
        self._opened = 0  # connections opened so far: tells a failed call whether someone reconnected
        self._reconnecting = threading.Lock()
        #: (text, parameter names) of unit-of-work statements that compiled once: not EXPLAINed again
        self._compiled: set[tuple[str, frozenset[str]]] = set()
        self._open()
        # FalkorDB is a Redis module: the version tokens live on the same server as the graph.
        self.versions = DataVersions(self._redis, graph_name)

    def _redis(self) -> redis.Redis:
        if self._db is None:
            self._open()
        assert self._db is not None
        return self._db.connection  # type: ignore[no-any-return]

    def _wrote(self, kind: WriteKind) -> None:
        # on the graph's own server: a dropped connection reconnects as for any other call
        bump = super()._wrote
        self._call(lambda: bump(kind))

    @classmethod
    def embedded(
        cls,
        graph_dir: Path,
        graph_name: str = "zhiku",
        *,
        start_timeout_s: float = 20.0,
        idle_shutdown_s: float = 3.0,
        snapshot_s: int = 5,
        batch_size: int = GRAPH_BATCH_SIZE,
    ) -> Self:
        """Open (starting if needed) the embedded server of ``graph_dir``."""
        server = EmbeddedServer(
            graph_dir, start_timeout_s=start_timeout_s, idle_shutdown_s=idle_shutdown_s, snapshot_s=snapshot_s
        )

        def connect() -> falkordb.FalkorDB:
            socket_path = server.ensure_running()
            return falkordb.FalkorDB(
                unix_socket_path=str(socket_path), client_name=f"{CLIENT_PREFIX}{os.getpid()}"
            )

        return cls(
            connect,
            graph_name,
            server=server,
            batch_size=batch_size,
            location=str(graph_dir),
            kv_url=f"unix://{server.socket_path}",
        )

    @classmethod
    def remote(
        cls,
        uri: str,
        graph_name: str,
        *,
        password: str = "",
        timeout_s: float = 5.0,
        batch_size: int = GRAPH_BATCH_SIZE,
    ) -> Self:
        """Connect to a running FalkorDB: ``falkordb://[:password@]host:port``, ``unix:///path``, or
        over TLS ``rediss://host:port?ssl_ca_certs=/path/ca.pem`` (TLS 1.3; :func:`graph.kv.tls_options`)."""
        parsed = urlparse(uri)

        def connect() -> falkordb.FalkorDB:
            common: dict[str, Any] = {
                "password": unquote(parsed.password or "") or password or None,
                "socket_connect_timeout": timeout_s,
                "client_name": f"{CLIENT_PREFIX}{os.getpid()}",
            }
            if parsed.scheme == "rediss":  # redis-py reads the TLS options from the URL's query
                return falkordb.FalkorDB.from_url(uri, **common, **tls_options(uri))
            if parsed.scheme == "unix":
                return falkordb.FalkorDB(unix_socket_path=parsed.path, **common)
            return falkordb.FalkorDB(host=parsed.hostname or "localhost", port=parsed.port or 6379, **common)

        scheme = "rediss" if parsed.scheme == "rediss" else "redis"
        kv_url = uri if parsed.scheme == "unix" else parsed._replace(scheme=scheme).geturl()
        store = cls(connect, graph_name, batch_size=batch_size, location=redact_url(uri), kv_url=kv_url)
        # A URI naming a Redis Sentinel: falkordb-py follows the primary it names (a failover needs no
        # restart); the events, caches and limits follow it too (bench/failover.py measures it).
        service = getattr(store._db, "service_name", None)
        if service:
            netloc = parsed.netloc
            if password and not parsed.password:  # ZHIKU_GRAPH_PASSWORD: the Sentinel's and the primary's
                netloc = f":{quote(password)}@{netloc}"
            store.kv_url = sentinel_url(netloc, str(service))
        return store

    # -- connection -----------------------------------------------------------------------------

    def _open(self) -> None:
        try:
            self._db = self._connect()
            self._graph = self._db.select_graph(self.graph_name)
            self._opened += 1
            if not self._db.connection.exists(self.graph_name):
                # Reads on a graph key that does not exist yet fail in FalkorDB ("empty key"), so
                # create the graph — with a write that reaches the append-only log. A non-writing
                # query also creates the key but is not logged; replaying later commands against
                # that key (GRAPH.DELETE, constraints) then diverges and crashed FalkorDB 4.22.
                try:
                    self._graph.query(load_query("ensure_graph").text)
                except redis.exceptions.ResponseError as exc:
                    # another process opening the same graph at the same moment created it first
                    if "already indexed" not in str(exc):
                        raise
        except _TRANSIENT as exc:
            raise GraphUnavailable(
                f"无法连接图数据库 FalkorDB（{self.location}）：{exc}",
                f"cannot reach FalkorDB at {self.location}: {exc}",
                hint="检查 ZHIKU_GRAPH_URI，或改用默认的嵌入式数据库 / check ZHIKU_GRAPH_URI",
            ) from None

    def _call[T](self, fn: Callable[[], T]) -> T:
        """Run one call; on a dropped connection reconnect (restarting the embedded server) and retry once.

        Safe from several threads (the API runs store calls in a worker pool): redis-py's connection
        pool hands each concurrent call its own socket, and the calls that fail together reconnect
        once — the first to take the lock does it, the others retry on its connection."""
        opened = self._opened
        try:
            return self._with_errors(fn)
        except GraphUnavailable:
            with self._reconnecting:
                if self._opened == opened:  # nobody reconnected since this call began
                    self._reopen()
            return self._with_errors(fn)

    def _reopen(self) -> None:
        """A new connection pool, restarting the embedded server if it is gone. The dead pool's idle
        sockets are dropped first; sockets that other threads' calls still hold are left to them
        (closing a socket under a running call breaks redis-py) and go with the old pool."""
        if self._db is not None:
            with contextlib.suppress(redis.RedisError):
                self._db.connection.connection_pool.disconnect(inuse_connections=False)
        self._open()
        self.reconnects += 1

    def _with_errors[T](self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except _TRANSIENT as exc:
            raise GraphUnavailable(
                f"图数据库连接中断：{exc}", f"graph database connection lost: {exc}"
            ) from None
        except redis.ResponseError as exc:
            raise GraphError(f"图查询失败：{exc}", f"graph query failed: {exc}") from None

    # -- GraphStore -----------------------------------------------------------------------------

    def query(self, cypher: str, params: Params | None = None) -> list[dict[str, Any]]:
        result = self._call(lambda: self._graph.ro_query(cypher, dict(params or {})))
        return _rows(result)

    def execute(
        self, cypher: str, params: Params | None = None, *, writes: WriteKind = CONTENT
    ) -> WriteStats:
        return _stats(self._write(lambda: self._graph.query(cypher, dict(params or {})), writes))

    def query_write_count(
        self, cypher: str, params: Params, stats: WriteStats, *, writes: WriteKind = CONTENT
    ) -> int:
        result = self._write(lambda: self._graph.query(cypher, dict(params)), writes)
        stats += _stats(result)
        return int(result.result_set[0][0]) if result.result_set else 0

    def run_unit(
        self, statements: Sequence[Statement], *, writes: WriteKind = CONTENT
    ) -> list[list[dict[str, Any]]]:
        def run() -> list[list[dict[str, Any]]]:
            # Compile everything first: a syntax error, an unknown function or a missing parameter aborts
            # before any write. What compiled once compiles again (the same text and parameter names):
            # the approvals month simulation spent a sixth of its time in these EXPLAINs.
            for st in statements:
                shape = (st.cypher, frozenset(st.params))
                if shape not in self._compiled:
                    self._graph.explain(st.cypher, dict(st.params))
                    self._compiled.add(shape)
            assert self._db is not None
            pipe = self._db.connection.pipeline(transaction=True)
            for st in statements:
                # falkordb-py's own parameter encoder (the CYPHER k=v header), then the raw command so
                # all statements travel in one MULTI/EXEC.
                text = self._graph._build_params_header(dict(st.params)) + st.cypher
                pipe.execute_command("GRAPH.QUERY", self.graph_name, text, "--compact")
            return [_rows(QueryResult(self._graph, raw)) for raw in pipe.execute()]

        return self._write(run, writes)

    def apply_schema(self, schema: GraphSchema) -> list[str]:
        existing_idx = {
            (row["label"], prop)
            for row in self._query_graph("CALL db.indexes() YIELD label, properties RETURN label, properties")
            for prop in row["properties"]
        }
        existing_unique = {
            (row["label"], prop)
            for row in self._query_graph(
                "CALL db.constraints() YIELD type, label, properties RETURN type, label, properties"
            )
            if row["type"] == "UNIQUE"
            for prop in row["properties"]
        }
        created: list[str] = []
        for spec in schema.indexes:
            for op in self.dialect.index_ops(spec, self.graph_name):
                key = (spec.label, spec.property)
                try:
                    if op.kind == "cypher":
                        if key in existing_idx:
                            continue
                        self.execute(op.text)
                        existing_idx.add(key)
                    else:
                        if key in existing_unique:
                            continue
                        conn = self._db.connection if self._db is not None else None
                        if conn is None:  # pragma: no cover - _open guarantees a connection
                            raise GraphUnavailable("图数据库未连接", "graph database not connected")
                        self._call(functools.partial(conn.execute_command, op.text, *op.args))
                        existing_unique.add(key)
                except GraphError as exc:
                    # `zhiku serve --workers N` on a new graph: another worker created it just now
                    if "already" not in exc.message_en:
                        raise
                    continue
                created.append(op.description)
        self._wait_constraints()
        return created

    def _query_graph(self, cypher: str) -> list[dict[str, Any]]:
        """A read that treats a graph that does not exist yet (no write so far) as empty."""
        try:
            return self.query(cypher)
        except GraphError as exc:
            if "empty key" in str(exc):
                return []
            raise

    def _wait_constraints(self, timeout_s: float = 30.0) -> None:
        """FalkorDB builds constraints in the background; wait until none is pending."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            rows = self._query_graph("CALL db.constraints() YIELD status RETURN status")
            if all(r["status"] == "OPERATIONAL" for r in rows):
                return
            failed = [r for r in rows if r["status"] == "FAILED"]
            if failed:
                raise GraphError(
                    "唯一性约束创建失败：已有重复数据",
                    "a uniqueness constraint failed: duplicate data exists",
                )
            time.sleep(0.05)

    def reset(self) -> None:
        """Delete the whole graph (nodes, relationships, indexes, constraints)."""
        try:
            self._call(lambda: self._graph.delete())
        except GraphError as exc:
            if "empty key" not in str(exc) and "Invalid graph operation" not in str(exc):
                raise
        self._wrote(CONTENT)

    def close(self) -> None:
        if self._db is not None:
            try:
                self._db.connection.connection_pool.disconnect()
                self._db.connection.close()
            except redis.RedisError:
                pass
            self._db = None

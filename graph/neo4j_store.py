"""``GraphStore`` on Neo4j through the official ``neo4j`` driver (Bolt).

Chosen with ``ZHIKU_GRAPH_URI=neo4j://host:7687`` (or ``bolt://``); user, password and database
come from settings. Exercised by the conformance suite whenever ``NEO4J_URI`` is set.

Example::

    store = Neo4jStore("neo4j://localhost:7687", "neo4j", "secret", database="neo4j")
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import neo4j
import redis
from neo4j import GraphDatabase, RoutingControl
from neo4j.exceptions import AuthError, ClientError, DriverError, Neo4jError, ServiceUnavailable

from graph.base import BatchWriter, Params, Statement
from graph.dialect import Dialect, Neo4jDialect
from graph.kv import tls_options
from graph.versions import CONTENT, DataVersions, WriteKind
from zhiku.errors import ConfigError, GraphError, GraphUnavailable
from zhiku.logs import redact_url
from zhiku.settings import GRAPH_BATCH_SIZE
from zhiku.types import GraphSchema, WriteStats


def _stats(counters: Any) -> WriteStats:
    return WriteStats(
        nodes_created=counters.nodes_created,
        nodes_deleted=counters.nodes_deleted,
        relationships_created=counters.relationships_created,
        relationships_deleted=counters.relationships_deleted,
        properties_set=counters.properties_set,
        labels_added=counters.labels_added,
    )


class Neo4jStore(BatchWriter):
    """Neo4j 5; transactions are real (a failed unit of work rolls back entirely)."""

    backend = "neo4j"
    reconnects = 0  # the driver retries inside transactions; a committed write is durable
    dialect: Dialect = Neo4jDialect()

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        *,
        database: str = "neo4j",
        timeout_s: float = 5.0,
        batch_size: int = GRAPH_BATCH_SIZE,
        versions_url: str = "",
    ) -> None:
        """``versions_url``: the Redis that holds the data version tokens (``ZHIKU_REDIS_URL``);
        without one, writes change no token and the API's response cache stays off."""
        self.uri = uri
        self._versions_client = (
            redis.Redis.from_url(versions_url, **tls_options(versions_url)) if versions_url else None
        )
        if self._versions_client is not None:
            client = self._versions_client
            self.versions = DataVersions(lambda: client, database)
        self.database = database
        self.batch_size = batch_size
        self.location = redact_url(f"{uri}/{database}")
        try:
            self._driver = GraphDatabase.driver(
                uri, auth=(user, password), connection_timeout=timeout_s, max_transaction_retry_time=timeout_s
            )
        except ValueError as exc:
            raise ConfigError(f"Neo4j 地址无效：{uri}（{exc}）", f"invalid Neo4j URI {uri}: {exc}") from None
        try:
            self._driver.verify_connectivity()
        except AuthError:
            self._driver.close()
            raise ConfigError(
                f"Neo4j 拒绝了用户名或密码（{uri}）",
                f"Neo4j rejected the credentials for {uri}",
                hint="检查 ZHIKU_GRAPH_USER / ZHIKU_GRAPH_PASSWORD",
            ) from None
        except (ServiceUnavailable, DriverError, OSError) as exc:
            self._driver.close()
            raise GraphUnavailable(
                f"无法连接 Neo4j（{uri}）：{exc}",
                f"cannot reach Neo4j at {uri}: {exc}",
                hint="确认 Neo4j 已启动且地址正确，或删除 ZHIKU_GRAPH_URI 使用嵌入式数据库",
            ) from None

    def _call[T](self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except ServiceUnavailable as exc:
            raise GraphUnavailable(f"Neo4j 不可用：{exc}", f"Neo4j unavailable: {exc}") from None
        except (Neo4jError, DriverError) as exc:
            raise GraphError(f"图查询失败：{exc}", f"graph query failed: {exc}") from None

    def query(self, cypher: str, params: Params | None = None) -> list[dict[str, Any]]:
        records, _, _ = self._call(
            lambda: self._driver.execute_query(
                cypher, dict(params or {}), database_=self.database, routing_=RoutingControl.READ
            )
        )
        return [r.data() for r in records]

    def _wrote(self, kind: WriteKind) -> None:
        try:
            super()._wrote(kind)
        except redis.RedisError as exc:
            raise GraphUnavailable(
                f"写入后无法更新数据版本（Redis）：{exc}",
                f"cannot change the data version in Redis: {exc}",
            ) from None

    def execute(
        self, cypher: str, params: Params | None = None, *, writes: WriteKind = CONTENT
    ) -> WriteStats:
        _, summary, _ = self._write(
            lambda: self._driver.execute_query(cypher, dict(params or {}), database_=self.database), writes
        )
        return _stats(summary.counters)

    def query_write_count(
        self, cypher: str, params: Params, stats: WriteStats, *, writes: WriteKind = CONTENT
    ) -> int:
        records, summary, _ = self._write(
            lambda: self._driver.execute_query(cypher, dict(params), database_=self.database), writes
        )
        stats += _stats(summary.counters)
        return int(records[0]["n"]) if records else 0

    def run_unit(
        self, statements: Sequence[Statement], *, writes: WriteKind = CONTENT
    ) -> list[list[dict[str, Any]]]:
        def work(tx: neo4j.ManagedTransaction) -> list[list[dict[str, Any]]]:
            return [tx.run(st.cypher, dict(st.params)).data() for st in statements]

        def run() -> list[list[dict[str, Any]]]:
            with self._driver.session(database=self.database) as session:
                return session.execute_write(work)

        return self._write(run, writes)

    def apply_schema(self, schema: GraphSchema) -> list[str]:
        before = {r["name"] for r in self.query("SHOW INDEXES YIELD name RETURN name")}
        created = []
        for spec in schema.indexes:
            for op in self.dialect.index_ops(spec, self.database):
                name = op.text.split()[2]  # CREATE CONSTRAINT|INDEX <name> IF NOT EXISTS …
                try:
                    self.execute(op.text)
                except GraphError as exc:
                    if not isinstance(exc.__cause__, ClientError):
                        raise
                if name not in before:
                    created.append(op.description)
        self._call(lambda: self._driver.execute_query("CALL db.awaitIndexes(60)", database_=self.database))
        return created

    def reset(self) -> None:
        """Delete every node and relationship, then every index and constraint."""
        self.execute("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
        for row in self.query("SHOW CONSTRAINTS YIELD name RETURN name"):
            self.execute(f"DROP CONSTRAINT `{row['name']}` IF EXISTS")
        for row in self.query("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name"):
            self.execute(f"DROP INDEX `{row['name']}` IF EXISTS")

    def close(self) -> None:
        self._driver.close()
        if self._versions_client is not None:
            self._versions_client.close()

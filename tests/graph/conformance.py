"""One conformance suite for every ``GraphStore`` backend.

A backend's test module subclasses :class:`GraphStoreConformance` and provides a ``store`` fixture
yielding an empty store. The embedded FalkorDB runs it always; Neo4j whenever ``NEO4J_URI`` is set.
"""

from __future__ import annotations

from typing import Any

import pytest

from graph.base import UnitOfWork
from graph.versions import RECORDS
from queries import load
from zhiku.errors import GraphError, InvalidIdentifier
from zhiku.types import EdgeRecord, GraphSchema, IndexSpec, NodeRecord


def _count(store: Any, cypher: str, params: dict[str, Any] | None = None) -> int:
    return int(store.query(cypher, params or {})[0]["c"])


def _people(n: int) -> list[NodeRecord]:
    return [
        NodeRecord(f"E{i:04d}", ("Employee",), {"name": f"员工{i}", "level": i % 12 + 1}) for i in range(n)
    ]


class GraphStoreConformance:
    def test_upsert_nodes_creates_then_is_idempotent(self, store: Any) -> None:
        first = store.upsert_nodes(_people(30))  # batch size 7 in the fixture: several batches
        second = store.upsert_nodes(_people(30))
        assert first.nodes_created == 30
        assert second.nodes_created == 0
        assert _count(store, "MATCH (n:Employee) RETURN count(n) AS c") == 30
        assert _count(store, "MATCH (n:Resource) RETURN count(n) AS c") == 30

    def test_upsert_merges_properties_and_none_removes_one(self, store: Any) -> None:
        store.upsert_nodes([NodeRecord("E1", ("Employee",), {"name": "张伟", "email": "a@b.cn"})])
        store.upsert_nodes([NodeRecord("E1", ("Employee",), {"level": 5, "email": None})])
        row = store.query(load("entity_by_id").text, {"id": "E1"})[0]
        assert row["properties"]["name"] == "张伟"
        assert row["properties"]["level"] == 5
        assert "email" not in row["properties"]

    def test_upsert_adds_labels_without_duplicating_the_node(self, store: Any) -> None:
        store.upsert_nodes([NodeRecord("L1", ("Benefit",), {"name": "年假"})])
        store.upsert_nodes([NodeRecord("L1", ("LeaveType", "Benefit"), {})])
        row = store.query(load("entity_by_id").text, {"id": "L1"})[0]
        assert set(row["labels"]) == {"Resource", "Benefit", "LeaveType"}
        assert _count(store, "MATCH (n:Resource {id: 'L1'}) RETURN count(n) AS c") == 1

    def test_text_with_quotes_newlines_and_chinese_round_trips(self, store: Any) -> None:
        tricky = '报销"超过"5000元\'需要\n财务总监\\审批 — ✓'
        store.upsert_nodes([NodeRecord("T1", ("Topic",), {"name": tricky, "aliases": ["甲", "乙"]})])
        row = store.query("MATCH (n:Resource {id: $id}) RETURN n.name AS name, n.aliases AS a", {"id": "T1"})[
            0
        ]
        assert row == {"name": tricky, "a": ["甲", "乙"]}

    def test_upsert_relationships_is_idempotent_and_counts_missing_endpoints(self, store: Any) -> None:
        store.upsert_nodes(_people(3))
        edges = [EdgeRecord("E0001", "REPORTS_TO", "E0000"), EdgeRecord("E0002", "REPORTS_TO", "E0000")]
        first = store.upsert_relationships([*edges, EdgeRecord("E0001", "REPORTS_TO", "NOPE")])
        second = store.upsert_relationships(edges)
        assert first.relationships_created == 2
        assert first.unmatched == 1
        assert second.relationships_created == 0
        assert second.unmatched == 0
        assert _count(store, "MATCH ()-[r:REPORTS_TO]->() RETURN count(r) AS c") == 2

    def test_relationship_properties_are_merged(self, store: Any) -> None:
        store.upsert_nodes(_people(2))
        store.upsert_relationships([EdgeRecord("E0001", "REPORTS_TO", "E0000", {"since": 2020})])
        store.upsert_relationships([EdgeRecord("E0001", "REPORTS_TO", "E0000", {"acting": True})])
        rows = store.query("MATCH ()-[r:REPORTS_TO]->() RETURN r.since AS since, r.acting AS acting")
        assert rows == [{"since": 2020, "acting": True}]

    def test_delete_nodes_removes_their_relationships(self, store: Any) -> None:
        store.upsert_nodes(_people(3))
        store.upsert_relationships([EdgeRecord("E0001", "REPORTS_TO", "E0000")])
        stats = store.delete_nodes(["E0000"])
        assert stats.nodes_deleted == 1
        assert stats.relationships_deleted == 1
        assert _count(store, "MATCH (n:Resource) RETURN count(n) AS c") == 2

    def test_unsafe_identifiers_are_refused(self, store: Any) -> None:
        with pytest.raises(InvalidIdentifier):
            store.upsert_nodes([NodeRecord("X", ("Employee`) DETACH DELETE (n",), {})])
        with pytest.raises(InvalidIdentifier):
            store.upsert_relationships([EdgeRecord("a", "R]->() DELETE r //", "b")])
        with pytest.raises(InvalidIdentifier):
            store.upsert_nodes([NodeRecord("X", ("Employee",), {"bad key": 1})])
        assert _count(store, "MATCH (n) RETURN count(n) AS c") == 0

    def test_unit_of_work_commits_all_statements_together(self, store: Any) -> None:
        with UnitOfWork(store) as uow:
            uow.run("CREATE (:Resource:Form {id: $id, name: $name})", {"id": "F1", "name": "请假单"})
            uow.run("CREATE (:Resource:Form {id: $id, name: $name})", {"id": "F2", "name": "报销单"})
            uow.run("MATCH (f:Form) RETURN f.id AS id ORDER BY id")
        assert uow.results[2] == [{"id": "F1"}, {"id": "F2"}]
        assert _count(store, "MATCH (f:Form) RETURN count(f) AS c") == 2

    def test_unit_of_work_discards_everything_when_the_block_raises(self, store: Any) -> None:
        with pytest.raises(RuntimeError), UnitOfWork(store) as uow:
            uow.run("CREATE (:Resource:Form {id: 'F1'})")
            raise RuntimeError("caller failed half-way")
        assert _count(store, "MATCH (n) RETURN count(n) AS c") == 0

    def test_unit_of_work_with_an_invalid_statement_writes_nothing(self, store: Any) -> None:
        with pytest.raises(GraphError), UnitOfWork(store) as uow:
            uow.run("CREATE (:Resource:Form {id: 'F1'})")
            uow.run("MATCH (f:Form RETURN f")  # syntax error in the second statement
        assert _count(store, "MATCH (n) RETURN count(n) AS c") == 0

    def test_apply_schema_is_idempotent_and_enforces_unique_ids(self, store: Any) -> None:
        schema = GraphSchema(("Employee",), (), (IndexSpec("Resource", "id", unique=True),
                                                 IndexSpec("Resource", "name")))  # fmt: skip
        created = store.apply_schema(schema)
        assert "unique Resource.id" in created
        assert store.apply_schema(schema) == []
        store.upsert_nodes([NodeRecord("E1", ("Employee",), {"name": "张伟"})])
        with pytest.raises(GraphError):
            store.execute("CREATE (:Resource {id: 'E1'})")
        assert _count(store, "MATCH (n:Resource {id: 'E1'}) RETURN count(n) AS c") == 1

    def test_query_returns_nodes_as_property_maps(self, store: Any) -> None:
        store.upsert_nodes([NodeRecord("D1", ("Department",), {"name": "人力资源部", "code": "HR"})])
        rows = store.query("MATCH (d:Department) RETURN d")
        assert rows == [{"d": {"id": "D1", "name": "人力资源部", "code": "HR"}}]

    def test_broken_query_raises_graph_error(self, store: Any) -> None:
        with pytest.raises(GraphError):
            store.query("MATCH (n RETURN n")

    def test_health_reports_ok(self, store: Any) -> None:
        health = store.health()
        assert health["ok"] is True
        assert health["backend"] == store.backend

    def test_every_write_changes_the_data_version_of_its_kind(self, store: Any) -> None:
        """What the API's response cache relies on (graph/versions.py): each write through the store
        changes the token of its kind — also a write that failed, as it may have partly applied."""
        if store.versions is None:
            pytest.skip("no Redis beside this store for the version tokens (Neo4j: set ZHIKU_REDIS_URL)")
        versions = store.versions

        def tokens() -> tuple[str, str]:
            return versions.current(records=False), versions.current(records=True)

        def unit() -> None:
            with UnitOfWork(store) as uow:
                uow.run("MATCH (n:Employee {id: 'E0002'}) SET n.level = 10")

        for write in (
            lambda: store.upsert_nodes(_people(3)),
            lambda: store.upsert_relationships([EdgeRecord("E0001", "REPORTS_TO", "E0000")]),
            lambda: store.execute("MATCH (n:Employee {id: 'E0002'}) SET n.level = 9"),
            unit,
            lambda: store.delete_nodes(["E0002"]),
        ):
            before = tokens()
            write()
            after = tokens()
            assert after[0] != before[0] and after[1] != before[1]  # content: every view changes
        content, admin = tokens()
        store.execute(
            "MATCH (e:Employee {id: 'E0001'}) CREATE (:Resource:Ticket {id: 'T1'})-[:RAISED_BY]->(e)",
            writes=RECORDS,
        )
        assert versions.current(records=False) == content  # employees' view unchanged
        assert versions.current(records=True) != admin  # admins see tickets
        with UnitOfWork(store, writes=RECORDS) as uow:
            uow.run("MATCH (t:Ticket {id: 'T1'}) SET t.status = 'closed'")
        assert versions.current(records=False) == content
        before = versions.current(records=False)
        with pytest.raises(GraphError):
            store.execute("MATCH (n:Employee) SET n.level = nosuchfunction(1)")
        assert versions.current(records=False) != before

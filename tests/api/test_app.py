"""The API on the real embedded store: /healthz, GraphQL entity and stats, errors and hardening."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from demo.load import load_demo
from graph.embedded import EmbeddedServer
from graph.falkordb_store import FalkorDBStore
from ontology.model import load_ontology
from zhiku.settings import Settings

SECRET = "x" * 40


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("api-data"))


def make_client(demo_graph, demo_search, **overrides) -> TestClient:  # type: ignore[no-untyped-def]
    base = {"data_dir": demo_search.directory.parent, **overrides}
    return TestClient(create_app(Settings(**base), store=demo_graph, search=demo_search))


def auth(settings: Settings, employee: str = "E1030") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, employee)}"}


@pytest.fixture
def client(demo_graph, demo_search) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with make_client(demo_graph, demo_search) as c:
        c.headers.update(auth(Settings()))
        yield c


def _gql(client: TestClient, query: str, **variables) -> dict:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


def test_healthz_reports_the_graph(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["graph"]["ok"] is True
    assert body["graph"]["backend"] == "falkordb"


def test_entity_by_id_with_relations(client: TestClient) -> None:
    data = _gql(
        client,
        "query($id: ID!) { entity(id: $id) { id type name labels aliases relations(first: 50) "
        "{ type direction targetId targetName } } }",
        id="LEAVE-annual",
    )["data"]["entity"]
    assert data["type"] == "LeaveType"
    assert data["name"] == "年假"
    assert set(data["labels"]) == {"LeaveType", "Benefit"}
    assert "带薪年假" in data["aliases"]
    rels = {(r["type"], r["direction"], r["targetId"]) for r in data["relations"]}
    assert ("REQUIRES_APPROVAL", "out", "PROC-LEAVE") in rels
    assert ("GOVERNS", "in", "POL-annual-leave") in rels


def test_unknown_entity_is_null_not_an_error(client: TestClient) -> None:
    body = _gql(client, '{ entity(id: "NOPE") { id } }')
    assert body == {"data": {"entity": None}}


def test_stats_count_the_demo(client: TestClient, demo_graph) -> None:
    store = demo_graph
    stats = _gql(client, "{ stats { backend nodes relationships byLabel { label count } } }")["data"]["stats"]
    by_label = {x["label"]: x["count"] for x in stats["byLabel"]}
    assert stats["backend"] == "falkordb"
    assert by_label["Employee"] >= 56
    # E1030 (行政部) does not see the HR-only salary plan and its chunks, nor people's records, nor the
    # knowledge engineers' curation records (candidates, review decisions)
    hidden = store.query(
        "MATCH (n:Resource) WHERE n:Ticket OR n:Feedback OR n:ApprovalInstance OR n:ApprovalAction "
        "OR n:Candidate OR n:ReviewDecision "
        "OR coalesce(n.documentId, n.id) IN $docs RETURN count(n) AS c",
        {
            "docs": [
                r["id"]
                for r in store.query("MATCH (d:Document) WHERE 'hr' IN d.accessRoles RETURN d.id AS id")
            ]
        },
    )[0]["c"]
    assert hidden > 0
    assert stats["nodes"] == store.query("MATCH (n:Resource) RETURN count(n) AS c")[0]["c"] - hidden
    assert stats["relationships"] > 400
    client.headers.update(auth(Settings(), "E1040"))  # an admin counts everything
    stats = _gql(client, "{ stats { nodes relationships } }")["data"]["stats"]
    assert stats["nodes"] == store.query("MATCH (n:Resource) RETURN count(n) AS c")[0]["c"]
    assert stats["relationships"] == store.query("MATCH ()-[r]->() RETURN count(r) AS c")[0]["c"]


def test_invalid_query_gets_a_coded_chinese_error(client: TestClient) -> None:
    body = _gql(client, "{ entity(id: 1) { nope } }")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert body["errors"][0]["message"].startswith("查询无效")


def test_depth_alias_and_token_limits(demo_graph, demo_search) -> None:
    limits = {"graphql_max_depth": 1, "graphql_max_aliases": 2, "graphql_max_tokens": 40}
    with make_client(demo_graph, demo_search, **limits) as c:
        c.headers.update(auth(Settings()))
        shallow = _gql(c, '{ entity(id: "E1001") { name } }')
        assert shallow == {"data": {"entity": {"name": "陈建国"}}}
        deep = _gql(c, '{ entity(id: "E1001") { relations { targetId } } }')
        assert deep["data"] is None
        assert deep["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
        assert (
            "嵌套过深" in deep["errors"][0]["message"]
            and "depth" in deep["errors"][0]["extensions"]["message_en"]
        )
        aliases = _gql(c, "{ a: stats { nodes } b: stats { nodes } c: stats { nodes } }")
        assert aliases["errors"][0]["extensions"]["code"] == "QUERY_TOO_MANY_ALIASES"
        assert "别名过多" in aliases["errors"][0]["message"]
        tokens = _gql(c, "{ " + " ".join("stats { nodes }" for _ in range(12)) + " }")
        assert tokens["errors"][0]["extensions"]["code"] == "QUERY_TOO_LARGE"
        assert "40 个词法单元" in tokens["errors"][0]["message"]


def test_production_hides_introspection_suggestions_and_ide(demo_graph, demo_search) -> None:
    with make_client(demo_graph, demo_search, env="production", secret_key=SECRET) as c:
        c.headers.update(auth(Settings(env="production", secret_key=SECRET)))
        intro = _gql(c, "{ __schema { types { name } } }")
        assert intro["errors"]
        typo = _gql(c, '{ entity(id: "E1") { nam } }')
        assert "Did you mean" not in typo["errors"][0]["message"]
        assert c.get("/graphql", headers={"accept": "text/html"}).status_code != 200
        assert c.get("/docs").status_code == 404


def test_development_offers_graphiql(client: TestClient) -> None:
    page = client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


def test_oversized_request_is_refused_with_413(demo_graph, demo_search) -> None:
    with make_client(demo_graph, demo_search, max_request_bytes=1000) as c:
        response = c.post("/graphql", json={"query": "{ stats { nodes } }", "pad": "x" * 5000})
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "REQUEST_TOO_LARGE"


def test_health_is_503_when_the_graph_is_gone(tmp_path: Path) -> None:
    """A store on a server that then stops: health says so instead of failing."""
    server = EmbeddedServer(tmp_path / "graph")
    socket_path = server.ensure_running()
    store = FalkorDBStore.remote(f"unix://{socket_path}", "zhiku")
    load_demo(store, load_ontology())
    settings = Settings(data_dir=tmp_path)
    with TestClient(create_app(settings, store=store)) as c:
        c.headers.update(auth(settings, "E1001"))
        assert c.get("/healthz").status_code == 200
        assert _gql(c, "{ stats { nodes } }")["data"]["stats"]["nodes"] > 0
        server.stop()
        response = c.get("/healthz")
        assert response.status_code == 503
        assert response.json()["status"] == "degraded"
        body = _gql(c, "{ stats { nodes } }")
        assert body["errors"][0]["extensions"]["code"] == "GRAPH_UNAVAILABLE"
        assert body["errors"][0]["extensions"]["retryable"] is True
    store.close()


def test_the_checked_in_schema_matches_the_code() -> None:
    from api.graphql.export import SCHEMA_FILE, render

    assert SCHEMA_FILE.read_text(encoding="utf-8") == render(), "run: python -m api.graphql.export"

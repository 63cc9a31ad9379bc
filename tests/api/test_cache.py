"""The GraphQL response cache (api/cache.py) over HTTP against the embedded graph: what it keeps,
for whom, and that every kind of write — in this process or another — is seen by the next read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from api.cache import cacheable
from graph.falkordb_store import FalkorDBStore
from graph.versions import RECORDS
from queries import load as load_query
from zhiku.settings import Settings
from zhiku.types import NodeRecord

EMPLOYEE, ADMIN, CLERK = "E1030", "E1040", "E1031"
ENTITY = '{ entity(id: "E1031") { name relations(first: 50) { type targetId } } }'


@pytest.fixture
def api(org: FalkorDBStore, demo_search, tmp_path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path)
    with TestClient(create_app(settings, store=org, search=demo_search)) as client:
        yield client


def post(api: TestClient, query: str, who: str | None = EMPLOYEE, **headers: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    if who is not None:
        headers["Authorization"] = f"Bearer {issue_token(api.app.state.zhiku.settings, who)}"
    response = api.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    return response.headers.get("x-zhiku-cache", ""), response.json()


def test_a_repeated_read_is_served_from_the_cache_until_the_graph_changes(
    api: TestClient, org: FalkorDBStore
) -> None:
    first = post(api, ENTITY)
    second = post(api, ENTITY)
    assert (first[0], second[0]) == ("miss", "hit")
    assert second[1] == first[1] and first[1]["data"]["entity"]["name"] == "胡小军"
    org.upsert_nodes([NodeRecord("E1031", ("Employee",), {"name": "胡小军（行政）"})])  # a content write
    state, body = post(api, ENTITY)
    assert state == "miss" and body["data"]["entity"]["name"] == "胡小军（行政）"
    assert post(api, ENTITY, **{"Cache-Control": "no-cache"})[0] == "miss"  # the client asked for fresh
    cache = api.get("/healthz").json()["responseCache"]
    assert cache["hits"] == 1 and cache["misses"] == 3 and cache["entries"] == 1
    assert 0 < cache["bytes"] <= cache["max_bytes"] == 64 << 20


def test_a_write_by_another_process_is_seen(api: TestClient, org: FalkorDBStore) -> None:
    """Another process = another connection to the same server (an ingestion run, a crawl)."""
    post(api, ENTITY)
    assert post(api, ENTITY)[0] == "hit"
    other = FalkorDBStore.embedded(org.server.graph_dir, org.graph_name)  # type: ignore[union-attr]
    try:
        other.execute("MATCH (e:Employee {id: 'E1031'}) SET e.name = '胡小军（另一进程）'")
    finally:
        other.close()
    state, body = post(api, ENTITY)
    assert state == "miss" and body["data"]["entity"]["name"] == "胡小军（另一进程）"


def test_records_writes_refresh_admins_only(api: TestClient, org: FalkorDBStore) -> None:
    """A ticket is a record about a person: only admins see it among the employee's relations, so
    only admins' cached answers must change when one is written."""
    employee, admin = post(api, ENTITY)[1], post(api, ENTITY, who=ADMIN)[1]
    assert employee == admin  # nothing private yet
    org.execute(
        "MATCH (e:Employee {id: 'E1031'}) CREATE (t:Resource:Ticket {id: 'T-cache', name: '报修'})-[:RAISED_BY]->(e)",
        writes=RECORDS,
    )
    state, seen = post(api, ENTITY)
    assert state == "hit" and seen == employee
    state, seen = post(api, ENTITY, who=ADMIN)
    assert state == "miss"
    assert {"type": "RAISED_BY", "targetId": "T-cache"} in seen["data"]["entity"]["relations"]


def test_callers_do_not_share_entries(api: TestClient) -> None:
    assert post(api, "{ me { id roles } }")[0] == "miss"
    state, body = post(api, "{ me { id roles } }", who=CLERK)
    assert state == "miss" and body["data"]["me"]["id"] == CLERK
    assert post(api, "{ me { id roles } }")[1]["data"]["me"]["id"] == EMPLOYEE


def test_what_is_never_cached(api: TestClient) -> None:
    # not signed in: an error, executed each time
    for _ in range(2):
        state, body = post(api, ENTITY, who=None)
        assert state == "" and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # a read mixed with a field outside the cacheable set: not looked up at all
    mixed = '{ entity(id: "E1031") { name } stats { nodes } }'
    assert [post(api, mixed)[0] for _ in range(2)] == ["", ""]
    # an answer with errors (an unknown field) is executed, and not kept
    assert [post(api, '{ entity(id: "E1031") { nope } }')[0] for _ in range(2)] == ["miss", "miss"]
    # a mutation
    feedback = 'mutation { feedback(answerId: "a1", question: "q", helpful: true) }'
    assert [post(api, feedback)[0] for _ in range(2)] == ["", ""]


def test_which_documents_are_cacheable() -> None:
    assert cacheable("query Q($id: ID!) { entity(id: $id) { name } me { id } }", None)
    assert cacheable("query A { entity(id: 1) { name } } mutation B { ingest(paths: []) { new } }", "A")
    assert not cacheable("query A { entity(id: 1) { name } } mutation B { ingest(paths: []) { new } }", "B")
    assert not cacheable("query A { me { id } } query B { me { id } }", None)  # ambiguous
    assert not cacheable('{ ask(question: "x") { text } }', None)  # records a view
    assert not cacheable('{ search(query: "x") { edges { cursor } } }', None)  # the search index
    assert not cacheable("{ ...F } fragment F on Query { me { id } }", None)  # root fragments: not read
    assert not cacheable("subscription { indexStatus { chunks } }", None)
    assert not cacheable("{ entity(id: ", None)


def test_records_do_not_crowd_visible_relations_out(api: TestClient, org: FalkorDBStore) -> None:
    """An employee who raised many tickets: the relations an employee may see are all still listed
    (the query leaves people's records out before its LIMIT, not after it)."""
    query = '{ entity(id: "E1031") { relations(first: 10) { type targetId } } }'
    before = post(api, query)[1]["data"]["entity"]["relations"]
    assert "REPORTS_TO" in {r["type"] for r in before}
    org.execute(
        "MATCH (e:Employee {id: 'E1031'}) UNWIND range(1, 40) AS i "
        "CREATE (:Resource:Ticket {id: 'crowd-' + toString(i), name: '工单'})-[:RAISED_BY]->(e)",
        writes=RECORDS,
    )
    post(api, query, **{"Cache-Control": "no-cache"})
    assert post(api, query, **{"Cache-Control": "no-cache"})[1]["data"]["entity"]["relations"] == before
    hood = '{ neighborhood(id: "E1031", depth: 2) { nodes { id } } }'
    assert not any(n["id"].startswith("crowd-") for n in post(api, hood)[1]["data"]["neighborhood"]["nodes"])
    rows = org.query(load_query("entity_relations").text, {"id": "E1031", "limit": 100, "hide_types": None,
                                                           "hide_labels": None})  # fmt: skip
    assert sum(r["type"] == "RAISED_BY" for r in rows) == 40  # an admin's view has them all


def test_hits_get_cors_headers_for_their_own_origin(org: FalkorDBStore, demo_search, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The cache sits inside CORS: a hit carries the origin of the request it answers, not of the
    request that filled it."""
    origins = ["https://a.example.cn", "https://b.example.cn"]
    settings = Settings(data_dir=tmp_path, cors_origins=origins)
    with TestClient(create_app(settings, store=org, search=demo_search)) as api:
        headers = {"Authorization": f"Bearer {issue_token(settings, EMPLOYEE)}"}
        answers = [
            api.post("/graphql", json={"query": ENTITY}, headers={**headers, "Origin": o}) for o in origins
        ]
    assert [r.headers["x-zhiku-cache"] for r in answers] == ["miss", "hit"]
    assert [r.headers["access-control-allow-origin"] for r in answers] == origins
    assert answers[0].json() == answers[1].json()

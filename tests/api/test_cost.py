"""One small request must not stall the server (issue 16): a request's cost is priced before it runs
and refused above ``ZHIKU_GRAPHQL_MAX_COST``; nested relations load with one store query per level;
store calls run off the event loop, so ``/healthz`` answers while a graph query is still running."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from graphql import parse

from api.app import create_app
from api.auth import issue_token
from api.graphql import cost as cost_module
from api.graphql.cost import DEFAULT_LIST_SIZE, query_cost
from api.graphql.schema import build_schema
from queries import load as load_query
from tests.api.conftest import serve
from zhiku.settings import Settings

EMPLOYEE = "E1030"  # 行政部主管: an ordinary employee (no admin, analyst or agent role)
SCHEMA = build_schema(Settings())._schema
#: The audit's request: nested relations four levels deep, under six aliases (825 bytes).
NESTED = (
    "entities(first: {n}) {{ edges {{ node {{ id relations(first: {n}) {{ target {{ relations(first: {n}) "
    "{{ target {{ relations(first: {n}) {{ type }} }} }} }} }} }} }} }}"
)


def nested(first: int, aliases: int = 6) -> str:
    return "{ " + " ".join(f"a{i}: " + NESTED.format(n=first) for i in range(aliases)) + " }"


def cost(query: str, **variables: Any) -> int:
    return query_cost(SCHEMA, parse(query), variables)


def make_client(demo_graph, demo_search, **overrides: Any) -> TestClient:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=demo_search.directory.parent, **overrides)
    client = TestClient(create_app(settings, store=demo_graph, search=demo_search))
    client.headers.update({"Authorization": f"Bearer {issue_token(settings, EMPLOYEE)}"})
    return client


@pytest.fixture
def client(demo_graph, demo_search) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with make_client(demo_graph, demo_search) as c:
        yield c


def gql(client: TestClient, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"Cache-Control": "no-cache"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def count_queries(monkeypatch: pytest.MonkeyPatch, store: Any, *names: str) -> dict[str, int]:
    """How often each named query reaches the store from now on."""
    texts = {load_query(n).text: n for n in names}
    calls = dict.fromkeys(names, 0)
    original = store.query

    def counting(text: str, params: Any = None) -> Any:
        if text in texts:
            calls[texts[text]] += 1
        return original(text, params)

    monkeypatch.setattr(store, "query", counting)
    return calls


# -- the cost model ----------------------------------------------------------------------------------


def test_objects_cost_one_scalars_nothing_and_lists_count_first() -> None:
    assert cost('{ entity(id: "E1") { id name properties } }') == 1
    assert cost('{ entity(id: "E1") { relations(first: 30) { type targetId } } }') == 1 + 30
    assert cost('{ entity(id: "E1") { relations(first: 30) { target { id } } } }') == 1 + 30 * 2
    # a connection hands its `first` to its edges; pageInfo is one object
    assert (
        cost("{ entities(first: 30) { edges { node { id } } pageInfo { hasNextPage } } }") == 1 + 30 * 2 + 1
    )
    # no `first` given: the argument's default (relations: 20); a list without `first`: the default size
    assert cost('{ entity(id: "E1") { relations { type } } }') == 1 + 20
    assert cost('{ approvalProcess(id: "P") { ... on ApprovalProcess { steps { name } } } }') == (
        1 + DEFAULT_LIST_SIZE
    )


def test_nested_lists_multiply_and_aliases_count_each() -> None:
    one = cost(nested(30, aliases=1))
    assert one == 1 + 30 * (1 + 1 + 30 * (1 + 1 + 30 * (1 + 1 + 30)))
    assert cost(nested(30)) == 6 * one > 5_000_000  # the audit's 825 bytes


def test_fragments_and_inline_fragments_count_where_they_are_spread() -> None:
    inline = '{ entity(id: "E1") { relations(first: 5) { target { id } } relations2: relations(first: 5) { target { id } } } }'
    spread = (
        '{ entity(id: "E1") { ...Rel ...Rel2 } } fragment Rel on Entity { relations(first: 5) { target { id } } }'
        " fragment Rel2 on Entity { relations2: relations(first: 5) { target { ...Id } } } fragment Id on Entity { id }"
    )
    assert cost(spread) == cost(inline) == 1 + 2 * 5 * 2
    typed = '{ entity(id: "E1") { ... on Employee { department { name } manager { name } } ... on Department { members { id } } } }'
    assert cost(typed) == 1 + 2 + 200  # every type condition: an upper bound; members: up to 200


def test_a_fragment_spread_many_times_over_is_priced_once() -> None:
    """Forty fragments, each spreading the next twice: 2^40 spreads, priced in forty steps."""
    fragments = " ".join(
        f"fragment F{i} on Entity {{ a: id ...F{i + 1} b: id ...F{i + 1} }}" for i in range(40)
    )
    query = (
        '{ entity(id: "E1") { ...F0 } } '
        + fragments
        + " fragment F40 on Entity { relations(first: 1) { type } }"
    )
    assert cost(query) == 1 + 2**40


def test_variables_count_with_the_request_values() -> None:
    query = 'query($n: Int = 7) { entity(id: "E1") { relations(first: $n) { target { id } } } }'
    assert cost(query, n=50) == 1 + 50 * 2
    assert cost(query) == 1 + 7 * 2  # the variable's default
    assert cost('query($n: Int) { entity(id: "E1") { relations(first: $n) { type } } }') == 1 + 20
    skip = 'query($s: Boolean!) { entity(id: "E1") { id relations(first: 50) @skip(if: $s) { type } } }'
    assert (cost(skip, s=True), cost(skip, s=False)) == (1, 51)
    include = '{ entity(id: "E1") { id relations(first: 50) @include(if: false) { type } } }'
    assert cost(include) == 1


def test_introspection_costs_nothing() -> None:
    assert cost("{ __schema { types { name fields { name args { name } } } } }") == 0


# -- over HTTP -----------------------------------------------------------------------------------------


def test_the_audits_nested_query_is_refused_before_it_runs(
    client: TestClient, demo_graph, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    calls = count_queries(monkeypatch, demo_graph, "entities_page", "entity_relations_many")
    body = gql(client, nested(30))
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["retryable"] is False
    assert f"查询代价 {cost(nested(30))} 超过上限 10000" in error["message"]
    assert "first" in error["message"] and "拆" in error["message"]  # what to do: lower first or split
    assert "exceeds the limit of 10000" in error["extensions"]["message_en"]
    assert calls == {"entities_page": 0, "entity_relations_many": 0}  # refused before any store call


def test_a_query_at_the_limit_is_answered_and_one_above_it_refused(demo_graph, demo_search) -> None:  # type: ignore[no-untyped-def]
    query = nested(3, aliases=2)
    limit = cost(query)
    with make_client(demo_graph, demo_search, graphql_max_cost=limit) as c:
        body = gql(c, query)
        assert "errors" not in body
        edges = body["data"]["a0"]["edges"]
        assert len(edges) == 3 and any(e["node"]["relations"] for e in edges)
    with make_client(demo_graph, demo_search, graphql_max_cost=limit - 1) as c:
        assert gql(c, query)["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


def test_the_same_document_is_priced_with_each_requests_variables(client: TestClient) -> None:
    """Validation is cached per document text: the cost check must still see the variables."""
    query = "query($n: Int!) { entities(first: $n) { edges { node { relations(first: $n) { target { id } } } } } }"
    small = gql(client, query, n=5)
    assert "errors" not in small and len(small["data"]["entities"]["edges"]) == 5
    big = gql(client, query, n=100)  # 1 + 100 × (2 + 100 × 2) = 20,201
    assert big["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


# -- batching ------------------------------------------------------------------------------------------


def test_nested_relations_load_with_one_store_query_per_level(
    client: TestClient, demo_graph, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    calls = count_queries(monkeypatch, demo_graph, "entity_relations", "entity_relations_many")
    query = (
        "{ entities(first: 25) { edges { node { id relations(first: 4) { targetId target { id "
        "relations(first: 4) { type targetId } } } } } } }"
    )
    nodes = [e["node"] for e in gql(client, query)["data"]["entities"]["edges"]]
    second = [r["target"] for n in nodes for r in n["relations"] if r["target"]]
    assert len(nodes) == 25 and len(second) > 25  # many entities at each level …
    assert calls == {"entity_relations": 0, "entity_relations_many": 2}  # … one query per level
    # the same rows as each entity asked for on its own
    for node in nodes[:: len(nodes) // 5]:
        alone = gql(
            client, "query($id: ID!) { entity(id: $id) { relations(first: 4) { targetId } } }", id=node["id"]
        )
        assert [r["targetId"] for r in alone["data"]["entity"]["relations"]] == [
            r["targetId"] for r in node["relations"]
        ]


# -- the event loop ------------------------------------------------------------------------------------


@contextmanager
def serving(demo_graph, demo_search) -> Iterator[tuple[str, dict[str, str]]]:  # type: ignore[no-untyped-def]
    """A real uvicorn server on loopback: its base URL and an ordinary employee's headers."""
    with serve(demo_graph, demo_search) as live:
        yield live.base, {"Authorization": f"Bearer {live.token(EMPLOYEE)}", "Cache-Control": "no-cache"}


def hold(monkeypatch: pytest.MonkeyPatch, store: Any, name: str) -> tuple[threading.Event, threading.Event]:
    """Calls of the named query wait inside the store until ``release`` is set; ``started`` tells that
    one is waiting. Every other query goes through."""
    started, release = threading.Event(), threading.Event()
    held_text = load_query(name).text
    original = store.query

    def held(text: str, params: Any = None) -> Any:
        if text == held_text:
            started.set()
            release.wait(timeout=60)
        return original(text, params)

    monkeypatch.setattr(store, "query", held)
    return started, release


HEAVY = "{ entities(first: 30) { edges { node { id relations(first: 30) { type target { id } } } } } }"


def test_healthz_answers_while_a_graph_query_is_running(demo_graph, demo_search, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The GraphQL request's relations query is held inside the store until /healthz has answered.
    Had the store call run on the event loop, /healthz could not answer."""
    started, release = hold(monkeypatch, demo_graph, "entity_relations_many")

    async def scenario(base: str, headers: dict[str, str]) -> tuple[httpx.Response, bool, httpx.Response]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            heavy = asyncio.create_task(http.post("/graphql", json={"query": HEAVY}, headers=headers))
            assert await asyncio.to_thread(started.wait, 30)  # the graph query is running
            try:
                health = await http.get("/healthz")
                heavy_still_running = not heavy.done()
            finally:
                release.set()
            return health, heavy_still_running, await heavy

    try:
        with serving(demo_graph, demo_search) as (base, headers):
            health, heavy_still_running, answer = asyncio.run(scenario(base, headers))
    finally:
        release.set()
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert heavy_still_running  # healthz answered first, while the graph query was held
    edges = answer.json()["data"]["entities"]["edges"]
    assert len(edges) == 30 and any(e["node"]["relations"] for e in edges)


def test_heavy_requests_take_turns_while_light_ones_run_freely(demo_graph, demo_search, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two requests costing a tenth of the limit or more: the second starts only when the first is
    done; a light request meanwhile is answered at once."""
    assert 1_000 <= cost(HEAVY) <= 10_000
    started, release = hold(monkeypatch, demo_graph, "entity_relations_many")
    priced = threading.Event()
    original_cost = cost_module.query_cost

    def noting(*args: Any, **kwargs: Any) -> int:
        value = original_cost(*args, **kwargs)
        if value >= 1_000:
            priced.set()  # set when the second heavy request is priced: it then waits for its turn
        return value

    second_started = threading.Event()
    page_text, held_query = load_query("entities_page").text, demo_graph.query

    def noting_pages(text: str, params: Any = None) -> Any:
        if text == page_text and started.is_set():
            second_started.set()
        return held_query(text, params)

    async def scenario(base: str, headers: dict[str, str]) -> tuple[list[httpx.Response], bool]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            first = asyncio.create_task(http.post("/graphql", json={"query": HEAVY}, headers=headers))
            assert await asyncio.to_thread(started.wait, 30)  # the first holds its turn, inside the store
            monkeypatch.setattr(cost_module, "query_cost", noting)
            monkeypatch.setattr(demo_graph, "query", noting_pages)
            second = asyncio.create_task(http.post("/graphql", json={"query": HEAVY}, headers=headers))
            try:
                assert await asyncio.to_thread(priced.wait, 30)
                light = await http.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
                assert light.json() == {"data": {"me": {"id": EMPLOYEE}}}  # light requests go ahead
                second_waited = not second_started.is_set() and not first.done()
            finally:
                release.set()
            return [await first, await second], second_waited

    try:
        with serving(demo_graph, demo_search) as (base, headers):
            answers, second_waited = asyncio.run(scenario(base, headers))
    finally:
        release.set()
    assert second_waited  # the second heavy request had not begun while the first held its turn
    assert second_started.is_set()  # … and ran once it was over
    for answer in answers:
        assert len(answer.json()["data"]["entities"]["edges"]) == 30

"""The permission matrix: for callers inside and outside every kind of access scope, and for every
role, every path that returns graph content — the resolvers, every analyst-facing named query with
adversarial parameters, recommendations and statistics — leaks no restricted text, title, id or count.

The graph is its own (documents scoped by department, by role, by level; the demo's HR-only salary
plan; people's records: a ticket, an approval application, feedback, who-read-what). Cases are
generated with hypothesis: a caller, a path and parameters drawn from the ids of everything in the
graph, hidden or not, plus values an attacker would try. What counts as a secret for a caller is
decided node by node with :func:`zhiku.access.visible` — the one rule — and the test checks that every
path applies it; the rule itself is pinned by the named cases at the end.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.auth import issue_token
from api.graphql.chat import issued_answer_id
from chat.tickets import open_ticket, ticket_params
from demo.load import DEMO_DIR, load_demo
from graph.falkordb_store import FalkorDBStore
from ingest.pipeline import Pipeline
from ontology.model import Ontology
from queries import SERVER_PARAMS, load, names
from zhiku.access import PRIVATE_LABELS, Principal, load_principal, visible
from zhiku.settings import Settings

SALARY = "2026年度薪酬调整方案（仅限人力资源部）"
# Markers that appear only in one restricted document each (and in the records below).
RD_MARK, ROLE_MARK, LEVEL_MARK = "研发绝密代号青鸾", "经理专属激励池蓝鲸", "高管职级专项白鹭"
REASON_MARK = "家中急事请假理由赤狐"
TICKET_MARK = "调薪矩阵工单对话玄武"

EXTRA_DOCS = {
    "rd-secret.md": ("研发部项目代号说明", {"departments": ["D-RD"], "roles": [], "level": 0}, RD_MARK),
    "manager-pool.md": ("经理激励池规则", {"departments": [], "roles": ["manager"], "level": 0}, ROLE_MARK),
    "senior-only.md": ("高管专项说明", {"departments": [], "roles": [], "level": 10}, LEVEL_MARK),
}
# Callers: (id, department, roles, level). The demo's own staff plus test employees that put an
# analyst inside each scope.
E_ANALYST, E_KE, E_HR_HEAD, E_AGENT, E_CLERK, E_ADMIN = "E1004", "E1003", "E1010", "E1015", "E1031", "E1040"
EXTRA_PEOPLE = [
    ("E9001", "D-HR", ["employee", "analyst"], 7),
    ("E9002", "D-RD", ["employee", "analyst", "manager"], 10),
    ("E9003", "D-GMO", ["employee", "knowledge_engineer"], 2),
]
CALLERS = [E_ANALYST, E_KE, E_HR_HEAD, E_AGENT, E_CLERK, E_ADMIN] + [p[0] for p in EXTRA_PEOPLE]
ANALYSTS = [E_ANALYST, E_KE, "E9001", "E9002", "E9003"]


def _docs_dir(tmp: Path) -> Path:
    """Three public demo documents, the HR-only salary plan and three documents scoped each one way."""
    import yaml

    docs = tmp / "docs"
    docs.mkdir()
    index = yaml.safe_load((DEMO_DIR / "docs" / "index.yaml").read_text(encoding="utf-8"))
    keep = {"annual-leave.md", "expense.html", "salary-adjustment-2026.docx", "shuttle-bus.md"}
    entries = [{k: v for k, v in e.items() if k != "source"} for e in index if e["file"] in keep]
    for name in keep:
        shutil.copy(DEMO_DIR / "docs" / name, docs / name)
    for name, (title, access, mark) in EXTRA_DOCS.items():
        body = f"# {title}\n\n## 说明\n\n{mark}：本文件仅限范围内人员阅读。报销审批由财务部负责。\n"
        (docs / name).write_text(body, encoding="utf-8")
        entries.append({"file": name, "title": title, "access": access})
    (docs / "index.yaml").write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return docs


@pytest.fixture(scope="module")
def world(
    graph_dir: Path, onto: Ontology, embed_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FalkorDBStore, TestClient]]:
    tmp = tmp_path_factory.mktemp("permissions")
    store = FalkorDBStore.embedded(graph_dir, f"perm_{uuid.uuid4().hex[:12]}")
    try:
        load_demo(store, onto)
        for pid, dept, roles, level in EXTRA_PEOPLE:
            store.execute(
                "MATCH (d:Department {id: $dept}) MERGE (e:Resource:Employee {id: $id}) "
                "SET e.name = $id, e.level = $level MERGE (e)-[:BELONGS_TO]->(d) "
                "WITH e UNWIND $roles AS r MATCH (role:Role {id: 'ROLE-' + r}) MERGE (e)-[:HAS_ROLE]->(role)",
                {"id": pid, "dept": dept, "roles": roles, "level": level},
            )
        Pipeline(store, ontology=onto).ingest([_docs_dir(tmp)])
        settings_ = Settings(data_dir=tmp / "data")
        with TestClient(create_app(settings_, store=store)) as client:
            state = client.app.state.zhiku  # type: ignore[attr-defined]
            hr = load_principal(store, E_HR_HEAD)
            salary = _doc_id(store, SALARY)
            open_ticket(
                store,
                ticket_params(
                    hr,
                    "调薪矩阵怎么算",
                    "handoff",
                    [f"员工: 2026年调薪矩阵是怎样的 {TICKET_MARK}", "知库: 调薪幅度按绩效等级确定"],
                    found=[SALARY],
                    entities=[salary],
                    line_documents=[[], [salary]],
                    found_documents=[salary],
                ),
            )
            state.approvals.submit("请假审批", applicant=E_CLERK, days=2, reason=REASON_MARK)
            state.recommender.record_view(hr, salary)  # who-read-what: HR read the salary plan
            answer = issued_answer_id(settings_, "ans-perm", E_CLERK)  # as ask hands it to the clerk
            feedback = _gql(
                client,
                E_CLERK,
                'mutation($a: ID!) { feedback(answerId: $a, question: "班车几点", helpful: false) { id } }',
                a=answer,
            )
            assert feedback["data"]["feedback"]["id"], feedback
            yield store, client
    finally:
        store.reset()
        store.close()


def _doc_id(store: FalkorDBStore, title: str) -> str:
    return str(store.query("MATCH (d:Document) WHERE d.name = $n RETURN d.id AS id", {"n": title})[0]["id"])


def _codes(body: dict[str, Any]) -> set[str]:
    return {e["extensions"]["code"] for e in body.get("errors") or []}


def _gql(client: TestClient, who: str, query: str, **variables: Any) -> dict[str, Any]:
    token = issue_token(client.app.state.zhiku.settings, who)  # type: ignore[attr-defined]
    response = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}", "Cache-Control": "no-cache"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class Secrets:
    """What one caller must never receive, derived node by node from the graph with the one rule."""

    def __init__(self, store: FalkorDBStore, who: Principal, own_records: dict[str, str]) -> None:
        rows = store.query("MATCH (n:Resource) RETURN labels(n) AS labels, properties(n) AS props")
        self.ids: set[str] = set()
        self.texts: set[str] = set()
        self.hidden_documents = 0
        for r in rows:
            props, labels = r["props"], r["labels"]
            if visible(props, labels, who) or props["id"] in own_records:
                continue
            self.ids.add(props["id"])
            if "Document" in labels:
                self.texts.add(props["name"])
                self.hidden_documents += 1
        for mark, scoped_title in (
            (RD_MARK, "研发部项目代号说明"),
            (ROLE_MARK, "经理激励池规则"),
            (LEVEL_MARK, "高管专项说明"),
        ):
            if scoped_title in self.texts:
                self.texts.add(mark)
        if SALARY in self.texts:
            self.texts.add("调薪幅度")
        if not who.is_admin:  # people's records: their contents and the fact that they exist
            self.texts |= {REASON_MARK, TICKET_MARK, "VIEWED"} - set(own_records.values())

    def leaks(self, body: Any) -> list[str]:
        blob = json.dumps(body, ensure_ascii=False)
        found = [t for t in self.texts if t in blob]
        strings: set[str] = set()
        _walk(body, strings)
        return found + sorted(strings & self.ids)


def _walk(value: Any, out: set[str]) -> None:
    if isinstance(value, str):
        out.add(value)
    elif isinstance(value, dict):
        for v in value.values():
            _walk(v, out)
    elif isinstance(value, list):
        for v in value:
            _walk(v, out)


@pytest.fixture(scope="module")
def secrets(world: tuple[FalkorDBStore, TestClient]) -> dict[str, Secrets]:
    store, client = world
    approvals = client.app.state.zhiku.approvals  # type: ignore[attr-defined]
    (approval,) = store.query("MATCH (a:ApprovalInstance) RETURN a.id AS id")
    (ticket,) = store.query("MATCH (t:Ticket)-[:RAISED_BY]->(e) RETURN t.id AS id, e.id AS raiser")
    out = {}
    for who in CALLERS:
        principal = load_principal(store, who)
        # people's records reach the people they concern: the applicant and the approvers of an
        # application; the raiser of a ticket and the agents
        own = {}
        if approvals.get(approval["id"]).involves(who):
            own[approval["id"]] = REASON_MARK
        if ticket["raiser"] == who or principal.has_role("agent"):
            own[ticket["id"]] = TICKET_MARK
        out[who] = Secrets(store, principal, own)
    return out


@pytest.fixture(scope="module")
def all_ids(world: tuple[FalkorDBStore, TestClient]) -> list[str]:
    store, _ = world
    return sorted(r["id"] for r in store.query("MATCH (n:Resource) RETURN n.id AS id"))


def _analyst_queries() -> list[str]:
    return [n for n in names() if not load(n).internal and load(n).mode == "read"]


def _param_values(all_ids: list[str], hidden: list[str]) -> st.SearchStrategy[Any]:
    """What an attacker sends: mostly ids the caller may not see, else any id and values that widen."""
    secret = st.sampled_from(hidden)
    return st.one_of(
        secret,
        secret,
        st.lists(secret, min_size=1, max_size=4),
        st.sampled_from(all_ids),
        st.sampled_from(["2100-01-01", "", "hr", "ROLE-hr", "manager", "D-HR", "E1010"]),
        st.integers(min_value=0, max_value=2000),
        st.none(),
    )


def _sweep_values(store: FalkorDBStore, secrets: Secrets) -> list[Any]:
    """One of each kind of hidden node (document, chunk, ticket, approval, feedback) and a far date."""
    kinds = ["Document", "Chunk", *PRIVATE_LABELS]
    picked = []
    for kind in kinds:
        rows = store.query(f"MATCH (n:{kind}) RETURN n.id AS id ORDER BY n.id")
        picked += [r["id"] for r in rows if r["id"] in secrets.ids][:1]
    return [*picked, "2100-01-01", None]


# -- every analyst-facing named query, adversarial parameters ---------------------------------------


def test_the_matrix_covers_something_hidden_for_every_caller_but_the_admin(
    secrets: dict[str, Secrets],
) -> None:
    for who, s in secrets.items():
        assert (s.hidden_documents == 0) == (who == E_ADMIN), who
    assert SALARY not in secrets["E9001"].texts and SALARY in secrets[E_ANALYST].texts
    assert RD_MARK not in secrets["E9002"].texts and LEVEL_MARK not in secrets["E9002"].texts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_named_queries_leak_nothing_a_caller_may_not_see(
    world: tuple[FalkorDBStore, TestClient],
    secrets: dict[str, Secrets],
    all_ids: list[str],
    data: st.DataObject,
) -> None:
    _, client = world
    who = data.draw(st.sampled_from(ANALYSTS), label="caller")
    name = data.draw(st.sampled_from(_analyst_queries()), label="query")
    declared = [p.name for p in load(name).params if p.name not in SERVER_PARAMS]
    params = {p: data.draw(_param_values(all_ids, sorted(secrets[who].ids)), label=p) for p in declared}
    body = _gql(
        client, who, "query($n: String!, $p: JSON) { namedQuery(name: $n, params: $p) }", n=name, p=params
    )
    assert not secrets[who].leaks(body), (who, name, params, secrets[who].leaks(body))
    assert _codes(body) <= {"BAD_INPUT"}, body  # a bad value is the caller's error, never the server's


@pytest.mark.parametrize("who", [E_ANALYST, "E9001", "E9003"])
def test_every_named_query_with_every_kind_of_hidden_value(
    world: tuple[FalkorDBStore, TestClient], secrets: dict[str, Secrets], who: str
) -> None:
    """A sweep beside the random cases: each query, its string and list parameters all set to one
    hidden id (or a far date), its numbers to the largest page."""
    store, client = world
    query = "query($n: String!, $p: JSON) { namedQuery(name: $n, params: $p) }"
    for name in _analyst_queries():
        declared = [p for p in load(name).params if p.name not in SERVER_PARAMS]
        for value in _sweep_values(store, secrets[who]):
            params = {
                p.name: 1000 if p.type == "int" else [value] if p.type == "list" and value else value
                for p in declared
                if p.type in ("int", "string", "list")
            }
            body = _gql(client, who, query, n=name, p=params)
            assert not secrets[who].leaks(body), (name, params, secrets[who].leaks(body))
            assert _codes(body) <= {"BAD_INPUT"}, body


@pytest.mark.parametrize(
    "name", [n for n in _analyst_queries() if set(p.name for p in load(n).params) & SERVER_PARAMS]
)
def test_a_caller_cannot_set_what_decides_visibility(
    world: tuple[FalkorDBStore, TestClient], name: str
) -> None:
    _, client = world
    for param in sorted({p.name for p in load(name).params} & SERVER_PARAMS):
        value: Any = True if param == "admin" else [] if param != "level" else 99
        query = "query($n: String!, $p: JSON) { namedQuery(name: $n, params: $p) }"
        body = _gql(client, E_ANALYST, query, n=name, p={param: value})
        assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT", body
        assert "服务器" in body["errors"][0]["message"]


def test_the_catalogue_does_not_offer_visibility_parameters(world: tuple[FalkorDBStore, TestClient]) -> None:
    _, client = world
    catalogue = _gql(client, E_ANALYST, "{ namedQueries { name params } }")["data"]["namedQueries"]
    offered = {p.split(":")[0] for q in catalogue for p in q["params"]}
    assert offered and not offered & SERVER_PARAMS


# -- the resolvers, recommendations and statistics ---------------------------------------------------

RESOLVERS = {
    "entity": "query($id: ID!) { entity(id: $id) { id name properties } }",
    "relations": "query($id: ID!) { entity(id: $id) { relations(first: 200) { type targetId targetName } } }",
    "neighborhood": "query($id: ID!) { neighborhood(id: $id, depth: 2) { nodes { id name } edges { source type target } } }",
    "forEntity": "query($id: ID!) { recommendations(forEntity: $id, first: 20) { id title documentId reason } }",
    "forDocument": "query($id: ID!) { recommendations(forDocument: $id, first: 20) { id title documentId } }",
    "approvalInstance": "query($id: ID!) { approvalInstance(id: $id) { id reason } }",
    "ticket": "query($id: ID!) { ticket(id: $id) { id title found conversation { text } suggestion { text } } }",
    "approvalProcess": "query($id: ID!) { approvalProcess(id: $id) { id name relations(first: 100) { targetId targetName } } }",
}
UNPARAMETERISED = {
    "entities": "{ entities(first: 100) { edges { node { id name } } } }",
    "documents": "{ entities(type: Document, first: 100) { edges { node { id name properties } } } }",
    "stats": "{ stats { nodes relationships byLabel { label count } byRelationshipType { label count } } }",
    "forMe": "{ recommendations(forMe: true, first: 20) { id title documentId } }",
    "myApprovals": "{ myApprovals(role: TODO) { id reason } }",
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_resolvers_leak_nothing_a_caller_may_not_see(
    world: tuple[FalkorDBStore, TestClient],
    secrets: dict[str, Secrets],
    all_ids: list[str],
    data: st.DataObject,
) -> None:
    _, client = world
    who = data.draw(st.sampled_from([c for c in CALLERS if c != E_ADMIN]), label="caller")
    path = data.draw(st.sampled_from(sorted(RESOLVERS)), label="path")
    hidden = st.sampled_from(sorted(secrets[who].ids))
    entity_id = data.draw(st.one_of(hidden, st.sampled_from(all_ids)), label="id")
    body = _gql(client, who, RESOLVERS[path], id=entity_id)
    assert not secrets[who].leaks(body), (who, path, entity_id, secrets[who].leaks(body))
    assert not _codes(body), body


@pytest.mark.parametrize("path", sorted(UNPARAMETERISED))
@pytest.mark.parametrize("who", [c for c in CALLERS if c != E_ADMIN])
def test_listings_and_statistics_leak_nothing(
    world: tuple[FalkorDBStore, TestClient], secrets: dict[str, Secrets], who: str, path: str
) -> None:
    _, client = world
    body = _gql(client, who, UNPARAMETERISED[path])
    assert "errors" not in body, body
    assert not secrets[who].leaks(body), secrets[who].leaks(body)


@pytest.mark.parametrize("who", CALLERS)
def test_statistics_count_only_what_the_caller_may_see(
    world: tuple[FalkorDBStore, TestClient], secrets: dict[str, Secrets], who: str
) -> None:
    store, client = world
    stats = _gql(client, who, UNPARAMETERISED["stats"])["data"]["stats"]
    by_label = {r["label"]: r["count"] for r in stats["byLabel"]}
    documents = store.query("MATCH (d:Document) RETURN count(d) AS n")[0]["n"]
    assert by_label["Document"] == documents - secrets[who].hidden_documents
    private_shown = {label for label in PRIVATE_LABELS if label in by_label}
    assert private_shown == (set() if who != E_ADMIN else private_shown) and (who != E_ADMIN or private_shown)
    relationship_types = {r["label"] for r in stats["byRelationshipType"]}
    assert ("VIEWED" in relationship_types) == (who == E_ADMIN)


# -- the rule itself, on named cases ------------------------------------------------------------------


@pytest.mark.parametrize("who", [E_AGENT, E_HR_HEAD, E_ADMIN, E_ANALYST])
def test_a_ticket_shows_each_reader_what_they_may_see(
    world: tuple[FalkorDBStore, TestClient], secrets: dict[str, Secrets], who: str
) -> None:
    """The HR head's salary hand-off: the agent outside HR gets the employee's words and the marker,
    not the bot's HR-only answer; the HR head (who raised it) and the admin get it all; an analyst
    who is neither gets nothing."""
    store, client = world
    ticket = store.query("MATCH (t:Ticket) RETURN t.id AS id")[0]["id"]
    fields = "id title found conversation { text }" + (" suggestion { text }" if who != E_HR_HEAD else "")
    body = _gql(client, who, "query($id: ID!) { ticket(id: $id) { " + fields + " } }", id=ticket)
    assert not secrets[who].leaks(body), secrets[who].leaks(body)
    shown = body["data"]["ticket"]
    if who == E_ANALYST:
        assert shown is None
        return
    text = json.dumps(shown, ensure_ascii=False)
    assert TICKET_MARK in text
    assert ("调薪幅度" in text) == (who != E_AGENT)
    assert ("受限资料未显示" in text) == (who == E_AGENT)


def test_named_cases_of_the_rule(world: tuple[FalkorDBStore, TestClient]) -> None:
    store, client = world
    salary = _doc_id(store, SALARY)
    chunk = store.query("MATCH (c:Chunk {documentId: $d}) RETURN c.id AS id LIMIT 1", {"d": salary})[0]["id"]
    by_id = 'query($id: String) { namedQuery(name: "entity_by_id", params: {id: $id}) }'
    assert _gql(client, E_ANALYST, by_id, id=chunk)["data"]["namedQuery"] == []
    assert _gql(client, "E9001", by_id, id=chunk)["data"]["namedQuery"][0]["id"] == chunk  # an HR analyst
    stale = '{ namedQuery(name: "stale_documents", params: {before: "2100-01-01"}) }'
    titles = {r["title"] for r in _gql(client, E_ANALYST, stale)["data"]["namedQuery"]}
    assert titles and SALARY not in titles and "研发部项目代号说明" not in titles
    assert {"研发部项目代号说明", "经理激励池规则", "高管专项说明"} <= {
        r["title"] for r in _gql(client, "E9002", stale)["data"]["namedQuery"]
    }  # in R&D, a manager, level 10
    ticket = store.query("MATCH (t:Ticket) RETURN t.id AS id")[0]["id"]
    assert _gql(client, E_ANALYST, by_id, id=ticket)["data"]["namedQuery"] == []
    assert _gql(client, E_ADMIN, by_id, id=ticket)["data"]["namedQuery"][0]["id"] == ticket
    # a hidden chunk and a made-up id look the same to recommendations
    recs = "query($id: ID!) { recommendations(forEntity: $id) { id } }"
    assert _gql(client, E_ANALYST, recs, id=chunk)["data"]["recommendations"] == []
    assert _gql(client, E_ANALYST, recs, id="no-such-entity")["data"]["recommendations"] == []
    assert _gql(client, E_ANALYST, recs, id="LEAVE-annual")["data"]["recommendations"]


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        ("a" * 300, {}, "QUERY_NOT_FOUND"),
        ("../principal", {}, "QUERY_NOT_FOUND"),
        ("upsert_nodes", {}, "QUERY_NOT_FOUND"),  # a write query is not offered
        ("principal", {"id": "E1010"}, "QUERY_NOT_FOUND"),  # nor an internal one
        ("entity_by_id", {"a`b": 1}, "BAD_INPUT"),
        ("entity_by_id", {"id": 5}, "BAD_INPUT"),
        ("approval_bottlenecks", {"limit": -1}, "BAD_INPUT"),
        ("approval_bottlenecks", {"limit": 10**12}, "BAD_INPUT"),
    ],
)
def test_bad_named_query_input_gets_a_clear_code(
    world: tuple[FalkorDBStore, TestClient], name: str, params: dict[str, Any], expected: str
) -> None:
    _, client = world
    query = "query($n: String!, $p: JSON) { namedQuery(name: $n, params: $p) }"
    body = _gql(client, E_ANALYST, query, n=name, p=params)
    assert _codes(body) == {expected}, body

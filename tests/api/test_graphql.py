"""The GraphQL API as its clients use it: tokens, roles, permission filtering on every field,
search, answers, recommendations, approval chains, named queries, pagination, batching — on the real
embedded store with the demo company. One test drives a real uvicorn server with the ``gql`` client."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from queries import load as load_query
from zhiku.settings import Settings

SALARY = "2026年度薪酬调整方案（仅限人力资源部）"
# E1030 行政部主管; E1010 人力资源部负责人 (hr); E1004 analyst; E1040 IT admin; E1031 行政专员
EMPLOYEE, HR, ANALYST, ADMIN, CLERK = "E1030", "E1010", "E1004", "E1040", "E1031"


@pytest.fixture(scope="module")
def app_settings(demo_search) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(data_dir=demo_search.directory.parent)


@pytest.fixture
def api(demo_graph, demo_search, app_settings: Settings) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """The app on the shared, read-only demo graph (a write fails the test: see tests/conftest.py)."""
    with TestClient(create_app(app_settings, store=demo_graph, search=demo_search)) as c:
        yield c


@pytest.fixture
def api_copy(demo_copy, copy_search, app_settings: Settings) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """The app on this test's own copy of the demo, for tests that write (``ask`` records a view)."""
    with TestClient(create_app(app_settings, store=demo_copy, search=copy_search)) as c:
        yield c


def gql(api: TestClient, query: str, who: str | None = EMPLOYEE, headers: dict | None = None, **variables):  # type: ignore[no-untyped-def]
    h = dict(headers or {})
    if who is not None:
        h["Authorization"] = f"Bearer {issue_token(api.app.state.zhiku.settings, who)}"
    response = api.post("/graphql", json={"query": query, "variables": variables}, headers=h)
    assert response.status_code == 200, response.text
    return response.json()


def code(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


# -- authentication ----------------------------------------------------------------------------------


def test_missing_forged_expired_and_unknown_tokens(api: TestClient, app_settings: Settings) -> None:
    assert code(gql(api, "{ me { id } }", who=None)) == "UNAUTHENTICATED"
    forged = issue_token(Settings(secret_key="another-secret-that-is-long-enough-x"), EMPLOYEE)
    body = gql(api, "{ me { id } }", who=None, headers={"Authorization": f"Bearer {forged}"})
    assert code(body) == "INVALID_TOKEN"
    expired = issue_token(app_settings, EMPLOYEE, ttl_s=-10)
    assert (
        code(gql(api, "{ me { id } }", who=None, headers={"Authorization": f"Bearer {expired}"}))
        == "INVALID_TOKEN"
    )
    assert (
        code(gql(api, "{ me { id } }", who=None, headers={"Authorization": "Basic abc"})) == "INVALID_TOKEN"
    )
    assert code(gql(api, "{ me { id } }", who="E9999")) == "UNAUTHENTICATED"
    assert "登录" in gql(api, "{ me { id } }", who=None)["errors"][0]["message"]


def test_me_comes_from_the_graph(api: TestClient) -> None:
    me = gql(
        api,
        "{ me { id name roles departments level employee { name ... on Employee { department { name } } } } }",
    )
    me = me["data"]["me"]
    assert (
        me["name"] == "朱红梅" and me["roles"] == ["employee", "manager"] and me["departments"][0] == "D-ADM"
    )
    assert me["employee"]["department"]["name"] == "行政部"


# -- permissions on every field ------------------------------------------------------------------------


def salary_doc_id(demo_graph) -> str:  # type: ignore[no-untyped-def]
    return demo_graph.query("MATCH (d:Document) WHERE d.name = $n RETURN d.id AS id", {"n": SALARY})[0]["id"]


def test_restricted_document_is_invisible_everywhere(api: TestClient, demo_graph) -> None:  # type: ignore[no-untyped-def]
    doc = salary_doc_id(demo_graph)
    q_entity = "query($id: ID!) { entity(id: $id) { id name } }"
    assert gql(api, q_entity, id=doc)["data"]["entity"] is None
    assert gql(api, q_entity, who=HR, id=doc)["data"]["entity"]["name"] == SALARY
    listing = "{ entities(type: Document, first: 100) { edges { node { name } } } }"
    names = [e["node"]["name"] for e in gql(api, listing)["data"]["entities"]["edges"]]
    assert names and SALARY not in names
    assert SALARY in [e["node"]["name"] for e in gql(api, listing, who=HR)["data"]["entities"]["edges"]]
    hood = '{ neighborhood(id: "D-HR", depth: 2) { nodes { id name } edges { source target } } }'
    nodes = gql(api, hood)["data"]["neighborhood"]["nodes"]
    assert nodes and all(n["name"] != SALARY for n in nodes)
    search = '{ search(query: "2026年调薪方案 调薪矩阵", first: 50) { edges { node { title text } } } }'
    hits = [e["node"] for e in gql(api, search)["data"]["search"]["edges"]]
    assert hits and all(h["title"] != SALARY and "调薪幅度" not in h["text"] for h in hits)
    assert gql(api, search, who=HR)["data"]["search"]["edges"][0]["node"]["title"] == SALARY
    ask = '{ ask(question: "2026年调薪矩阵是怎样的") { text citations { title } } }'
    answer = gql(api, ask)["data"]["ask"]
    assert "调薪幅度" not in answer["text"] and all(c["title"] != SALARY for c in answer["citations"])
    recs = gql(api, f'{{ recommendations(forDocument: "{doc}") {{ title }} }}')["data"]["recommendations"]
    assert recs == []


def test_relations_hide_restricted_documents(api: TestClient) -> None:
    q = '{ entity(id: "D-HR") { relations(first: 200) { targetName targetLabels } } }'
    for_outsider = gql(api, q)["data"]["entity"]["relations"]
    for_hr = gql(api, q, who=HR)["data"]["entity"]["relations"]
    assert len(for_hr) >= len(for_outsider)


# -- search, ask, recommendations ----------------------------------------------------------------------


def test_search_pages_with_cursors(api: TestClient) -> None:
    q = 'query($after: String) { search(query: "报销", first: 4, after: $after) { edges { cursor node { chunkId } } pageInfo { hasNextPage endCursor } } }'
    first = gql(api, q)["data"]["search"]
    assert len(first["edges"]) == 4 and first["pageInfo"]["hasNextPage"]
    second = gql(api, q, after=first["pageInfo"]["endCursor"])["data"]["search"]
    ids = [e["node"]["chunkId"] for e in first["edges"] + second["edges"]]
    assert len(ids) == len(set(ids)) == 8
    assert code(gql(api, q, after="garbage!")) == "BAD_INPUT"


def test_search_hits_link_entities(api: TestClient) -> None:
    q = '{ search(query: "年假怎么请", first: 3) { recognized { id surface entity { name } } edges { node { title section entities { id name } } } } }'
    data = gql(api, q)["data"]["search"]
    assert {"id": "LEAVE-annual", "surface": "年假", "entity": {"name": "年假"}} in data["recognized"]
    assert any(e["id"] == "LEAVE-annual" for edge in data["edges"] for e in edge["node"]["entities"])


def test_entity_lookups_are_batched(api: TestClient, demo_graph, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls = {"batched": 0}
    original = demo_graph.query
    batch_text = load_query("entities_by_ids").text

    def counting(text, params=None):  # type: ignore[no-untyped-def]
        if text == batch_text:
            calls["batched"] += 1
        return original(text, params)

    monkeypatch.setattr(demo_graph, "query", counting)
    body = gql(api, '{ search(query: "报销", first: 10) { edges { node { entities { id name } } } } }')
    total = sum(len(e["node"]["entities"]) for e in body["data"]["search"]["edges"])
    assert total > 10  # many entities across ten hits …
    assert calls["batched"] == 1  # … loaded with one query


def test_ask_answers_with_sources_and_follow_ups(api_copy: TestClient) -> None:
    api = api_copy  # ask records a view
    answer = gql(
        api,
        '{ ask(question: "年假可以按小时请吗") { id text answered confidence citations { title uri snippet } about { id } followUps } }',
    )
    answer = answer["data"]["ask"]
    assert answer["answered"] and "半天" in answer["text"]
    assert answer["citations"] and answer["citations"][0]["uri"].startswith("file://")
    assert {"id": "LEAVE-annual"} in answer["about"]
    assert answer["followUps"] and 0.6 <= answer["confidence"] <= 1
    unknown = gql(api, '{ ask(question: "周杰伦的新歌叫什么") { answered text confidence } }')["data"]["ask"]
    assert not unknown["answered"] and "转人工" in unknown["text"]


def test_recommendations_need_exactly_one_target(api_copy: TestClient) -> None:
    api = api_copy  # a colleague's ask records a view
    recs = gql(api, '{ recommendations(forEntity: "LEAVE-annual", first: 6) { kind id title reason } }')
    kinds = {r["kind"] for r in recs["data"]["recommendations"]}
    assert {"document", "process"} <= kinds
    assert code(gql(api, "{ recommendations { id } }")) == "BAD_INPUT"
    assert code(gql(api, '{ recommendations(forEntity: "X", forMe: true) { id } }')) == "BAD_INPUT"
    gql(api, '{ ask(question: "出差住宿标准是多少") { id } }', who=CLERK)  # a colleague reads travel policy
    mine = gql(api, "{ recommendations(forMe: true) { title reason } }")["data"]["recommendations"]
    assert mine and "同事" in mine[0]["reason"]


# -- approvals -----------------------------------------------------------------------------------------


def test_who_approves_resolves_people_under_conditions(api: TestClient) -> None:
    q = (
        "query($p: String!, $a: Float, $applicant: ID) { whoApproves(process: $p, amount: $a, applicant: $applicant)"
        " { processId applicantName steps { name mode condition approvers { id name role } } skipped { name } } }"
    )
    small = gql(api, q, p="费用报销", a=800.0)["data"]["whoApproves"]
    big = gql(api, q, p="PROC-EXPENSE", a=8000.0)["data"]["whoApproves"]
    assert small["processId"] == "PROC-EXPENSE" and small["applicantName"] == "朱红梅"
    assert [s["name"] for s in small["steps"]] == ["直属上级审批", "会计审核"]
    assert "财务总监审批" in [s["name"] for s in big["steps"]]
    assert big["skipped"] == [{"name": "总经理审批"}]
    # a clerk may not look up a manager's chain; the manager may look up the clerk's
    assert code(gql(api, q, who=CLERK, p="费用报销", a=1.0, applicant=EMPLOYEE)) == "FORBIDDEN"
    for_report = gql(api, q, who=EMPLOYEE, p="费用报销", a=1.0, applicant=CLERK)
    assert for_report["data"]["whoApproves"]["applicantName"] == "胡小军"
    assert code(gql(api, q, p="不存在的流程")) == "NOT_FOUND"
    assert code(gql(api, q, p="费用报销", a=-5.0)) == "BAD_INPUT"


def test_who_approves_the_engine_and_the_summary_say_the_same_mode(api_copy: TestClient) -> None:
    """会计审核 names one role that three accountants hold: any one decides, so it is 或签 everywhere
    (docs/approvals.md) — and a rejection needs a comment."""
    api = api_copy
    q = 'query { whoApproves(process: "费用报销", amount: 800) { steps { name mode declaredMode approvers { id } } } }'
    steps = gql(api, q)["data"]["whoApproves"]["steps"]
    accounting = steps[1]
    assert (accounting["name"], accounting["mode"], accounting["declaredMode"]) == (
        "会计审核",
        "或签",
        "依次",
    )
    assert len(accounting["approvers"]) == 3
    submit = (
        'mutation { submitApproval(process: "费用报销", amount: 800, reason: "打车") { instance { id } } }'
    )
    inst = gql(api, submit)["data"]["submitApproval"]["instance"]["id"]
    act = (
        "mutation($id: ID!, $a: ApprovalAction!, $c: String!) { actOnApproval(id: $id, action: $a, comment: $c)"
        " { applied instance { status summary steps { mode } } } }"
    )
    try:
        done = gql(api, act, who="E1002", id=inst, a="APPROVE", c="")["data"]["actOnApproval"]
        assert done["applied"] and "会计审核”（或签）" in done["instance"]["summary"]
        assert [s["mode"] for s in done["instance"]["steps"]] == [s["mode"] for s in steps]
        no_reason = gql(api, act, who="E1021", id=inst, a="REJECT", c=" ")
        assert code(no_reason) == "BAD_INPUT" and "意见" in no_reason["errors"][0]["message"]
        rejected = gql(api, act, who="E1021", id=inst, a="REJECT", c="缺少发票")["data"]["actOnApproval"]
        assert rejected["applied"] and rejected["instance"]["status"] == "rejected"
    finally:
        api.app.state.zhiku.store.execute(  # type: ignore[attr-defined]
            "MATCH (i:ApprovalInstance {id: $id}) OPTIONAL MATCH (a:ApprovalAction)-[:ACTION_ON]->(i) DETACH DELETE i, a",
            {"id": inst},
        )


def test_approval_process_lookup(api: TestClient) -> None:
    one = gql(
        api,
        '{ approvalProcess(name: "请假") { id name ... on ApprovalProcess { slaHours steps { order mode condition approverRoles } forms { name } } } }',
    )
    process = one["data"]["approvalProcess"]
    assert process["id"] == "PROC-LEAVE" and process["forms"][0]["name"] == "请假申请单"
    assert [s["mode"] for s in process["steps"]][2] == "或签"
    listed = gql(api, '{ approvalProcesses(owner: "D-FIN") { id } }')["data"]["approvalProcesses"]
    assert {"id": "PROC-EXPENSE"} in listed


# -- analysts and admins -------------------------------------------------------------------------------


def test_named_queries_for_analysts_only(api: TestClient) -> None:
    q = "query($n: String!, $p: JSON) { namedQuery(name: $n, params: $p) }"
    assert code(gql(api, q, n="label_counts")) == "FORBIDDEN"
    rows = gql(api, q, who=ANALYST, n="entity_by_id", p={"id": "E1001"})["data"]["namedQuery"]
    assert rows[0]["id"] == "E1001"
    assert code(gql(api, q, who=ANALYST, n="entity_by_id", p={"id": 5})) == "BAD_INPUT"
    assert code(gql(api, q, who=ANALYST, n="entity_by_id", p={"nope": 1})) == "BAD_INPUT"
    assert code(gql(api, q, who=ANALYST, n="upsert_nodes")) == "QUERY_NOT_FOUND"  # internal / write
    assert code(gql(api, q, who=ANALYST, n="../pyproject")) == "QUERY_NOT_FOUND"
    catalogue = gql(api, "{ namedQueries { name params } }", who=ANALYST)["data"]["namedQueries"]
    assert "label_counts" in [c["name"] for c in catalogue] and "upsert_nodes" not in [
        c["name"] for c in catalogue
    ]


def test_named_query_parameters_take_defaults_and_missing_ones_are_named(api: TestClient) -> None:
    q = "query($n: String!, $p: JSON) { namedQuery(name: $n, params: $p) }"
    # skip and limit come from the header's defaults (0, 50); type and name may be null
    rows = gql(api, q, who=ANALYST, n="entities_page")["data"]["namedQuery"]
    assert len(rows) == 50 and rows == sorted(rows, key=lambda r: r["id"])
    # reporting_line's id has no default: a clear error naming it, not an empty answer
    body = gql(api, q, who=ANALYST, n="reporting_line")
    assert code(body) == "BAD_INPUT" and body["data"] is None
    error = body["errors"][0]
    assert "缺少必填参数：id" in error["message"] and error["extensions"]["message_en"].endswith(": id")
    line = gql(api, q, who=ANALYST, n="reporting_line", p={"id": CLERK})["data"]["namedQuery"]
    assert line[0]["id"] == EMPLOYEE  # 行政专员 reports to 行政部主管
    assert code(gql(api, q, who=ANALYST, n="entities_page", p=["skip", 0])) == "BAD_INPUT"


def test_feedback_is_recorded_only_on_an_answer_the_caller_received(api_copy: TestClient, demo_copy) -> None:  # type: ignore[no-untyped-def]
    api, store = api_copy, demo_copy
    answer_id = gql(api, '{ ask(question: "公司有健身房吗") { id } }')["data"]["ask"]["id"]
    m = 'mutation($a: ID!) { feedback(answerId: $a, question: "公司有健身房吗", helpful: false, comment: "没找到") { id recorded } }'
    before = store.query("MATCH (f:Feedback) RETURN count(f) AS n")[0]["n"]
    made_up, tampered = "ans-1", answer_id[:-1] + ("0" if answer_id[-1] != "0" else "1")
    for who, given in ((EMPLOYEE, made_up), (EMPLOYEE, tampered), (HR, answer_id), (EMPLOYEE, "ans-x.é")):
        body = gql(api, m, who=who, a=given)
        assert code(body) == "NOT_FOUND" and "ask" in body["errors"][0]["message"], (who, given, body)
    assert store.query("MATCH (f:Feedback) RETURN count(f) AS n")[0]["n"] == before  # nothing written
    result = gql(api, m, a=answer_id)["data"]["feedback"]
    rows = store.query(
        "MATCH (f:Feedback {id: $id})-[:GIVEN_BY]->(e) RETURN f.helpful AS h, e.id AS e, f.answerId AS a",
        {"id": result["id"]},
    )
    assert rows == [{"h": False, "e": EMPLOYEE, "a": answer_id.rpartition(".")[0]}]
    assert rows[0]["a"].startswith("ans-")


def test_ingest_is_for_admins_inside_the_allowed_roots(  # type: ignore[no-untyped-def]
    demo_copy, copy_search_writable, app_settings
) -> None:
    """On a copy of the demo and of its index: ingesting writes to both."""
    m = "mutation($p: [String!]!) { ingest(paths: $p) { documents unchanged rejected chunksIndexed } }"
    from demo.load import DEMO_DIR

    allowed = app_settings.model_copy(update={"ingest_roots": [DEMO_DIR / "docs"]})
    with TestClient(create_app(allowed, store=demo_copy, search=copy_search_writable)) as api:
        assert code(gql(api, m, p=[str(DEMO_DIR / "docs")])) == "FORBIDDEN"
        assert code(gql(api, m, who=ADMIN, p=["/etc"])) == "BAD_INPUT"
        done = gql(api, m, who=ADMIN, p=[str(DEMO_DIR / "docs" / "annual-leave.md")])["data"]["ingest"]
    assert done["unchanged"] == 1 and done["chunksIndexed"] > 300 and done["rejected"] == []


def test_ingest_without_allowed_roots_is_refused_not_the_demo(api: TestClient) -> None:
    """With ZHIKU_INGEST_ROOTS unset the mutation says the setting is needed (it used to fall back to
    the demo's documents), and nothing is read."""
    from demo.load import DEMO_DIR

    assert api.app.state.zhiku.settings.ingest_roots == []
    m = "mutation($p: [String!]!) { ingest(paths: $p) { documents } }"
    result = gql(api, m, who=ADMIN, p=[str(DEMO_DIR / "docs" / "annual-leave.md")])
    assert not (result.get("data") or {}).get("ingest")
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "CONFIG_INVALID"
    assert (
        "ZHIKU_INGEST_ROOTS" in error["message"] and "ZHIKU_INGEST_ROOTS" in error["extensions"]["message_en"]
    )


def test_crawl_sources_are_for_admins(
    api: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crawlers.state import CrawlState, RunCounts

    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "- {name: hr-site, start_urls: ['http://intranet.test/hr/'], every: 15m}\n", encoding="utf-8"
    )
    settings = api.app.state.zhiku.settings
    monkeypatch.setattr(settings, "crawl_sources", sources)
    state = CrawlState(settings.data_dir)
    run = state.start_run("hr-site")
    state.record("hr-site", "http://intranet.test/hr/old.html", status=500, error="HTTP 500")
    state.finish_run(run, "ok", RunCounts(pages=7, new=2, changed=1, errors=1), {})
    state.set_next_run("hr-site", 4_102_444_800.0)
    q = "{ crawlSources { name schedule outcome pages new changed errors nextRunAt recentErrors } }"
    assert code(gql(api, q)) == "FORBIDDEN"
    (row,) = gql(api, q, who=ADMIN)["data"]["crawlSources"]
    assert (row["name"], row["schedule"], row["outcome"], row["pages"], row["new"], row["changed"]) == (
        "hr-site",
        "15m",
        "ok",
        7,
        2,
        1,
    )
    assert row["nextRunAt"].startswith("2100-01-01") and row["recentErrors"] == [
        "http://intranet.test/hr/old.html: HTTP 500"
    ]


# -- bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b'{"query": 5}',
        b'{"query": "{ entity(id: \\"E1\\") { nope } }"}',
        b'{"query": "query($f: Int!) { search(query: \\"x\\", first: $f) { message } }", "variables": {"f": "ten"}}',
        b'{"query": "{ search(query: \\"x\\", first: 100000) { message } }"}',
    ],
)
def test_malformed_requests_get_clear_errors(api: TestClient, app_settings: Settings, payload: bytes) -> None:
    token = issue_token(app_settings, EMPLOYEE)
    response = api.post(
        "/graphql",
        content=payload,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code in (200, 400)
    assert "Traceback" not in response.text
    body = response.json()
    assert body.get("errors") or body.get("detail")


def test_huge_strings_and_many_aliases(api: TestClient) -> None:
    long = gql(
        api,
        "query($q: String!) { search(query: $q, first: 3) { message edges { node { title } } } }",
        q="年假" * 20000,
    )
    assert long["data"]["search"]["message"]
    aliases = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(1000)) + " }"
    response = api.post("/graphql", json={"query": aliases})
    assert response.status_code in (200, 400, 413)


# -- a real client over HTTP ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_real_graphql_client_over_http(demo_copy, copy_search, app_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    import uvicorn
    from gql import Client
    from gql import gql as parse
    from gql.transport.httpx import HTTPXTransport

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(app_settings, store=demo_copy, search=copy_search),  # ask records a view
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        token = issue_token(app_settings, EMPLOYEE)
        transport = HTTPXTransport(
            url=f"http://127.0.0.1:{port}/graphql", headers={"Authorization": f"Bearer {token}"}
        )
        with Client(transport=transport, fetch_schema_from_transport=True) as session:
            result = session.execute(
                parse('query { ask(question: "公司有班车吗") { answered text citations { title } } }')
            )
            assert result["ask"]["answered"] and "通勤巴士" in result["ask"]["text"]
            request = parse(
                'query($a: Float) { whoApproves(process: "费用报销", amount: $a) { steps { name } } }'
            )
            request.variable_values = {"a": 6000.0}
            chain = session.execute(request)
            assert "财务总监审批" in [s["name"] for s in chain["whoApproves"]["steps"]]
        asyncio.run(_subscriptions(port, token, copy_search.stats()["chunks"]))
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def _subscriptions(port: int, token: str, chunks: int) -> None:
    """graphql-transport-ws: the token in connection_init's payload; refused without one, and from a
    foreign browser origin."""
    from gql import Client
    from gql import gql as parse
    from gql.transport.exceptions import TransportQueryError
    from gql.transport.websockets import WebsocketsTransport

    url = f"ws://127.0.0.1:{port}/graphql"
    protocol = [WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL]
    status = parse("subscription { indexStatus { version chunks model } }")
    ws = WebsocketsTransport(
        url=url, subprotocols=protocol, init_payload={"Authorization": f"Bearer {token}"}
    )
    async with Client(transport=ws) as session:
        async for first in session.subscribe(status):
            assert first["indexStatus"]["chunks"] == chunks
            break
    anonymous = WebsocketsTransport(url=url, subprotocols=protocol)
    async with Client(transport=anonymous) as session:
        with pytest.raises(TransportQueryError) as refused:
            async for _ in session.subscribe(status):
                break
    assert "UNAUTHENTICATED" in str(refused.value)
    foreign = WebsocketsTransport(
        url=url, subprotocols=protocol, headers={"Origin": "https://evil.example"},
        init_payload={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    with pytest.raises(Exception):  # noqa: B017,PT011 - the handshake itself is refused
        async with Client(transport=foreign) as session:
            async for _ in session.subscribe(status):
                break


def test_who_read_what_is_not_shown_to_colleagues(api_copy: TestClient) -> None:
    """``ask`` records a VIEWED edge (for recommendations); it is personal activity: not part of the
    employee's relations or neighbourhood for anyone but an admin."""
    api = api_copy
    answered = gql(api, '{ ask(question: "公司有班车吗") { answered } }', who=CLERK)
    assert answered["data"]["ask"]["answered"]
    query = '{ entity(id: "E1031") { relations(first: 200) { type } } neighborhood(id: "E1031") { edges { type } } }'
    seen = gql(api, query, who=EMPLOYEE)["data"]
    assert "VIEWED" not in {r["type"] for r in seen["entity"]["relations"]}
    assert "VIEWED" not in {e["type"] for e in seen["neighborhood"]["edges"]}
    admin = gql(api, query, who=ADMIN)["data"]
    assert "VIEWED" in {r["type"] for r in admin["entity"]["relations"]}

"""The web console as the API serves it (api/web.py) and the GraphQL fields it reads
(api/graphql/console.py), on the demo company. The bundle here is a small stand-in written to a
temporary directory (``ZHIKU_WEB_DIR``), so this runs without Node; ``make web-test`` drives the
real bundle in a browser (tests/web/)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from chat.questions import PREFIX, UNANSWERED
from zhiku.settings import Settings

KE, ANALYST, EMPLOYEE, HR = "E1003", "E1004", "E1030", "E1010"
SALARY = "2026年度薪酬调整方案（仅限人力资源部）"
PAGE = (
    '<!doctype html><html><head><meta name="csp-nonce" content="__CSP_NONCE__">'
    '<script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>'
)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web-dist")
    (root / "assets").mkdir()
    (root / "index.html").write_text(PAGE, encoding="utf-8")
    (root / "graphiql.html").write_text(PAGE.replace("index-abc123", "graphiql-def456"), encoding="utf-8")
    (root / "assets" / "index-abc123.js").write_text("console.log('zhiku')", encoding="utf-8")
    swagger = root / "vendor" / "swagger-ui"
    swagger.mkdir(parents=True)
    (swagger / "swagger-ui-bundle.js").write_text("/* swagger */", encoding="utf-8")
    return root


@pytest.fixture
def web(demo_graph, demo_search, bundle: Path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=demo_search.directory.parent, web_dir=bundle)
    with TestClient(create_app(settings, store=demo_graph, search=demo_search)) as client:
        yield client
    kv = client.app.state.zhiku.dialog.questions.kv  # type: ignore[attr-defined]
    for key in [*kv.scan_iter(PREFIX + "*"), *kv.scan_iter(UNANSWERED + "*")]:
        kv.delete(key)


@pytest.fixture
def web_copy(demo_copy, copy_search, demo_search, bundle: Path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """The console's app on a copy of the demo: for the tests that ask (an answer records who read what)."""
    settings = Settings(data_dir=demo_search.directory.parent, web_dir=bundle)
    with TestClient(create_app(settings, store=demo_copy, search=copy_search)) as client:
        yield client
    kv = client.app.state.zhiku.dialog.questions.kv  # type: ignore[attr-defined]
    for key in [*kv.scan_iter(PREFIX + "*"), *kv.scan_iter(UNANSWERED + "*")]:
        kv.delete(key)


def gql(client: TestClient, query: str, who: str, **variables: object) -> dict:  # type: ignore[type-arg]
    token = issue_token(client.app.state.zhiku.settings, who)  # type: ignore[attr-defined]
    response = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body


# -- serving -------------------------------------------------------------------------------------------


def test_root_and_client_routes_serve_the_page_with_a_strict_csp_and_a_fresh_nonce(web: TestClient) -> None:
    first, second = web.get("/"), web.get("/kb/hit-test")
    assert first.status_code == second.status_code == 200
    assert 'id="root"' in first.text and 'id="root"' in second.text
    nonces = []
    for response in (first, second):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        nonce = re.search(r"'nonce-([^']+)'", csp)
        assert nonce and f'content="{nonce.group(1)}"' in response.text  # the page knows its nonce
        assert "__CSP_NONCE__" not in response.text
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-frame-options"] == "DENY"
        nonces.append(nonce.group(1))
    assert nonces[0] != nonces[1]


def test_an_attachment_link_opens_the_console_page_that_signs_in_not_the_bare_file(web: TestClient) -> None:
    """Cards and chat answers link to ``/attachment/ID`` (approvals.attachments.open_path): a tap
    without a bearer token gets the console (which signs in, then fetches the file with the token),
    while the file itself stays behind the token."""
    from approvals.attachments import download_path, open_path

    page = web.get(open_path("ATT-1"))
    assert page.status_code == 200 and 'id="root"' in page.text
    assert web.get(download_path("ATT-1")).status_code == 401


def test_assets_are_cached_for_a_year_and_unknown_files_or_api_paths_stay_404(web: TestClient) -> None:
    asset = web.get("/assets/index-abc123.js")
    assert asset.status_code == 200 and "zhiku" in asset.text
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert web.get("/assets/missing-000.js").status_code == 404
    assert web.get("/favicon.ico").status_code == 404  # a file name never falls back to the page
    assert web.get("/graphql/nothing-here").status_code == 404
    assert web.get("/healthz").status_code == 200  # the API's own routes keep answering


def test_graphiql_and_docs_are_served_from_the_bundle_not_a_cdn(web: TestClient) -> None:
    ide = web.get("/graphql", headers={"Accept": "text/html"})
    assert ide.status_code == 200 and "graphiql-def456" in ide.text and "unpkg" not in ide.text
    docs = web.get("/docs")
    assert docs.status_code == 200
    assert "/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text and "cdn.jsdelivr" not in docs.text


def test_a_missing_bundle_is_a_clear_404(demo_graph, demo_search, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=demo_search.directory.parent, web_dir=tmp_path)
    with TestClient(create_app(settings, store=demo_graph, search=demo_search)) as client:
        response = client.get("/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "WEB_NOT_BUILT"


# -- development sign-in ------------------------------------------------------------------------------


def test_development_login_lists_personas_and_issues_a_working_token(web: TestClient) -> None:
    personas = web.get("/auth/dev/personas").json()["personas"]
    ke = next(p for p in personas if p["id"] == KE)
    assert ke["name"] == "周文博" and "knowledge_engineer" in ke["roles"]
    login = web.post("/auth/dev/login", json={"employee": ANALYST})
    assert login.status_code == 200 and "analyst" in login.json()["roles"]
    me = web.post(
        "/graphql",
        json={"query": "{ me { id name } }"},
        headers={"Authorization": f"Bearer {login.json()['token']}"},
    ).json()
    assert me["data"]["me"] == {"id": ANALYST, "name": "吴思琪"}
    unknown = web.post("/auth/dev/login", json={"employee": "E9999"})
    assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "UNAUTHENTICATED"


def test_production_has_no_development_login(demo_graph, demo_search, bundle: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(
        data_dir=demo_search.directory.parent,
        web_dir=bundle,
        env="production",
        secret_key="a-production-secret-that-is-long-enough-0123456789",
    )
    with TestClient(create_app(settings, store=demo_graph, search=demo_search)) as client:
        assert client.post("/auth/dev/login", json={"employee": KE}).status_code == 404
        assert client.get("/auth/dev/personas").status_code == 404
        assert client.get("/").status_code == 200  # the console itself is served in production


# -- the console's GraphQL fields ---------------------------------------------------------------------

HIT_TEST = """query($q: String!, $as: ID) { hitTest(question: $q, asEmployee: $as, first: 10) {
  asEmployee asName withheld hits { rank title section headingPath text score
  scores { keywordRank keyword denseRank denseCosine dense entities } } } }"""


def test_hit_test_ranks_chunks_with_component_scores_as_the_chosen_employee(web: TestClient) -> None:
    body = gql(web, HIT_TEST, KE, q="年假怎么请", **{"as": EMPLOYEE})
    result = body["data"]["hitTest"]
    assert result["asEmployee"] == EMPLOYEE and result["asName"]
    hits = result["hits"]
    assert hits and [h["rank"] for h in hits] == sorted(h["rank"] for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    top = hits[0]
    assert "年假" in top["title"] + top["section"] + top["text"]
    scores = top["scores"]
    assert scores["keywordRank"] or scores["denseRank"]
    # the components as they are: the raw BM25 score of a keyword hit, the dense cosine (search/fusion.py)
    for hit in hits:
        s = hit["scores"]
        assert (s["keyword"] > 0) == (s["keywordRank"] is not None)
        assert s["denseCosine"] is None or s["dense"] == pytest.approx(s["denseCosine"], abs=1e-4)
    assert scores["keyword"] > 1 and 0 < scores["dense"] < 1  # BM25 is unbounded, a cosine is not


def test_hit_test_never_shows_the_caller_what_they_may_not_read(web: TestClient) -> None:
    # As HR's head the salary plan ranks; the knowledge engineer (not HR) is told it exists, not shown it.
    body = gql(web, HIT_TEST, KE, q="2026年度薪酬调整方案", **{"as": HR})
    result = body["data"]["hitTest"]
    assert all(h["title"] != SALARY for h in result["hits"])
    assert result["withheld"] >= 1
    # an employee may not hit-test at all
    denied = gql(web, HIT_TEST, EMPLOYEE, q="年假", **{"as": HR})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_document_chunks_lead_a_citation_to_its_section(web_copy: TestClient) -> None:
    web = web_copy
    ask = gql(web, '{ ask(question: "年假怎么请") { citations { documentId chunkId } } }', EMPLOYEE)
    cited = ask["data"]["ask"]["citations"][0]
    body = gql(
        web,
        "query($id: ID!) { documentChunks(id: $id) { id ordinal section anchor text } }",
        EMPLOYEE,
        id=cited["documentId"],
    )
    chunks = body["data"]["documentChunks"]
    assert cited["chunkId"] in [c["id"] for c in chunks]
    assert [c["ordinal"] for c in chunks] == sorted(c["ordinal"] for c in chunks)
    # a document the caller may not read has no chunks for them
    salary = gql(web, '{ entities(type: Document, name: "薪酬调整") { edges { node { id } } } }', HR)
    salary_id = salary["data"]["entities"]["edges"][0]["node"]["id"]
    hidden = gql(web, "query($id: ID!) { documentChunks(id: $id) { id } }", EMPLOYEE, id=salary_id)
    assert hidden["data"]["documentChunks"] == []


def test_question_stats_count_answered_and_unanswered_questions_for_analysts(web_copy: TestClient) -> None:
    web = web_copy
    gql(web, '{ ask(question: "年假怎么请") { answered } }', EMPLOYEE)
    for _ in range(2):
        assert (
            gql(web, '{ ask(question: "火星基地的停车位怎么预约") { answered } }', EMPLOYEE)["data"]["ask"][
                "answered"
            ]
            is False
        )
    stats = gql(
        web,
        "{ questionStats(days: 7) { days { day answered unanswered } topUnanswered { question count } } }",
        ANALYST,
    )
    days = stats["data"]["questionStats"]["days"]
    assert len(days) == 7 and days[-1]["answered"] >= 1 and days[-1]["unanswered"] >= 2
    top = stats["data"]["questionStats"]["topUnanswered"][0]
    assert top == {"question": "火星基地的停车位怎么预约", "count": 2}
    denied = gql(web, "{ questionStats { days { day } } }", EMPLOYEE)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"

"""``POST /api/uploads`` as the web console's upload page uses it, on the demo org (no documents) in a
fresh graph: a knowledge engineer's file is ingested with the scope they chose (chunks in the graph
and the index, readable by that scope only); an unchanged re-upload changes nothing; oversized,
unsupported and corrupt files, unknown or unreadable scopes and the wrong roles are refused with a
Chinese message and nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from graph.falkordb_store import FalkorDBStore
from zhiku.settings import Settings

KE, EMPLOYEE, VP = "E1003", "E1030", "E1002"  # KE and VP in 总经办 (D-GMO); the employee in 行政部
DOC = "# 总经办值班安排\n\n## 周末值班\n\n总经办周末值班由周文博负责，值班电话 8001。\n".encode()
CHUNKS = "query($id: ID!) { entity(id: $id) { id name } documentChunks(id: $id) { text } }"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, graph_dir: Path, onto: Any) -> Iterator[TestClient]:
    from demo.load import load_demo
    from tests.conftest import _fresh_graph

    for store in _fresh_graph(graph_dir, "uploads"):
        load_demo(store, onto)
        data = tmp_path_factory.mktemp("uploads")
        settings = Settings(data_dir=data, ingest_max_bytes=20_000)
        with TestClient(create_app(settings, store=store)) as client:
            yield client


def token(api: TestClient, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(api.app.state.zhiku.settings, who)}"}  # type: ignore[attr-defined]


def upload(api: TestClient, name: str, body: bytes, who: str = KE, **params: Any) -> Any:
    return api.post("/api/uploads", params={"name": name, **params}, content=body, headers=token(api, who))


def documents(api: TestClient) -> int:
    store: FalkorDBStore = api.app.state.zhiku.store  # type: ignore[attr-defined]
    return int(store.query("MATCH (d:Document) RETURN count(d) AS n")[0]["n"])


def gql(api: TestClient, who: str, query: str, **variables: Any) -> dict[str, Any]:
    r = api.post("/graphql", json={"query": query, "variables": variables}, headers=token(api, who))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.slow  # ~8 s: extraction and the index sync (the browser test uploads too)
def test_an_upload_is_ingested_with_the_chosen_scope_and_readable_by_that_scope_only(api: TestClient) -> None:
    r = upload(api, "值班安排.md", DOC, departments=["D-GMO"], level=3)
    assert r.status_code == 200, r.text
    made = r.json()
    assert made["outcome"] == "new" and made["document"]["title"] == "值班安排"
    assert made["chunks"] >= 1 and made["indexedChunks"] >= made["chunks"]
    doc = made["document"]["id"]
    seen = gql(api, VP, CHUNKS, id=doc)["data"]
    assert seen["entity"]["id"] == doc and "8001" in "".join(c["text"] for c in seen["documentChunks"])
    assert gql(api, EMPLOYEE, CHUNKS, id=doc)["data"]["entity"] is None  # 行政部 may not read it
    search = gql(api, VP, '{ search(query: "周末值班电话") { edges { node { documentId } } } }')
    assert doc in [e["node"]["documentId"] for e in search["data"]["search"]["edges"]]

    again = upload(api, "值班安排.md", DOC, departments=["D-GMO"], level=3).json()
    assert again["outcome"] == "unchanged" and again["document"]["id"] == doc


@pytest.mark.parametrize(
    ("name", "body", "params", "status", "says"),
    [
        ("病毒.exe", b"MZ\x90\x00", {}, 400, "不支持的文件类型"),
        ("大文件.md", b"# x\n\n" + "字".encode() * 10_000, {}, 413, "文件过大"),
        ("坏的.pdf", b"%PDF-1.4 this is not a pdf", {}, 400, ""),
        ("空的.md", b"   \n", {}, 400, "文件为空"),
        ("人事.md", DOC, {"departments": ["D-HR"]}, 400, "你无法查看"),
        ("无.md", DOC, {"departments": ["D-NOPE"]}, 400, "没有这个部门"),
    ],
)
def test_a_bad_file_or_scope_is_refused_with_a_chinese_message_and_nothing_stored(
    api: TestClient, name: str, body: bytes, params: dict[str, Any], status: int, says: str
) -> None:
    before = documents(api)
    r = upload(api, name, body, **params)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert says in error["message"] and error["message_en"] and error["code"]
    assert documents(api) == before


def test_only_knowledge_engineers_upload_and_a_token_is_needed(api: TestClient) -> None:
    before = documents(api)
    refused = upload(api, "a.md", DOC, who=EMPLOYEE)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"
    anonymous = api.post("/api/uploads", params={"name": "a.md"}, content=DOC)
    assert anonymous.status_code == 401
    assert documents(api) == before

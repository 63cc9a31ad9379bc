"""``POST /api/applications/{id}/attachments``, ``GET`` / ``DELETE /api/attachments/{id}`` and the
GraphQL ``attachments`` field on a live app over the demo org in a fresh graph: the applicant attaches an
invoice, the people of the application download it (signed in), a stranger and an anonymous caller do
not; too large, an executable renamed .pdf, an empty file and an unknown application are refused with a
clear error and nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from zhiku.settings import Settings

APPLICANT, STRANGER, ADMIN, CASHIER = "E1062", "E1030", "E1001", "E1023"  # none but E1001 an admin
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + b"\x40\x00\x00\x00PE\x00\x00"
)
INSTANCE = """query($id: ID!) { approvalInstance(id: $id) {
  attachments { id name size type mime addedById step url } audit { kind actorId } } }"""


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, graph_dir: Path, onto: Any) -> Iterator[TestClient]:
    from demo.load import load_demo
    from tests.conftest import _fresh_graph

    for store in _fresh_graph(graph_dir, "attachments"):
        load_demo(store, onto)
        settings = Settings(data_dir=tmp_path_factory.mktemp("attachments"))
        with TestClient(create_app(settings, store=store)) as client:
            yield client


def auth(api: TestClient, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(api.app.state.zhiku.settings, who)}"}  # type: ignore[attr-defined]


def expense(api: TestClient) -> Any:
    engine = api.app.state.zhiku.approvals  # type: ignore[attr-defined]
    return engine.submit("PROC-EXPENSE", applicant=APPLICANT, amount=800, reason="客户招待").instance


def attach(
    api: TestClient, instance: str, name: str, body: bytes, who: str = APPLICANT, **headers: str
) -> Any:
    return api.post(
        f"/api/applications/{instance}/attachments",
        params={"name": name},
        content=body,
        headers={**auth(api, who), **headers},
    )


def stored(api: TestClient) -> list[Path]:
    root: Path = api.app.state.zhiku.settings.attachments_dir  # type: ignore[attr-defined]
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_people_of_an_application_download_its_attachment_and_no_one_else(api: TestClient) -> None:
    inst = expense(api)
    r = attach(api, inst.id, "出租车发票.pdf", PDF)
    assert r.status_code == 200, r.text
    made = r.json()
    att = made["attachment"]
    assert made["applied"] and att["type"] == "pdf" and att["size"] == len(PDF)
    assert att["url"] == f"/api/attachments/{att['id']}"  # no token or signature in the link

    q = api.post(
        "/graphql", json={"query": INSTANCE, "variables": {"id": inst.id}}, headers=auth(api, APPLICANT)
    )
    seen = q.json()["data"]["approvalInstance"]
    assert [a["name"] for a in seen["attachments"]] == ["出租车发票.pdf"]
    assert {"kind": "attach", "actorId": APPLICANT} in seen["audit"]

    for who in (APPLICANT, inst.pending[0], CASHIER, ADMIN):  # the cashier is copied (抄送)
        got = api.get(att["url"], headers=auth(api, who))
        assert got.status_code == 200 and got.content == PDF, who
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
        assert got.headers["x-content-type-options"] == "nosniff"
    stranger = api.get(att["url"], headers=auth(api, STRANGER))
    assert stranger.status_code == 404 and stranger.json()["error"]["code"] == "NOT_FOUND"
    assert "无权查看" in stranger.json()["error"]["message"]
    anonymous = api.get(att["url"])
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("name", "body", "headers", "status", "code", "says"),
    [
        ("发票.pdf", PE, {}, 415, "ATTACHMENT_TYPE_REFUSED", "不能上传程序或脚本"),
        ("发票.pdf", b"", {}, 400, "ATTACHMENT_REFUSED", "附件为空"),
        ("发票.pdf", PDF + b"0" * (10 * 1_048_576), {}, 413, "ATTACHMENT_TOO_LARGE", "10.0 MB"),
        ("说明.docx", b"PK\x03\x04" + b"\x00" * 60, {}, 415, "ATTACHMENT_TYPE_REFUSED", "不支持的附件类型"),
    ],
)
def test_bad_files_are_refused_clearly_and_nothing_is_stored(
    api: TestClient, name: str, body: bytes, headers: dict[str, str], status: int, code: str, says: str
) -> None:
    before = stored(api)
    inst = expense(api)
    r = attach(api, inst.id, name, body, **headers)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and says in error["message"] and error["message_en"]
    assert stored(api) == before
    engine = api.app.state.zhiku.approvals  # type: ignore[attr-defined]
    assert "attach" not in [a["kind"] for a in engine.get(inst.id).actions]


def test_an_unknown_application_or_a_stranger_cannot_attach(api: TestClient) -> None:
    before = stored(api)
    unknown = attach(api, "AP-20260302-nosuchthing", "发票.pdf", PDF)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "NOT_FOUND"
    stranger = attach(api, expense(api).id, "发票.pdf", PDF, who=STRANGER)
    assert stranger.status_code == 404  # as if the application did not exist
    assert stored(api) == before


def test_who_attached_a_file_removes_it_then_it_is_gone(api: TestClient) -> None:
    inst = expense(api)
    att = attach(api, inst.id, "行程单.pdf", PDF + b"%trip").json()["attachment"]
    not_theirs = api.delete(att["url"], headers=auth(api, inst.pending[0]))
    assert not_theirs.status_code == 403 and not_theirs.json()["error"]["code"] == "NOT_AN_APPROVER"
    removed = api.delete(att["url"], headers=auth(api, APPLICANT))
    assert removed.status_code == 200 and removed.json()["applied"]
    assert api.get(att["url"], headers=auth(api, APPLICANT)).status_code == 404
    engine = api.app.state.zhiku.approvals  # type: ignore[attr-defined]
    assert [a["kind"] for a in engine.get(inst.id).actions][-2:] == ["attach", "detach"]


def docx(text: str) -> bytes:
    import io

    import docx as python_docx

    document = python_docx.Document()
    document.add_heading("采购合同", level=1)
    document.add_paragraph(text)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


SEARCH = "query($q: String!) { search(query: $q) { edges { node { documentId } } } }"


@pytest.mark.slow  # ~10 s: extraction and the index sync
def test_a_contract_is_ingested_for_admins_only_and_leaves_with_its_attachment(api: TestClient) -> None:
    engine = api.app.state.zhiku.approvals  # type: ignore[attr-defined]
    inst = engine.submit("PROC-CONTRACT", applicant=APPLICANT, amount=80000, reason="服务器采购").instance
    text = "甲方云杉科技向乙方采购服务器二十台，违约金为合同总额的百分之七，质保期三年。"
    r = attach(api, inst.id, "服务器采购合同.docx", docx(text))
    assert r.status_code == 200, r.text
    assert r.json()["ingested"] is True and r.json()["attachment"]["type"] == "docx"

    def ingested() -> list[str]:  # the attachment's document: its source is under attachments/kb/<id>/
        store = api.app.state.zhiku.store  # type: ignore[attr-defined]
        rows = store.query(
            "MATCH (d:Document) WHERE d.sourceUri CONTAINS $part RETURN d.id AS id", {"part": part}
        )
        return [row["id"] for row in rows]

    part = f"/attachments/kb/{r.json()['attachment']['id']}/"

    def found(who: str) -> bool:
        q = {"query": SEARCH, "variables": {"q": "服务器采购合同违约金"}}
        edges = api.post("/graphql", json=q, headers=auth(api, who)).json()["data"]["search"]["edges"]
        return bool({e["node"]["documentId"] for e in edges} & set(ingested()))

    assert len(ingested()) == 1 and found(ADMIN)
    assert not found(APPLICANT) and not found(inst.pending[0])  # never wider than the application
    url = r.json()["attachment"]["url"]
    assert api.delete(url, headers=auth(api, APPLICANT)).status_code == 200
    assert ingested() == []

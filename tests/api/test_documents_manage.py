"""Knowledge engineers delete and re-ingest documents over GraphQL, as the console's documents page
does, on a private copy of the demo (graph and search index): a deleted document's chunks leave the
graph and the index at once, the entities only it mentioned stay and are listed as orphans, nothing
else of the graph goes, and the deletion is recorded (who, when); the rule of who may
(:func:`ingest.manage.may_manage`) is tested on its own; re-ingesting unchanged content is a no-op and
a changed file is read again, with the job's progress polled."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from fastapi.testclient import TestClient

import ingest
from api.app import create_app
from graph.falkordb_store import FalkorDBStore
from ingest.manage import may_manage
from tests.api.conftest import gql_as
from zhiku.access import Principal
from zhiku.settings import Settings
from zhiku.types import AccessScope

KE, EMPLOYEE, HR = "E1003", "E1030", "E1010"  # KE in 总经办 (D-GMO)
DELETE = """mutation($id: ID!) { deleteDocument(id: $id, note: "过期") {
  documentId title uri indexedChunks orphans { id name } decision { action surface decidedBy decidedAt } } }"""
REINGEST = "mutation($id: ID!) { reingestDocument(id: $id) { id state outcome } }"
JOB = "query($id: ID!) { reingestJob(id: $id) { id state stage done total outcome chunks error } }"
ORPHANS = "{ orphanEntities { id name document } }"
DECISIONS = 'query { reviewDecisions(action: "delete") { action surface target decidedBy decidedAt } }'
SEARCH = "query($q: String!) { search(query: $q, first: 20) { edges { node { documentId } } } }"


@pytest.fixture
def api(demo_copy: FalkorDBStore, copy_search_writable: Any, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data")
    with TestClient(create_app(settings, store=demo_copy, search=copy_search_writable)) as client:
        yield client


gql = gql_as


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


def kept_nodes(store: FalkorDBStore) -> int:
    """Everything but documents, chunks, candidates and decisions: what a deletion must not touch."""
    rows = store.query(
        "MATCH (n) WHERE NOT (n:Document OR n:Chunk OR n:Candidate OR n:ReviewDecision) RETURN count(n) AS n"
    )
    return int(rows[0]["n"])


def test_who_may_delete_or_reingest_is_one_pure_rule() -> None:
    public = AccessScope()
    hr_only = AccessScope(departments=("D-HR",), roles=("hr",), level=7)
    ke = Principal("E1", departments=("D-GMO", "D-ROOT"), roles=("employee", "knowledge_engineer"), level=8)
    ke_in_hr = Principal(
        "E2", departments=("D-HR-PAY", "D-HR", "D-ROOT"), roles=("knowledge_engineer",), level=7
    )
    ke_hr_role = Principal("E3", departments=("D-RD",), roles=("knowledge_engineer", "hr"), level=9)
    junior = Principal("E4", departments=("D-HR",), roles=("knowledge_engineer",), level=3)
    assert may_manage(public, ke) and may_manage(hr_only, ke_in_hr)  # a sub-department counts
    assert not may_manage(hr_only, ke)  # cannot read it
    assert not may_manage(hr_only, ke_hr_role)  # reads it through a role, outside the department
    assert not may_manage(hr_only, junior)  # level below the document's
    assert not may_manage(public, Principal("E5", roles=("employee", "hr"), level=9))  # not an engineer
    assert may_manage(hr_only, Principal("A", roles=("admin",)))


def test_a_deleted_document_leaves_graph_and_index_at_once_its_orphans_are_listed_and_it_is_audited(
    api: TestClient, demo_copy: FalkorDBStore
) -> None:
    # a public document some entity is mentioned by and by no other document
    rows = demo_copy.query(
        "MATCH (d:Document)-[:HAS_CHUNK]->(:Chunk)-[:MENTIONS]->(e:Resource) WHERE NOT e:Candidate "
        "AND size(coalesce(d.accessDepartments, [])) = 0 "
        "MATCH (o:Document)-[:HAS_CHUNK]->(:Chunk)-[:MENTIONS]->(e) "
        "WITH d, e, count(DISTINCT o) AS docs WHERE docs = 1 "
        "RETURN d.id AS doc, d.name AS title, collect(DISTINCT e.id) AS only ORDER BY doc LIMIT 1"
    )
    assert rows, "the demo has a document that alone mentions some entity"
    doc, title, only = rows[0]["doc"], rows[0]["title"], set(rows[0]["only"])
    before = kept_nodes(demo_copy)
    hits = [e["node"]["documentId"] for e in gql(api, KE, SEARCH, q=title)["data"]["search"]["edges"]]
    assert doc in hits

    assert code(gql(api, EMPLOYEE, DELETE, id=doc)) == "FORBIDDEN"  # an employee may not
    made = gql(api, KE, DELETE, id=doc)
    assert "errors" not in made, made
    deleted = made["data"]["deleteDocument"]
    assert deleted["documentId"] == doc and deleted["title"] == title
    assert {o["id"] for o in deleted["orphans"]} == only
    assert deleted["decision"]["action"] == "delete" and deleted["decision"]["decidedBy"] == KE

    assert not demo_copy.query("MATCH (d:Document {id: $id}) RETURN d", {"id": doc})
    assert not demo_copy.query("MATCH (c:Chunk {documentId: $id}) RETURN c", {"id": doc})
    hits = [e["node"]["documentId"] for e in gql(api, KE, SEARCH, q=title)["data"]["search"]["edges"]]
    assert doc not in hits  # the index forgot it before the answer came back
    assert kept_nodes(demo_copy) == before  # the entities stay, orphaned
    listed = gql(api, KE, ORPHANS)["data"]["orphanEntities"]
    assert only <= {o["id"] for o in listed} and all(o["document"] == doc for o in listed)
    audit = gql(api, KE, DECISIONS)["data"]["reviewDecisions"]
    assert [(a["surface"], a["decidedBy"]) for a in audit] == [(title, KE)] and audit[0]["decidedAt"]

    # keeping an orphan settles it; deleting again finds nothing
    kept = gql(api, KE, "mutation($id: ID!) { keepOrphan(id: $id) { action target } }", id=sorted(only)[0])
    assert kept["data"]["keepOrphan"] == {"action": "keep", "target": sorted(only)[0]}
    assert sorted(only)[0] not in {o["id"] for o in gql(api, KE, ORPHANS)["data"]["orphanEntities"]}
    assert code(gql(api, KE, DELETE, id=doc)) == "NOT_FOUND"


def test_a_document_the_engineer_cannot_read_does_not_exist_for_them_and_uploads_are_reuploaded(
    api: TestClient, demo_copy: FalkorDBStore
) -> None:
    hr_doc = demo_copy.query("MATCH (d:Document) WHERE 'D-HR' IN d.accessDepartments RETURN d.id AS id")[0][
        "id"
    ]
    assert code(gql(api, KE, DELETE, id=hr_doc)) == "NOT_FOUND"
    assert code(gql(api, KE, REINGEST, id=hr_doc)) == "NOT_FOUND"
    assert demo_copy.query("MATCH (d:Document {id: $id}) RETURN d.id AS id", {"id": hr_doc})
    demo_copy.execute(
        "MATCH (d:Document) WHERE d.level = 0 WITH d LIMIT 1 SET d.sourceUri = 'upload://E1003/x.md'"
    )
    up = demo_copy.query("MATCH (d:Document {sourceUri: 'upload://E1003/x.md'}) RETURN d.id AS id")[0]["id"]
    refused = gql(api, KE, REINGEST, id=up)
    assert code(refused) == "BAD_INPUT" and "上传新版本" in refused["errors"][0]["message"]


@pytest.mark.slow  # ~15 s: three pipeline runs with the index sync
def test_reingest_unchanged_is_a_no_op_and_a_changed_file_is_read_again(
    api: TestClient, demo_copy: FalkorDBStore, copy_search_writable: Any, tmp_path: Path
) -> None:
    page = tmp_path / "duty.md"
    page.write_text("# 值班安排\n\n周末值班电话 8001。\n", encoding="utf-8")
    ingest.run([page], demo_copy, copy_search_writable, prune=False)
    doc = demo_copy.query("MATCH (d:Document {sourceUri: $u}) RETURN d.id AS id", {"u": page.as_uri()})[0][
        "id"
    ]

    def finished(job_id: str) -> dict[str, Any]:
        for _ in range(600):
            job = gql(api, KE, JOB, id=job_id)["data"]["reingestJob"]
            if job["state"] != "running":
                return dict(job)
            time.sleep(0.1)
        raise AssertionError("the job did not finish")

    started = gql(api, KE, REINGEST, id=doc)["data"]["reingestDocument"]
    assert finished(started["id"])["outcome"] == "unchanged"
    page.write_text("# 值班安排\n\n周末值班电话改为 8002。\n", encoding="utf-8")
    job = finished(gql(api, KE, REINGEST, id=doc)["data"]["reingestDocument"]["id"])
    assert job["state"] == "done" and job["outcome"] == "changed" and job["chunks"] >= 1
    text = demo_copy.query("MATCH (c:Chunk {documentId: $id}) RETURN c.text AS t", {"id": doc})
    assert "8002" in "".join(r["t"] for r in text)
    assert gql(api, EMPLOYEE, JOB, id=started["id"]).get("errors")  # not an engineer's


def test_any_instance_reports_a_reingest_job_another_runs(
    api: TestClient, demo_copy: FalkorDBStore, copy_search_writable: Any, tmp_path: Path
) -> None:
    """Two API instances over one store (as ``--workers 2`` or two replicas): the job started through one
    is polled through the other to its end, which both report alike; the other knows who asked."""
    doc = next(
        r["id"]
        for r in demo_copy.query(
            "MATCH (d:Document) WHERE d.sourceUri STARTS WITH 'file://' RETURN d.id AS id, d.sourceUri AS uri"
        )
        if Path(unquote(urlparse(r["uri"]).path)).is_file()
    )
    other_settings = Settings(data_dir=tmp_path / "other")
    with TestClient(create_app(other_settings, store=demo_copy, search=copy_search_writable)) as other:
        started = gql(api, KE, REINGEST, id=doc)["data"]["reingestDocument"]
        for _ in range(600):
            job = gql(other, KE, JOB, id=started["id"])["data"]["reingestJob"]
            assert job is not None and job["id"] == started["id"]
            if job["state"] != "running":
                break
            time.sleep(0.1)
        assert job["state"] == "done" and job["outcome"] == "unchanged", job
        assert gql(api, KE, JOB, id=started["id"])["data"]["reingestJob"] == job
        assert gql(other, "E1001", JOB, id=started["id"])["data"]["reingestJob"] == job  # an admin
        assert gql(other, "E1004", JOB, id=started["id"]).get("errors")  # an analyst: not an engineer


def test_the_record_of_a_deleted_document_is_shown_only_to_whoever_could_have_read_it_on_every_path(
    api: TestClient, demo_copy: FalkorDBStore
) -> None:
    """The document is gone, so the record's copy of its scope decides — in the named query itself, so
    that ``namedQuery`` applies the same rule as ``reviewDecisions`` (before the LIMIT)."""
    hr_doc, title = next(
        (r["id"], r["title"])
        for r in demo_copy.query(
            "MATCH (d:Document) WHERE 'D-HR' IN d.accessDepartments RETURN d.id AS id, d.name AS title"
        )
    )
    admin = "E1001"
    assert "errors" not in gql(api, admin, DELETE, id=hr_doc)
    named = 'query($p: JSON) { namedQuery(name: "review_decisions", params: $p) }'
    surfaces = [r["surface"] for r in gql(api, admin, named, p={"action": "delete"})["data"]["namedQuery"]]
    assert surfaces == [title]  # the admin sees the record
    assert gql(api, KE, DECISIONS)["data"]["reviewDecisions"] == []  # the engineer outside HR does not
    as_ke = gql(api, KE, named, p={"action": "delete"})
    assert as_ke.get("data", {}).get("namedQuery") in ([], None), as_ke  # nor through the named query
    assert title not in str(as_ke)

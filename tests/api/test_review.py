"""The review loop over GraphQL, as a knowledge engineer's console uses it: list, merge, accept, reject,
resolve — on a graph the test creates; an employee (or an analyst) is refused and writes nothing; bad ids
and classes come back as coded errors; a re-ingestion afterwards follows every decision."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from graph.falkordb_store import FalkorDBStore
from ingest.link import candidate_id
from ingest.pipeline import Pipeline
from ontology.model import Ontology
from zhiku.settings import Settings
from zhiku.types import NodeRecord

KE, EMPLOYEE, ANALYST = "E1003", "E1030", "E1004"
SHOUQI = candidate_id("Organization", "首汽集团")
PUMC = candidate_id("Organization", "北京协和医院")
WANG = candidate_id("Person", "王大锤")
CANDIDATES = "{ reviewCandidates { id name type mentions documents } }"
MERGE = "mutation($c: ID!, $e: ID!, $n: String) { mergeCandidate(candidateId: $c, entityId: $e, note: $n) { id action target decidedBy decidedAt note } }"
ACCEPT = "mutation($c: ID!, $k: String!) { acceptCandidate(candidateId: $c, entityClass: $k) { id action target entityClass decidedBy } }"
REJECT = "mutation($c: ID!) { rejectCandidate(candidateId: $c) { id action surface decidedBy } }"
CONFLICTS = "{ factConflicts { id startId relation endId notes { document differences } } }"
RESOLVE = "mutation($c: ID!, $s: String!) { resolveFactConflict(conflictId: $c, source: $s) { id action source chosen decidedBy } }"
DECISIONS = (
    "query($a: String) { reviewDecisions(action: $a) { action surface target decidedBy decidedAt source } }"
)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "payroll.md").write_text("# 体检\n\n年度体检由北京协和医院承办。\n", encoding="utf-8")
    (folder / "shuttle.md").write_text(
        "# 班车\n\n班车由首汽集团运营。联系人王大锤、李二狗负责。\n", encoding="utf-8"
    )
    (folder / "table.md").write_text(
        "# 采购审批说明\n\n## 采购申请（表单 PUR-F-001）\n\n"
        "部门负责人 → 采购经理 → 财务总监与法务经理会签（超过5万元）→ 总经理（超过20万元）。\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def api(org: FalkorDBStore, onto: Ontology, docs: Path, tmp_path: Path) -> Iterator[TestClient]:
    org.upsert_nodes([NodeRecord("ORG-SHOUQI", ("Organization",), {"name": "北京首都汽车集团"})])
    Pipeline(org, ontology=onto).ingest([docs])
    (docs / "memo.md").write_text(
        "# 采购审批补充说明\n\n## 采购申请（表单 PUR-F-001）\n\n"
        "部门负责人 → 采购经理 → 财务总监与法务经理依次审批（超过3万元）→ 总经理（超过20万元）。\n",
        encoding="utf-8",
    )
    Pipeline(org, ontology=onto).ingest([docs])
    with TestClient(create_app(Settings(data_dir=tmp_path / "data"), store=org)) as client:
        yield client


def gql(api: TestClient, query: str, who: str = KE, **variables: Any) -> dict[str, Any]:
    token = issue_token(api.app.state.zhiku.settings, who)  # type: ignore[attr-defined]
    response = api.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


def test_employees_and_analysts_may_neither_list_nor_decide(api: TestClient, org: FalkorDBStore) -> None:
    before = org.query("MATCH (n) RETURN count(n) AS n")
    for who in (EMPLOYEE, ANALYST):
        assert code(gql(api, CANDIDATES, who=who)) == "FORBIDDEN"
        assert code(gql(api, CONFLICTS, who=who)) == "FORBIDDEN"
        assert code(gql(api, DECISIONS, who=who)) == "FORBIDDEN"
        refused = gql(api, MERGE, who=who, c=SHOUQI, e="ORG-SHOUQI")
        assert code(refused) == "FORBIDDEN" and refused["data"] is None
        assert code(gql(api, REJECT, who=who, c=WANG)) == "FORBIDDEN"
        assert code(gql(api, ACCEPT, who=who, c=PUMC, k="Organization")) == "FORBIDDEN"
    assert "权限" in gql(api, REJECT, who=EMPLOYEE, c=WANG)["errors"][0]["message"]
    assert org.query("MATCH (n) RETURN count(n) AS n") == before
    assert org.query("MATCH (d:ReviewDecision) RETURN count(d) AS n") == [{"n": 0}]


def test_a_knowledge_engineer_works_through_the_queue(
    api: TestClient, org: FalkorDBStore, onto: Ontology, docs: Path
) -> None:
    listed = {c["id"]: c for c in gql(api, CANDIDATES)["data"]["reviewCandidates"]}
    assert {SHOUQI, PUMC, WANG} <= set(listed) and listed[PUMC]["type"] == "Organization"

    merged = gql(api, MERGE, c=SHOUQI, e="ORG-SHOUQI", n="简称")["data"]["mergeCandidate"]
    assert (merged["action"], merged["target"], merged["decidedBy"], merged["note"]) == (
        "merge",
        "ORG-SHOUQI",
        KE,
        "简称",
    )
    accepted = gql(api, ACCEPT, c=PUMC, k="Organization")["data"]["acceptCandidate"]
    assert accepted["entityClass"] == "Organization" and accepted["decidedBy"] == KE
    assert gql(api, REJECT, c=WANG)["data"]["rejectCandidate"]["surface"] == "王大锤"
    remaining = {c["id"] for c in gql(api, CANDIDATES)["data"]["reviewCandidates"]}
    assert {SHOUQI, PUMC, WANG}.isdisjoint(remaining)

    conflicts = {c["endId"]: c for c in gql(api, CONFLICTS)["data"]["factConflicts"]}
    assert set(conflicts) == {"POS-LEGAL-MGR", "POS-CFO"}
    memo = conflicts["POS-CFO"]["notes"][0]["document"]
    taken = gql(api, RESOLVE, c=conflicts["POS-CFO"]["id"], s=memo)["data"]["resolveFactConflict"]
    assert sorted(taken["chosen"]) == ["minAmount=30000.0", "mode=依次"] and taken["source"] == memo
    kept = gql(api, RESOLVE, c=conflicts["POS-LEGAL-MGR"]["id"], s="graph")["data"]["resolveFactConflict"]
    assert sorted(kept["chosen"]) == ["minAmount=50000.0", "mode=会签"]
    assert gql(api, CONFLICTS)["data"]["factConflicts"] == []

    decisions = gql(api, DECISIONS)["data"]["reviewDecisions"]
    assert [d["action"] for d in decisions] == ["resolve", "resolve", "reject", "accept", "merge"]
    assert {d["decidedBy"] for d in decisions} == {KE}
    assert [d["surface"] for d in gql(api, DECISIONS, a="reject")["data"]["reviewDecisions"]] == ["王大锤"]

    # every document changes and is ingested again: each decision holds
    for path in docs.glob("*.md"):
        path.write_text(path.read_text(encoding="utf-8") + "\n（修订）\n", encoding="utf-8")
    Pipeline(org, ontology=onto).ingest([docs])
    assert {SHOUQI, PUMC, WANG}.isdisjoint(
        {c["id"] for c in gql(api, CANDIDATES)["data"]["reviewCandidates"]}
    )
    assert gql(api, CONFLICTS)["data"]["factConflicts"] == []
    linked = org.query(
        "MATCH (:Chunk)-[:MENTIONS]->(e:Resource) WHERE e.id IN ['ORG-SHOUQI', $pumc] RETURN DISTINCT e.id AS id",
        {"pumc": accepted["target"]},
    )
    assert {r["id"] for r in linked} == {"ORG-SHOUQI", accepted["target"]}


def test_bad_ids_and_classes_are_coded_errors_and_write_nothing(api: TestClient, org: FalkorDBStore) -> None:
    before = org.query("MATCH (n) RETURN count(n) AS n")
    missing = gql(api, MERGE, c="cand-nope", e="ORG-SHOUQI")
    assert code(missing) == "NOT_FOUND" and "cand-nope" in missing["errors"][0]["message"]
    into_nothing = gql(api, MERGE, c=SHOUQI, e="ORG-MISSING")
    assert code(into_nothing) == "NOT_FOUND" and "ORG-MISSING" in into_nothing["errors"][0]["message"]
    unknown = gql(api, ACCEPT, c=PUMC, k="Hospital")
    assert code(unknown) == "BAD_INPUT" and "Hospital" in unknown["errors"][0]["message"]
    assert "Organization" in unknown["errors"][0]["message"]  # what it may be instead
    assert code(gql(api, ACCEPT, c=WANG, k="Employee")) == "SHACL_VIOLATION"
    assert code(gql(api, REJECT, c="cand-nope")) == "NOT_FOUND"
    assert code(gql(api, RESOLVE, c="conf-000000000000", s="graph")) == "NOT_FOUND"
    conflict = gql(api, CONFLICTS)["data"]["factConflicts"][0]["id"]
    wrong = gql(api, RESOLVE, c=conflict, s="doc-nope")
    assert code(wrong) == "BAD_INPUT" and "graph" in wrong["errors"][0]["message"]
    assert code(gql(api, DECISIONS, a="merged")) == "BAD_INPUT"
    assert org.query("MATCH (n) RETURN count(n) AS n") == before

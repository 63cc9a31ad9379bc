"""The review loop end to end on a graph each test creates (the demo organisation, a few documents of its
own): merge, accept, reject and resolve, each followed by a re-ingestion that must honour the decision,
every decision recorded; and bad input refused with nothing written."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from graph.falkordb_store import FalkorDBStore
from ingest.link import candidate_id
from ingest.pipeline import Pipeline
from ingest.review import KEEP_GRAPH, Review
from lang.gazetteer import Gazetteer
from ontology.model import Ontology
from zhiku.access import SYSTEM, Principal, load_principal
from zhiku.errors import InputError, NotFoundError, ShaclViolation
from zhiku.types import NodeRecord

KE = "E1003"  # 周文博, the demo's knowledge engineer
ICBC = candidate_id("Organization", "中国工商银行")
PUMC = candidate_id("Organization", "北京协和医院")
SHOUQI = candidate_id("Organization", "首汽集团")
WANG = candidate_id("Person", "王大锤")
MEMO = (
    "# 采购审批补充说明\n\n## 采购申请（表单 PUR-F-001）\n\n"
    "部门负责人 → 采购经理 → 财务总监与法务经理依次审批（超过3万元）→ 总经理（超过20万元）。\n"
)
TABLE = (
    "# 采购审批说明\n\n## 采购申请（表单 PUR-F-001）\n\n"
    "部门负责人 → 采购经理 → 财务总监与法务经理会签（超过5万元）→ 总经理（超过20万元）。\n"
)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "payroll.md").write_text(
        "# 工资卡\n\n请到中国工商银行办理工资卡。\n\n## 体检\n\n年度体检由北京协和医院承办。\n",
        encoding="utf-8",
    )
    (folder / "shuttle.md").write_text(
        "# 班车\n\n班车由首汽集团运营。联系人王大锤、李二狗负责。\n", encoding="utf-8"
    )
    return folder


@pytest.fixture
def kb(org: FalkorDBStore, onto: Ontology, docs: Path) -> FalkorDBStore:
    """The demo organisation, a supplier the documents call by a short name, the documents ingested."""
    org.upsert_nodes(
        [NodeRecord("ORG-SHOUQI", ("Organization",), {"name": "北京首都汽车集团", "nameEn": "BSG"})]
    )
    Pipeline(org, ontology=onto).ingest([docs])
    return org


def ingest_again(store: FalkorDBStore, onto: Ontology, docs: Path) -> None:
    """Change every document (so each is analysed afresh with the current gazetteer and decisions)
    and ingest the folder again."""
    for path in docs.glob("*.md"):
        path.write_text(path.read_text(encoding="utf-8") + "\n（修订）\n", encoding="utf-8")
    report = Pipeline(store, ontology=onto).ingest([docs])
    assert report.summary()["changed"] >= 1


def mentioned(store: FalkorDBStore, entity_id: str) -> dict[str, object]:
    rows = store.query(
        "MATCH (:Chunk)-[m:MENTIONS]->(e:Resource {id: $id}) RETURN m.surfaces AS s, m.source AS src",
        {"id": entity_id},
    )
    return {
        "surfaces": sorted({s for r in rows for s in r["s"]}),
        "sources": sorted({r["src"] for r in rows}),
    }


def candidate_ids(store: FalkorDBStore) -> set[str]:
    return {r["id"] for r in store.query("MATCH (c:Candidate) RETURN c.id AS id")}


def test_candidates_are_listed_with_their_documents(kb: FalkorDBStore, onto: Ontology) -> None:
    listed = {c.id: c for c in Review(kb, onto).candidates(SYSTEM)}
    assert {ICBC, PUMC, SHOUQI, WANG} <= set(listed)
    assert listed[ICBC].name == "中国工商银行" and listed[ICBC].type == "Organization"
    assert listed[ICBC].mentions == 1 and len(listed[ICBC].documents) == 1


def test_merge_makes_the_surface_an_alias_repoints_mentions_and_survives_reingestion(
    kb: FalkorDBStore, onto: Ontology, docs: Path
) -> None:
    review = Review(kb, onto)
    made = review.merge(SHOUQI, "ORG-SHOUQI", by=KE, note="首汽集团即北京首都汽车集团")
    assert SHOUQI not in candidate_ids(kb)
    entity = kb.query("MATCH (o:Organization {id: 'ORG-SHOUQI'}) RETURN o.aliases AS a")[0]
    assert entity["a"] == ["首汽集团"]
    assert mentioned(kb, "ORG-SHOUQI") == {"surfaces": ["首汽集团"], "sources": ["review"]}
    assert Gazetteer.from_store(kb).lookup("首汽集团") == (("ORG-SHOUQI", "Organization"),)
    # who, when, what — recorded, with an edge to the employee who decided
    (recorded,) = review.decisions(SYSTEM, action="merge")
    assert (recorded.id, recorded.decided_by, recorded.target, recorded.surface) == (
        made.id,
        KE,
        "ORG-SHOUQI",
        "首汽集团",
    )
    assert recorded.note == "首汽集团即北京首都汽车集团" and recorded.decided_at.startswith("20")
    assert kb.query(
        "MATCH (d:ReviewDecision {id: $id})-[:DECIDED_BY]->(e:Employee) RETURN e.id AS e", {"id": made.id}
    ) == [{"e": KE}]

    ingest_again(kb, onto, docs)
    assert SHOUQI not in candidate_ids(kb)
    assert mentioned(kb, "ORG-SHOUQI") == {"surfaces": ["首汽集团"], "sources": ["gazetteer"]}
    # a re-load that rewrites the entity's own synonyms does not lose the merged surface
    kb.upsert_nodes([NodeRecord("ORG-SHOUQI", ("Organization",), {"aliases": None})])
    assert Gazetteer.from_store(kb).lookup("首汽集团") == (("ORG-SHOUQI", "Organization"),)
    ingest_again(kb, onto, docs)
    assert mentioned(kb, "ORG-SHOUQI")["surfaces"] == ["首汽集团"]


def test_accept_creates_an_entity_of_the_class_that_stays_after_reingestion(
    kb: FalkorDBStore, onto: Ontology, docs: Path
) -> None:
    review = Review(kb, onto)
    made = review.accept(PUMC, "Organization", by=KE)
    entity = kb.query(
        "MATCH (o:Resource {id: $id}) RETURN labels(o) AS l, o.name AS name, o.origin AS origin",
        {"id": made.target},
    )
    assert entity == [{"l": ["Resource", "Organization"], "name": "北京协和医院", "origin": "review"}]
    assert mentioned(kb, made.target)["surfaces"] == ["北京协和医院"]
    assert PUMC not in candidate_ids(kb)
    # named differently, with the surface kept as a synonym; an id of the engineer's choosing
    bank = review.accept(ICBC, "Organization", by=KE, entity_id="ORG-ICBC", name="中国工商银行股份有限公司")
    assert kb.query("MATCH (o {id: 'ORG-ICBC'}) RETURN o.name AS n, o.aliases AS a") == [
        {"n": "中国工商银行股份有限公司", "a": ["中国工商银行"]}
    ]
    assert bank.entity_class == "Organization"

    ingest_again(kb, onto, docs)
    assert {PUMC, ICBC}.isdisjoint(candidate_ids(kb))
    assert mentioned(kb, made.target)["surfaces"] == ["北京协和医院"]
    assert mentioned(kb, "ORG-ICBC")["surfaces"] == ["中国工商银行"]
    assert [d.action for d in review.decisions(SYSTEM)] == ["accept", "accept"]


def test_a_rejected_surface_is_never_suggested_again(kb: FalkorDBStore, onto: Ontology, docs: Path) -> None:
    review = Review(kb, onto)
    review.reject(WANG, by=KE, note="示例人名")
    assert WANG not in candidate_ids(kb)
    assert "王大锤" not in {c.name for c in review.candidates(SYSTEM)}
    ingest_again(kb, onto, docs)
    assert WANG not in candidate_ids(kb)
    # nor in a new document, nor when extraction gives it another type
    (docs / "more.md").write_text("# 通知\n\n请联系行政部王大锤（分机 8000）。\n", encoding="utf-8")
    Pipeline(kb, ontology=onto).ingest([docs])
    assert "王大锤" not in {r["n"] for r in kb.query("MATCH (c:Candidate) RETURN c.name AS n")}
    (rejected,) = review.decisions(SYSTEM, action="reject")
    assert rejected.surface == "王大锤" and rejected.decided_by == KE


def test_resolving_a_conflict_by_choosing_a_source_survives_reingestion(
    kb: FalkorDBStore, onto: Ontology, tmp_path: Path
) -> None:
    folder = tmp_path / "purchase"
    folder.mkdir()
    (folder / "table.md").write_text(TABLE, encoding="utf-8")
    Pipeline(kb, ontology=onto).ingest([folder])
    (folder / "memo.md").write_text(MEMO, encoding="utf-8")
    Pipeline(kb, ontology=onto).ingest([folder])
    review = Review(kb, onto)
    conflicts = {c.end_id: c for c in review.conflicts(SYSTEM)}
    assert set(conflicts) == {"POS-LEGAL-MGR", "POS-CFO"}
    memo = conflicts["POS-CFO"].notes[0].document

    def approved_by(end: str) -> dict[str, object]:
        rows = kb.query(
            "MATCH (:ApprovalProcess {id: 'PROC-PURCHASE'})-[r:APPROVED_BY]->(:Resource {id: $end}) "
            "RETURN properties(r) AS p",
            {"end": end},
        )
        return dict(rows[0]["p"])

    # keep the graph's values for the legal manager (by the listed id), take the memo's for the CFO (by key)
    kept = review.resolve(conflicts["POS-LEGAL-MGR"].id, KEEP_GRAPH, by=KE)
    taken = review.resolve("PROC-PURCHASE|APPROVED_BY|POS-CFO", memo, by=KE, note="以补充说明为准")
    assert sorted(kept.chosen) == ["minAmount=50000.0", "mode=会签"]
    assert sorted(taken.chosen) == ["minAmount=30000.0", "mode=依次"]
    legal, cfo = approved_by("POS-LEGAL-MGR"), approved_by("POS-CFO")
    assert (legal["mode"], legal["minAmount"], legal.get("conflicts")) == ("会签", 50000.0, None)
    assert (cfo["mode"], cfo["minAmount"], cfo.get("conflicts")) == ("依次", 30000.0, None)
    assert review.conflicts(SYSTEM) == []

    # both documents change and are ingested again: the settled disagreements do not come back
    for path in folder.glob("*.md"):
        path.write_text(path.read_text(encoding="utf-8") + "\n（修订）\n", encoding="utf-8")
    Pipeline(kb, ontology=onto).ingest([folder])
    assert review.conflicts(SYSTEM) == []
    legal, cfo = approved_by("POS-LEGAL-MGR"), approved_by("POS-CFO")
    assert (legal["mode"], legal["minAmount"]) == ("会签", 50000.0)
    assert (cfo["mode"], cfo["minAmount"]) == ("依次", 30000.0)
    # a new value no one decided about is a new disagreement, recorded for review
    (folder / "memo.md").write_text(MEMO.replace("3万元", "4万元"), encoding="utf-8")
    Pipeline(kb, ontology=onto).ingest([folder])
    (again,) = [c for c in review.conflicts(SYSTEM) if c.end_id == "POS-CFO"]
    assert again.notes[0].differences == "minAmount: 30000.0 ≠ 40000.0"
    assert [d.source for d in review.decisions(SYSTEM, action="resolve")] == [memo, KEEP_GRAPH]


def test_bad_input_is_refused_and_nothing_is_written(kb: FalkorDBStore, onto: Ontology) -> None:
    review = Review(kb, onto)

    def snapshot() -> tuple[object, ...]:
        return (
            kb.query("MATCH (n) RETURN count(n) AS n"),
            kb.query("MATCH ()-[r]->() RETURN count(r) AS n"),
            kb.query("MATCH (o:Organization {id: 'ORG-SHOUQI'}) RETURN o.aliases AS a"),
        )

    before = snapshot()
    with pytest.raises(NotFoundError, match="cand-nope"):
        review.merge("cand-nope", "ORG-SHOUQI", by=KE)
    with pytest.raises(NotFoundError, match="ORG-MISSING"):
        review.merge(SHOUQI, "ORG-MISSING", by=KE)
    with pytest.raises(NotFoundError):  # a document is not an entity to merge into
        doc = kb.query("MATCH (d:Document) RETURN d.id AS id LIMIT 1")[0]["id"]
        review.merge(SHOUQI, doc, by=KE)
    with pytest.raises(InputError, match="Hospital") as unknown:
        review.accept(PUMC, "Hospital", by=KE)
    assert "Organization" in unknown.value.message_zh  # the classes it may be are named
    with pytest.raises(InputError, match="Ticket"):
        review.accept(PUMC, "Ticket", by=KE)
    with pytest.raises(ShaclViolation) as shapes:  # an employee needs a department and a position
        review.accept(WANG, "Employee", by=KE)
    assert any("belongsTo" in v and "部门" in v for v in shapes.value.violations)
    with pytest.raises(InputError, match="ORG"):  # the id is taken
        review.accept(PUMC, "Organization", by=KE, entity_id="ORG")
    with pytest.raises(NotFoundError):
        review.reject("cand-nope", by=KE)
    with pytest.raises(NotFoundError):
        review.resolve("conf-000000000000", KEEP_GRAPH, by=KE)
    with pytest.raises(NotFoundError):  # a fact without a conflict
        review.resolve("PROC-EXPENSE|APPROVED_BY|POS-CFO", KEEP_GRAPH, by=KE)
    with pytest.raises(InputError, match="merged"):
        review.decisions(SYSTEM, action="merged")
    assert snapshot() == before
    assert review.decisions(SYSTEM) == []


def curator(who: Principal) -> Principal:
    return dataclasses.replace(who, roles=(*who.roles, "knowledge_engineer"))


def test_decisions_about_hidden_documents_are_not_listed_to_those_who_cannot_read_them(
    kb: FalkorDBStore, onto: Ontology, tmp_path: Path
) -> None:
    folder = tmp_path / "hr"
    folder.mkdir()
    (folder / "secret.md").write_text("# 内部\n\n明年起工资拟改由中国建设银行代发。\n", encoding="utf-8")
    (folder / "index.yaml").write_text(
        "- {file: secret.md, access: {departments: [D-HR], roles: [], level: 0}}\n", encoding="utf-8"
    )
    Pipeline(kb, ontology=onto).ingest([folder])
    hidden = candidate_id("Organization", "中国建设银行")
    # Both as curators (knowledge engineers): the document scope is what separates them.
    clerk, hr = (curator(load_principal(kb, e)) for e in ("E1031", "E1010"))
    review = Review(kb, onto)
    assert hidden not in {c.id for c in review.candidates(clerk)}
    assert hidden in {c.id for c in review.candidates(hr)}
    # Without the curator role even HR's head sees no candidates at all (zhiku.access CURATION_LABELS).
    assert review.candidates(load_principal(kb, "E1010")) == []
    review.reject(hidden, by=KE)
    assert [d.surface for d in review.decisions(hr)] == ["中国建设银行"]
    assert review.decisions(clerk) == []

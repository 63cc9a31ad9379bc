"""End to end on the real embedded store: the demo corpus in, facts with provenance out; re-ingest,
change, delete and crash behave exactly."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

import queries
from demo.load import DEMO_DIR, demo_document_paths, load_demo
from ingest.pipeline import Pipeline
from zhiku.access import SYSTEM

DOCS = DEMO_DIR / "docs"


def checksum(store) -> str:
    """A digest of every node and relationship with their properties."""
    nodes = store.query("MATCH (n) RETURN n.id AS id, labels(n) AS l, properties(n) AS p ORDER BY id")
    rels = store.query(
        "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, b.id AS b, properties(r) AS p ORDER BY a, t, b"
    )
    for row in nodes:
        row["l"] = sorted(row["l"])
    for row in rels:
        if isinstance(row["p"].get("chunkIds"), list):
            row["p"]["chunkIds"] = sorted(row["p"]["chunkIds"])
    return hashlib.sha256(json.dumps([nodes, rels], sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def facts(store, rel_type: str, start: str) -> dict[str, dict]:
    rows = store.query(
        f"MATCH (a:Resource {{id: $id}})-[r:{rel_type}]->(b) RETURN b.id AS b, properties(r) AS p",
        {"id": start},
    )
    return {r["b"]: r["p"] for r in rows}


@pytest.fixture
def demo_store(store, onto):
    load_demo(store, onto)
    return store


def test_demo_corpus_ingests_with_linked_mentions_and_facts(demo_store) -> None:
    report = Pipeline(demo_store).ingest(demo_document_paths())
    summary = report.summary()
    assert summary["documents"] == 35  # 34 documents (two of them Japanese and English) and the FAQ
    assert summary["rejected"] == 0
    assert summary["chunks"] > 250
    assert summary["linked"] / summary["mentions"] > 0.95
    expense = facts(demo_store, "APPROVED_BY", "PROC-EXPENSE")
    assert expense["POS-CFO"]["minAmount"] == 5000.0
    assert expense["POS-CEO"]["minAmount"] == 20000.0
    assert "POS-CASHIER" not in expense  # “审批通过后，出纳…付款” is not an approval
    purchase = facts(demo_store, "APPROVED_BY", "PROC-PURCHASE")
    assert purchase["POS-LEGAL-MGR"]["mode"] == "会签"
    assert purchase["POS-LEGAL-MGR"]["minAmount"] == 50000.0
    leave = facts(demo_store, "APPROVED_BY", "PROC-LEAVE")
    assert leave["AR-dept-head"]["minDays"] == 3.0
    assert leave["POS-VP"]["minDays"] == 10.0
    assert facts(demo_store, "USES_FORM", "PROC-LEAVE")["FORM-leave"]["extracted"] is True


def test_facts_carry_provenance_to_chunks_and_documents(demo_store) -> None:
    Pipeline(demo_store).ingest(demo_document_paths())
    cfo = facts(demo_store, "APPROVED_BY", "PROC-EXPENSE")["POS-CFO"]
    assert cfo["chunkIds"] and 0 < cfo["confidence"] <= 1 and "财务总监" in cfo["sentence"]
    rows = demo_store.query(
        "MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk {id: $id}) RETURN d.name AS title",
        {"id": cfo["chunkIds"][0]},
    )
    assert rows and rows[0]["title"]


def test_synonyms_and_abbreviations_link_to_one_entity(demo_store, tmp_path: Path) -> None:
    page = tmp_path / "hr.md"
    page.write_text(
        "# 说明\n\n人事部、人力资源部和HR部门是同一个部门。费控系统即报销系统。"
        "请联系行政部高峰（分机 8033）。\n",
        encoding="utf-8",
    )
    Pipeline(demo_store).ingest([page])
    rows = demo_store.query("MATCH (:Chunk)-[m:MENTIONS]->(e) RETURN e.id AS id, m.surfaces AS s ORDER BY id")
    linked = {r["id"]: set(r["s"]) for r in rows}
    assert linked["D-HR"] == {"人事部", "人力资源部", "HR部门"}
    assert linked["SYS-EXPENSE"] == {"费控系统", "报销系统"}
    assert "E1033" in linked  # 高峰 is a person here: a department and an extension number surround it
    assert demo_store.query("MATCH (d:Department {id: 'D-HR'}) RETURN count(d) AS c") == [{"c": 1}]


def test_a_common_word_that_is_also_a_name_is_not_linked_without_context(demo_store, tmp_path: Path) -> None:
    page = tmp_path / "peak.md"
    page.write_text("# 说明\n\n用电高峰期请节约用电，田野调查另行安排。\n", encoding="utf-8")
    Pipeline(demo_store).ingest([page])
    people = demo_store.query("MATCH (:Chunk)-[:MENTIONS]->(e:Employee) RETURN e.id AS id")
    assert people == []


def test_unknown_organisations_become_candidates_for_review(demo_store, tmp_path: Path) -> None:
    page = tmp_path / "bank.md"
    page.write_text("# 工资卡\n\n请到中国工商银行办理工资卡。\n", encoding="utf-8")
    Pipeline(demo_store).ingest([page])
    rows = demo_store.query("MATCH (c:Candidate) RETURN c.name AS name, c.status AS status")
    assert {"name": "中国工商银行", "status": "candidate"} in rows


def test_reingesting_unchanged_documents_changes_nothing(demo_store) -> None:
    Pipeline(demo_store).ingest(demo_document_paths())
    before = checksum(demo_store)
    report = Pipeline(demo_store).ingest(demo_document_paths())
    assert report.summary()["unchanged"] == 35
    assert report.summary()["new"] == report.summary()["changed"] == 0
    assert checksum(demo_store) == before


def _single_doc_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(DOCS / "expense.html", folder / "expense.html")
    (folder / "index.yaml").write_text(
        "- {file: expense.html, policy: POL-expense, processes: [PROC-EXPENSE]}\n", encoding="utf-8"
    )
    return folder


def test_a_changed_document_replaces_exactly_its_facts(demo_store, tmp_path: Path) -> None:
    folder = _single_doc_dir(tmp_path)
    pipeline = Pipeline(demo_store)
    pipeline.ingest([folder])
    assert facts(demo_store, "APPROVED_BY", "PROC-EXPENSE")["POS-CFO"]["minAmount"] == 5000.0
    assert "POS-CEO" in facts(demo_store, "APPROVED_BY", "PROC-EXPENSE")
    html = (folder / "expense.html").read_text(encoding="utf-8")
    html = html.replace("超过5000元的，需财务总监审批", "超过8000元的，需财务总监审批")
    html = html.replace("<li>单笔报销金额超过20000元的，还需总经理审批。</li>", "")
    (folder / "expense.html").write_text(html, encoding="utf-8")
    report = pipeline.ingest([folder])
    assert report.summary()["changed"] == 1
    expense = facts(demo_store, "APPROVED_BY", "PROC-EXPENSE")
    assert expense["POS-CFO"]["minAmount"] == 8000.0
    assert "POS-CEO" not in expense  # its only support was the removed sentence
    chunks = demo_store.query("MATCH (:Document)-[:HAS_CHUNK]->(c) RETURN count(c) AS c")[0]["c"]
    assert chunks == report.chunks  # old chunks are gone, not accumulated


def test_a_deleted_document_takes_its_facts_but_not_curated_ones(demo_store, tmp_path: Path) -> None:
    folder = _single_doc_dir(tmp_path)
    before = checksum(demo_store)
    Pipeline(demo_store).ingest([folder])
    assert facts(demo_store, "REQUIRES_APPROVAL", "POL-expense")["PROC-EXPENSE"]["curated"] is True
    (folder / "expense.html").unlink()
    report = Pipeline(demo_store).ingest([folder])
    assert len(report.removed) == 1
    assert demo_store.query("MATCH (d:Document) RETURN count(d) AS c") == [{"c": 0}]
    assert demo_store.query("MATCH (c:Chunk) RETURN count(c) AS c") == [{"c": 0}]
    assert facts(demo_store, "APPROVED_BY", "PROC-EXPENSE") == {}
    # The curated REQUIRES_APPROVAL edge from the demo load survives (only its provenance list is left).
    assert "PROC-EXPENSE" in facts(demo_store, "REQUIRES_APPROVAL", "POL-expense")
    assert before != checksum(demo_store)  # curated edges keep their (now empty) provenance fields


def test_dry_run_writes_nothing(demo_store) -> None:
    before = checksum(demo_store)
    report = Pipeline(demo_store).ingest(demo_document_paths(), dry_run=True)
    assert report.summary()["new"] == 35 and report.relations > 100
    assert checksum(demo_store) == before


def test_a_crash_mid_ingest_then_a_rerun_gives_the_same_graph(
    demo_store, store, onto, tmp_path: Path
) -> None:
    """The store failing half-way through writing (injected: the Nth relationship batch raises)."""
    from graph.falkordb_store import FalkorDBStore
    from zhiku.errors import GraphUnavailable

    clean = FalkorDBStore.embedded(tmp_path / "clean", "clean")
    load_demo(clean, onto)
    Pipeline(clean).ingest(demo_document_paths())
    expected = checksum(clean)
    clean.reset()
    clean.close()

    real = demo_store.upsert_relationships
    calls = {"n": 0}

    def failing(records):
        calls["n"] += 1
        if calls["n"] == 25:
            raise GraphUnavailable("模拟中断", "simulated outage")
        return real(records)

    demo_store.upsert_relationships = failing
    with pytest.raises(GraphUnavailable):
        Pipeline(demo_store).ingest(demo_document_paths())
    demo_store.upsert_relationships = real
    Pipeline(demo_store).ingest(demo_document_paths())
    assert checksum(demo_store) == expected


def test_rejected_files_do_not_stop_the_batch(demo_store, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "empty.md").write_bytes(b"")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    shutil.copy(DOCS / "sick-leave.md", folder / "sick-leave.md")
    report = Pipeline(demo_store).ingest([folder])
    assert report.summary()["new"] == 1
    assert {Path(uri).name for uri, _ in report.rejected} == {"empty.md", "broken.pdf"}
    assert all(reason for _, reason in report.rejected)


def test_facts_that_break_the_ontology_are_reported_not_written(demo_store, tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "note.md").write_text("# 年假说明\n\n本办法由人力资源部负责解释。\n", encoding="utf-8")
    # The sidecar names a department as the document's "policy": GOVERNS needs a Policy as its start.
    (folder / "index.yaml").write_text("- {file: note.md, policy: D-HR}\n", encoding="utf-8")
    report = Pipeline(demo_store).ingest([folder])
    reasons = dict(report.rejected_facts)
    assert reasons["D-HR -[GOVERNS]-> LEAVE-annual"] == "起点不是 Policy（rdfs:domain）"
    assert facts(demo_store, "GOVERNS", "D-HR") == {}


def test_the_demo_corpus_yields_no_fact_the_ontology_rejects(demo_store) -> None:
    report = Pipeline(demo_store).ingest(demo_document_paths())
    assert report.rejected_facts == []


def test_facts_that_break_a_shacl_shape_are_reported_not_written(demo_store, tmp_path: Path) -> None:
    """The domain/range check passes (Policy → Department), but 差旅管理办法 already has its one
    owning department (财务部); a memo naming another is refused by the shape's maxCount, with the
    shape's message — while a fact the shapes allow in the same memo is written."""
    folder = tmp_path / "memo"
    folder.mkdir()
    (folder / "memo.md").write_text(
        "# 差旅补充说明\n\n本办法由行政部负责解释。\n\n## 交通工具\n\n出差人员可报销高铁二等座。\n",
        encoding="utf-8",
    )
    (folder / "index.yaml").write_text("- {file: memo.md, policy: POL-travel}\n", encoding="utf-8")
    report = Pipeline(demo_store).ingest([folder])
    reasons = dict(report.rejected_facts)
    assert (
        reasons["POL-travel -[OWNED_BY]-> D-ADM"]
        == "SHACL：制度最多有一个归口部门（ownedBy → Department） [PolicyShape]"
    )
    assert set(facts(demo_store, "OWNED_BY", "POL-travel")) == {"D-FIN"}
    # the same memo for a policy that has no owner yet is written
    demo_store.execute("MATCH (:Policy {id: 'POL-travel'})-[r:OWNED_BY]->() DELETE r")
    (folder / "memo.md").write_text("# 差旅补充说明\n\n本办法由行政部负责解释。\n", encoding="utf-8")
    report = Pipeline(demo_store).ingest([folder])
    assert report.rejected_facts == []
    assert set(facts(demo_store, "OWNED_BY", "POL-travel")) == {"D-ADM"}


def test_a_source_that_disagrees_is_recorded_not_written_over(demo_store, tmp_path: Path) -> None:
    """The approval-authority table says 财务总监与法务经理会签 above 50,000 元; a later memo says 依次
    above 30,000. The graph keeps the values it had (not whichever document came last), records the
    disagreement on the fact for review, and forgets it when the memo goes away."""
    Pipeline(demo_store).ingest(demo_document_paths())
    folder = tmp_path / "memo"
    folder.mkdir()
    (folder / "memo.md").write_text(
        "# 采购审批补充说明\n\n## 采购申请（表单 PUR-F-001）\n\n"
        "部门负责人 → 采购经理 → 财务总监与法务经理依次审批（超过3万元）→ 总经理（超过20万元）。\n",
        encoding="utf-8",
    )
    Pipeline(demo_store).ingest([folder])
    legal = facts(demo_store, "APPROVED_BY", "PROC-PURCHASE")["POS-LEGAL-MGR"]
    assert legal["mode"] == "会签" and legal["minAmount"] == 50000.0
    (note,) = legal["conflicts"]
    assert note.endswith("|minAmount: 50000.0 ≠ 30000.0；mode: 会签 ≠ 依次")
    listed = queries.run_named_query(demo_store, "fact_conflicts", {"limit": 10}, who=SYSTEM)
    assert {(r["startId"], r["endId"]) for r in listed} == {
        ("PROC-PURCHASE", "POS-LEGAL-MGR"),
        ("PROC-PURCHASE", "POS-CFO"),
    }
    ceo = facts(demo_store, "APPROVED_BY", "PROC-PURCHASE")["POS-CEO"]
    assert not ceo.get("conflicts")  # the memo agrees there: nothing to review
    (folder / "memo.md").unlink()
    Pipeline(demo_store).ingest([folder])
    assert queries.run_named_query(demo_store, "fact_conflicts", {"limit": 10}, who=SYSTEM) == []
    assert facts(demo_store, "APPROVED_BY", "PROC-PURCHASE")["POS-LEGAL-MGR"]["mode"] == "会签"


def test_run_ingests_then_syncs_the_index_and_reports_skipped_files(demo_store, tmp_path: Path) -> None:
    """ingest.run, the one entry point: the files into the graph, the index level with it at the end,
    files of a type no loader reads named with the reason (they used to vanish silently)."""
    import ingest
    from search.embedders import load_embedder
    from search.service import SearchService
    from zhiku.access import load_principal

    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(DOCS / "sick-leave.md", folder / "sick-leave.md")
    (folder / "setup.exe").write_bytes(b"MZ\x90\x00" * 64)
    index = SearchService(demo_store, tmp_path / "idx", load_embedder("static"))
    try:
        stages: set[str] = set()
        report = ingest.run(
            [folder, tmp_path / "mixed" / "setup.exe"],
            demo_store,
            index,
            progress=lambda stage, done, total: stages.add(stage),
        )
        assert report.summary()["new"] == 1
        # found in the directory and given by name: said once
        assert [(Path(uri).name, "不支持的文件类型 .exe" in why) for uri, why in report.skipped] == [
            ("setup.exe", True)
        ]
        assert report.index is not None and report.index.total_chunks == index.stats()["chunks"] > 0
        assert {"ingest", "documents"} <= stages
        hits = index.search("病假", load_principal(demo_store, "E1030"), k=3).hits
        assert hits and hits[0].uri == (folder / "sick-leave.md").resolve().as_uri()
        dry = ingest.run([folder], demo_store, index, dry_run=True)
        assert dry.index is None and dry.summary()["unchanged"] == 1  # a dry run leaves the index be
    finally:
        index.close()


def test_a_run_that_changed_nothing_opens_no_index_when_asked_only_for_changes(demo_store) -> None:
    """A crawl's batch (sync="changed") whose pages were all unchanged never opens the index."""
    from ingest import IngestRun

    Pipeline(demo_store).ingest([DOCS / "sick-leave.md"])

    def no_index():  # type: ignore[no-untyped-def]
        raise AssertionError("the index was opened for a run that changed nothing")

    batch = IngestRun(demo_store, no_index, sync="changed")
    batch.files([DOCS / "sick-leave.md"], prune=False)
    report = batch.finish()
    assert report.summary()["unchanged"] == 1 and report.index is None

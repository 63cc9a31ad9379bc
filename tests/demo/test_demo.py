"""The demo knowledge base is big and varied enough, loads cleanly and idempotently, and its files
are readable in every format."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
import yaml

from demo.load import DEMO_DIR, load_demo
from queries import load

DOCS = DEMO_DIR / "docs"


def _count(store, cypher: str) -> int:
    return int(store.query(cypher)[0]["c"])


@pytest.fixture(scope="module")
def index() -> list[dict]:
    return yaml.safe_load((DOCS / "index.yaml").read_text(encoding="utf-8"))


def test_org_chart_has_50_employees_in_8_departments(store, onto) -> None:
    load_demo(store, onto)
    assert _count(store, "MATCH (e:Employee) RETURN count(e) AS c") >= 50
    assert _count(store, "MATCH (d:Department) RETURN count(d) AS c") >= 8
    # Everyone but the CEO has a manager, and every department has a head.
    assert _count(store, "MATCH (e:Employee) WHERE NOT (e)-[:REPORTS_TO]->() RETURN count(e) AS c") == 1
    assert _count(store, "MATCH (d:Department) WHERE NOT ()-[:HEAD_OF]->(d) RETURN count(d) AS c") == 0
    roles = {
        r["r"] for r in store.query("MATCH (:Employee)-[:HAS_ROLE]->(r:Role) RETURN DISTINCT r.nameEn AS r")
    }
    assert {"employee", "manager", "hr", "knowledge_engineer", "analyst", "agent", "admin"} <= roles


def test_reporting_lines_have_no_cycles(store, onto) -> None:
    load_demo(store, onto)
    cycles = store.query("MATCH (e:Employee)-[:REPORTS_TO*1..20]->(e) RETURN count(e) AS c")
    assert cycles[0]["c"] == 0


def test_processes_cover_sequential_countersign_anysign_and_conditions(store, onto) -> None:
    load_demo(store, onto)
    assert _count(store, "MATCH (p:ApprovalProcess) RETURN count(p) AS c") >= 8
    modes = Counter(r["m"] for r in store.query("MATCH (s:ApprovalStep) RETURN s.mode AS m"))
    assert modes["依次"] and modes["会签"] and modes["或签"]
    assert _count(store, "MATCH (s:ApprovalStep) WHERE s.minAmount IS NOT NULL RETURN count(s) AS c") >= 3
    assert _count(store, "MATCH (s:ApprovalStep) WHERE s.minDays IS NOT NULL RETURN count(s) AS c") >= 3
    # The expense chain: manager → accountant → CFO above 5000 → CEO above 20000.
    chain = store.query(
        "MATCH (:ApprovalProcess {id: 'PROC-EXPENSE'})-[:HAS_STEP]->(s)-[:APPROVER_ROLE]->(r) "
        "RETURN s.order AS o, r.name AS role, s.minAmount AS min ORDER BY o"
    )
    assert [(c["role"], c["min"]) for c in chain] == [
        ("直属上级", None),
        ("会计审核", None),
        ("财务总监审批", 5000.0),
        ("总经理审批", 20000.0),
    ]


def test_loading_twice_changes_nothing(store, onto) -> None:
    first = load_demo(store, onto)
    second = load_demo(store, onto)
    assert first.stats.nodes_created == first.nodes > 200
    assert second.stats.nodes_created == 0
    assert second.stats.relationships_created == 0
    assert _count(store, "MATCH (n:Resource) RETURN count(n) AS c") == first.nodes


def test_invalid_demo_data_writes_nothing(store, onto, tmp_path: Path) -> None:
    import shutil

    from zhiku.errors import ShaclViolation

    broken = tmp_path / "demo"
    shutil.copytree(
        DEMO_DIR, broken, ignore=shutil.ignore_patterns("*.pdf", "*.docx", "*.html", "__pycache__")
    )
    text = (broken / "processes.yaml").read_text(encoding="utf-8")
    (broken / "processes.yaml").write_text(text.replace("mode: 会签", "mode: 全签", 1), encoding="utf-8")
    with pytest.raises(ShaclViolation) as info:
        load_demo(store, onto, broken)
    assert "依次、会签 或 或签" in info.value.violations[0]
    assert _count(store, "MATCH (n) RETURN count(n) AS c") == 0


def test_at_least_30_documents_in_four_formats(index) -> None:
    files = [DOCS / e["file"] for e in index]
    assert len(files) >= 30
    assert all(f.is_file() for f in files), [f.name for f in files if not f.is_file()]
    assert {f.suffix for f in files} >= {".md", ".html", ".docx", ".pdf"}
    assert len({e["file"] for e in index}) == len(index)


def test_generated_documents_hold_their_sources_text(index) -> None:
    """Every PDF/DOCX/HTML file contains the text of its Markdown source (so ingestion can read it)."""
    import docx
    import pypdf

    for entry in (e for e in index if "source" in e):
        path = DOCS / entry["file"]
        if path.suffix == ".pdf":
            text = "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
        elif path.suffix == ".docx":
            text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
        else:
            text = path.read_text(encoding="utf-8")
        compact = "".join(text.split())
        assert "".join(entry["title"].split()) in compact, entry["file"]
        source = (DOCS / entry["source"]).read_text(encoding="utf-8")
        last_line = "".join(source.strip().splitlines()[-1].lstrip("#-0123456789. ").split())
        assert last_line[:20] in compact, entry["file"]


def test_at_least_100_faq_pairs_with_known_topics(store, onto) -> None:
    with open(DEMO_DIR / "faq.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 100
    assert len({r["id"] for r in rows}) == len(rows)
    assert all(r["question"].strip() and r["answer"].strip() for r in rows)
    load_demo(store, onto)
    topics = {r["id"] for r in store.query("MATCH (t:Topic) RETURN t.id AS id")}
    assert {r["category"] for r in rows} <= topics


def test_one_document_is_restricted_to_hr(index) -> None:
    restricted = [e for e in index if e.get("access", {}).get("departments")]
    assert [e["file"] for e in restricted] == ["salary-adjustment-2026.docx"]
    assert restricted[0]["access"]["roles"] == ["hr"]


def test_policies_link_to_processes(store, onto) -> None:
    load_demo(store, onto)
    rows = store.query(
        load("entity_relations").text,
        {"id": "POL-expense", "limit": 20, "hide_types": None, "hide_labels": None},
    )
    assert ("REQUIRES_APPROVAL", "PROC-EXPENSE") in {(r["type"], r["id"]) for r in rows}

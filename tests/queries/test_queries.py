"""The named query library: files parse, headers are honest, every read query runs on the store."""

from __future__ import annotations

import pytest

import queries
from demo.load import load_demo
from zhiku.access import SYSTEM
from zhiku.errors import QueryNotFound


def test_every_query_has_a_description_and_mode() -> None:
    for name in queries.names():
        q = queries.load(name)
        assert q.description, name
        assert q.mode in ("read", "write"), name
        assert q.text and not q.text.startswith("//"), name


def test_unknown_and_path_like_names_are_refused() -> None:
    for bad in ("nope", "../pyproject", "entity_by_id.cypher", "Entity_By_Id"):
        with pytest.raises(QueryNotFound):
            queries.load(bad)


def test_declared_parameters_match_the_text() -> None:
    import re

    for name in queries.names():
        q = queries.load(name)
        used = set(re.findall(r"\$(\w+)", q.text))
        declared = {p.name for p in q.params}
        assert used == declared, f"{name}: uses {used}, declares {declared}"


def test_placeholders_must_all_be_filled() -> None:
    q = queries.load("upsert_nodes")
    with pytest.raises(KeyError):
        q.render()
    assert "{{" not in q.render(set_labels="SET n:`Employee`")


def test_read_queries_run_on_the_demo(store, onto) -> None:
    from demo.load import demo_document_paths
    from ingest.pipeline import Pipeline

    load_demo(store, onto)
    Pipeline(store).ingest(demo_document_paths())
    # a colleague of E1011 (人力资源部) read a document, so colleague_views has something to show
    doc = store.query("MATCH (d:Document) RETURN d.id AS id LIMIT 1")[0]["id"]
    store.execute(
        queries.load("record_view").text, {"employee": "E1010", "document": doc, "at": "2026-11-24"}
    )
    # an application waiting on an approver, a hand-off the bot could not answer, an unhelpful answer
    from datetime import UTC, datetime, timedelta

    from approvals.engine import ApprovalEngine
    from approvals.sla import SlaSweep

    now = [datetime(2026, 3, 2, 1, tzinfo=UTC)]
    engine = ApprovalEngine(store, clock=lambda: now[0])
    inst = engine.submit("费用报销", applicant="E1011", amount=8000, reason="测试").instance
    now[0] += timedelta(hours=5)  # decided after 5 hours, then sent back, then overdue and escalated
    engine.act(inst.id, "approve", actor=inst.pending[0])
    engine.act(inst.id, "return", actor=engine.get(inst.id).pending[0], comment="缺发票")
    engine.act(inst.id, "resubmit", actor="E1011")
    now[0] += timedelta(days=30)
    assert SlaSweep(engine).sweep().escalations == 1
    store.execute(
        queries.load("create_ticket").text,
        {"id": "T-q1", "employee": "E1011", "title": "公积金怎么提取", "category": "handoff",
         "conversation": ["员工: 公积金怎么提取"], "found": [], "entities": ["D-HR"], "at": "2026-11-24", "session": "",
         "line_documents": ["[]"], "found_documents": []},
    )  # fmt: skip
    store.execute(
        queries.load("record_feedback").text,
        {"id": "F-q1", "employee": "E1011", "answer": "A-1", "question": "公积金怎么提取", "helpful": False,
         "comment": "没回答到点上", "at": "2026-11-24"},
    )  # fmt: skip
    # what knowledge engineers hunt for: an orphaned document, an ownerless policy, a process without a
    # form, a duplicate department (removed again below)
    store.execute(
        "MERGE (:Resource:Document {id: 'doc-q-orphan', name: '空白模板', uri: 'file:///orphan.md'}) "
        "MERGE (:Resource:Policy {id: 'POL-q-orphan', name: '临时制度'}) "
        "MERGE (:Resource:ApprovalProcess {id: 'PROC-q-noform', name: '临时流程'}) "
        "MERGE (:Resource:Department {id: 'D-q-dup', name: '人力资源部'})"
    )
    store.execute(  # two sources that disagree about a fact (see ingest.writer)
        "MATCH (:ApprovalProcess {id: 'PROC-EXPENSE'})-[r:APPROVED_BY]->(:Position {id: 'POS-CFO'}) "
        "SET r.conflicts = ['doc-q|minAmount: 5000.0 ≠ 3000.0']"
    )
    store.execute(  # a knowledge engineer's decision (see ingest.review)
        queries.load("review_record").text,
        {"id": "rev-q1", "by": "E1003", "props": {"action": "reject", "surface": "示例", "target": "",
         "decidedBy": "E1003", "decidedAt": "2026-11-24T00:00:00+00:00", "documents": []}},
    )  # fmt: skip
    samples = {
        "id": "E1011", "limit": 5, "prefix": "file:", "ids": ["E1011"], "employee": "E1011",
        "type": None, "name": None, "skip": 0, "admin": False, "level": 5, "departments": ["D-HR"],
        "roles": ["employee"], "depth": 2, "types": [], "topic": None, "owner": None, "applicant": "E1011",
        "positions": ["POS-CFO"], "private": ["Ticket"], "role": "applied", "status": None, "userid": "E1011",
        "before": "2100-01-01", "assignee": "", "rows": [{"start": "PROC-EXPENSE", "end": "POS-CFO"}],
        "hide_types": ["VIEWED"], "hide_labels": ["Ticket"], "hidden_documents": ["doc-q-hidden"],
        "keys": ["PROC-EXPENSE|APPROVED_BY|POS-CFO"], "action": None,
        "project": "云杉科技", "process": "PROC-LEAVE", "at": "2026-03-02T00:00:00.000+00:00",
    }  # fmt: skip
    per_query = {
        "process_steps": {"id": "PROC-LEAVE"},
        "related_items": {"id": "LEAVE-annual"},
        "employees_with_role": {"role": "hr"},
        "process_approvers": {"id": "PROC-EXPENSE"},
        "reporting_line": {"id": "E1031"},
        "direct_reports": {"id": "E1030"},
        "stale_documents": {"before": "2100-01-01"},
        "ticket_list": {"status": "", "employee": ""},
        "unhelpful_feedback": {"since": "2000-01-01"},
        "approval_sla_breaches": {"process": None},
        "approval_step_times": {"process": None},
        "approval_versions": {"process": None},
    }
    for name in queries.names():
        q = queries.load(name)
        if q.mode != "read":
            continue
        values = {**samples, **per_query.get(name, {})}
        identifiers = {"type": ":`APPROVED_BY`", "label": ":`Employee`", "property": "`name`", "end": "b"}
        text = q.render(**identifiers) if q.placeholders else q.text
        rows = store.query(text, {p.name: values[p.name] for p in q.params})
        if not q.internal:  # internal ones are exercised by the stages that use them
            assert rows, f"{name} returned nothing on the demo"
    gaps = {r["id"] for r in store.query(queries.load("orphan_documents").text)}
    assert "doc-q-orphan" in gaps
    assert any((r["first"] == "D-HR" and r["second"] == "D-q-dup") or r["second"] == "D-HR"
               for r in store.query(queries.load("duplicate_candidates").text, {"limit": 50}))  # fmt: skip
    store.execute("MATCH (x:Resource) WHERE x.id ENDS WITH '-q-orphan' OR x.id IN ['PROC-q-noform', 'D-q-dup'] "
                  "DETACH DELETE x")  # fmt: skip


def test_defaults_and_command_line_values(store) -> None:  # type: ignore[no-untyped-def]
    from zhiku.errors import InputError

    q = queries.load("approval_bottlenecks")
    assert [(p.name, p.type, p.default) for p in q.params] == [("limit", "int", 50)]
    assert (
        queries.run_named_query(store, "approval_bottlenecks", who=SYSTEM) is not None
    )  # LIMIT falls back to 50
    assert queries.coerce("int", "7") == 7 and queries.coerce("list", "a,b") == ["a", "b"]
    with pytest.raises(InputError):
        queries.coerce("int", "seven")


def test_header_parameters_are_required_defaulted_or_nullable(store) -> None:  # type: ignore[no-untyped-def]
    from zhiku.errors import InputError

    page = {p.name: p for p in queries.load("entities_page").params}
    assert page["skip"].default == 0 and not page["skip"].required
    assert page["type"].nullable and not page["type"].required
    assert queries.load("reporting_line").params[0].required
    assert {p.name: p.default for p in queries.load("neighborhood").params}["types"] == []
    with pytest.raises(InputError) as missing:
        queries.run_named_query(store, "reporting_line", who=SYSTEM)
    assert "id" in missing.value.message_zh and missing.value.message_en.endswith("required parameters: id")
    with pytest.raises(InputError):
        queries.run_named_query(store, "entities_page", ["skip", 0], who=SYSTEM)  # type: ignore[arg-type]
    store.execute("CREATE (:Resource:Employee {id: 'E1'})-[:REPORTS_TO]->(:Resource:Employee {id: 'E2'})")
    # defaults fill what is not given: skip 0, limit 50, every relationship type
    assert [r["id"] for r in queries.run_named_query(store, "entities_page", who=SYSTEM)] == ["E1", "E2"]
    hood = queries.run_named_query(store, "neighborhood", {"id": "E1"}, who=SYSTEM)
    assert hood == [{"source": "E1", "type": "REPORTS_TO", "target": "E2"}]

"""The named query library: files parse, headers are honest, every read query runs on the store."""

from __future__ import annotations

import pytest

import queries
from demo.load import load_demo
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
    samples = {
        "id": "E1011", "limit": 5, "prefix": "file:", "ids": ["E1011"], "employee": "E1011",
        "type": None, "name": None, "skip": 0, "admin": False, "level": 5, "departments": ["D-HR"],
        "roles": ["employee"], "depth": 2, "types": [], "topic": None, "owner": None, "applicant": "E1011",
        "positions": ["POS-CFO"], "private": ["Ticket"], "role": "applied", "status": None, "userid": "E1011",
    }  # fmt: skip
    per_query = {
        "process_steps": {"id": "PROC-LEAVE"},
        "related_items": {"id": "LEAVE-annual"},
        "employees_with_role": {"role": "hr"},
    }
    for name in queries.names():
        q = queries.load(name)
        if q.mode != "read":
            continue
        values = {**samples, **per_query.get(name, {})}
        rows = store.query(q.text, {p.name: values[p.name] for p in q.params})
        if not q.internal:  # internal ones are exercised by the stages that use them
            assert rows, f"{name} returned nothing on the demo"

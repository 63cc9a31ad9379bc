"""``zhiku ontology diff``: what changed between two ontology versions, and how much of the data in the
store each change that could orphan it touches (counted read-only)."""

from __future__ import annotations

from pathlib import Path

from kb.load import load_project
from kb.project import open_project
from kb.scaffold import init_project
from ontology.diff import count_affected, diff_ontologies
from ontology.model import load_ontology

HEAD = """@prefix zk: <http://zhiku.example.org/ontology#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
ROOM = 'zk:MeetingRoom a owl:Class ; rdfs:subClassOf zk:Location ; skos:prefLabel "会议室"@zh .\n'
MEETS_IN = 'zk:meetsIn a owl:ObjectProperty ; rdfs:domain zk:Department ; rdfs:range zk:{range} ; skos:prefLabel "开会地点"@zh .\n'
CAPACITY = 'zk:capacity a owl:DatatypeProperty ; rdfs:domain zk:MeetingRoom ; rdfs:range xsd:integer ; skos:prefLabel "容纳人数"@zh .\n'


def _version(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def test_diff_names_added_removed_and_narrowed_terms(tmp_path: Path) -> None:
    old = load_ontology([_version(tmp_path, "v1.ttl", ROOM + CAPACITY + MEETS_IN.format(range="Location"))])
    new_body = (
        ROOM + MEETS_IN.format(range="MeetingRoom") + 'zk:Building a owl:Class ; skos:prefLabel "楼宇"@zh .\n'
    )
    new = load_ontology([_version(tmp_path, "v2.ttl", new_body)])
    diff = diff_ontologies(old, new)
    found = {(c.kind, c.name, c.change, c.breaking) for c in diff.changes}
    assert found == {
        ("class", "Building", "added", False),
        ("datatype", "capacity", "removed", True),
        ("object", "meetsIn", "range", True),  # Location → MeetingRoom: narrower
    }
    # Widening the range back orphans nothing.
    back = diff_ontologies(new, old)
    assert ("object", "meetsIn", "range", False) in {
        (c.kind, c.name, c.change, c.breaking) for c in back.changes
    }
    assert ("class", "Building", "removed", True) in {
        (c.kind, c.name, c.change, c.breaking) for c in back.changes
    }
    assert str(next(c for c in diff.changes if c.name == "meetsIn")) == (
        "关系属性 meetsIn：值域变更 Location → MeetingRoom（可能使已有数据失效）"
    )


def test_affected_counts_come_from_the_store_and_change_nothing(store, tmp_path: Path) -> None:
    project_dir = tmp_path / "acme"
    init_project(project_dir)
    v1 = _version(tmp_path, "v1.ttl", ROOM + CAPACITY + MEETS_IN.format(range="Location"))
    (project_dir / "ontology" / "meets.ttl").write_text(v1.read_text(encoding="utf-8"), encoding="utf-8")
    vocabulary = project_dir / "vocabulary" / "vocabulary.ttl"
    vocabulary.write_text(
        vocabulary.read_text(encoding="utf-8")
        + "kg:D-HR zk:meetsIn kg:ROOM-101 .\nkg:D-GMO zk:meetsIn kg:LOC-HQ .\n",
        encoding="utf-8",
    )
    load_project(store, open_project(project_dir), onto=load_ontology())
    before = store.query("MATCH (n) RETURN count(n) AS c")[0]["c"]

    old = load_ontology([project_dir / "ontology" / "extension.ttl", v1])
    v2 = _version(tmp_path, "v2.ttl", MEETS_IN.format(range="MeetingRoom"))  # no MeetingRoom, no capacity
    new = load_ontology([v2])
    counts = {
        (c.kind, c.name, c.change): count_affected(store, c) for c in diff_ontologies(old, new).breaking
    }
    assert counts == {
        ("class", "MeetingRoom", "removed"): 1,  # ROOM-101
        ("datatype", "capacity", "removed"): 1,
        ("object", "meetsIn", "range"): 1,  # D-GMO → LOC-HQ is not a meeting room; D-HR → ROOM-101 is
    }
    assert store.query("MATCH (n) RETURN count(n) AS c")[0]["c"] == before

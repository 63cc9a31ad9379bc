"""Loading and compiling the ontology: classes, relation names, labels, schema, imports, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ontology.model import load_ontology, rel_type_name
from zhiku.errors import OntologyError

FIXTURES = Path(__file__).parent / "fixtures"

REQUIRED_CLASSES = {
    "Organization", "Department", "Employee", "Position", "Role", "Policy", "Clause", "ApprovalProcess",
    "ApprovalStep", "Form", "Document", "Chunk", "FAQ", "Topic", "ITSystem", "Benefit", "LeaveType",
    "Location", "Ticket",
}  # fmt: skip
REQUIRED_RELATIONS = {
    "BELONGS_TO", "REPORTS_TO", "HAS_ROLE", "GOVERNS", "APPLIES_TO", "REQUIRES_APPROVAL", "HAS_STEP",
    "NEXT_STEP", "APPROVER_ROLE", "MENTIONS", "DEFINED_IN",
}  # fmt: skip


def test_core_ontology_has_the_required_classes_and_relations(onto) -> None:
    assert set(onto.classes) >= REQUIRED_CLASSES
    assert set(onto.rel_types) >= REQUIRED_RELATIONS
    assert onto.lint() == []


def test_every_term_has_chinese_and_english_labels(onto) -> None:
    terms = [*onto.classes.values(), *onto.object_properties.values(), *onto.datatype_properties.values()]
    assert all(t.label_zh for t in terms)
    assert all(t.label_en for t in terms)


def test_synonyms_are_loaded_from_skos_altlabel(onto) -> None:
    assert {"政策", "规定", "SOP"} <= set(onto.classes["Policy"].aliases)
    assert "岗位" in onto.classes["Position"].surface_forms


def test_relation_names_are_upper_snake_case() -> None:
    assert rel_type_name("reportsTo") == "REPORTS_TO"
    assert rel_type_name("requiresApproval") == "REQUIRES_APPROVAL"
    assert rel_type_name("definedIn") == "DEFINED_IN"


def test_labels_include_superclasses(onto) -> None:
    assert onto.labels_for(["LeaveType"]) == ("LeaveType", "Benefit")
    assert onto.ancestors("Employee") == ("Employee",)


def test_properties_carry_domain_range_and_functional_flag(onto) -> None:
    reports = onto.object_properties["reportsTo"]
    assert (reports.domain, reports.range, reports.functional) == ("Employee", "Employee", True)
    assert onto.datatype_properties["minAmount"].range_iri.endswith("decimal")


def test_schema_has_a_unique_id_on_every_resource(onto) -> None:
    schema = onto.schema()
    assert any(i.label == "Resource" and i.property == "id" and i.unique for i in schema.indexes)
    assert "Employee" in schema.labels
    assert "REPORTS_TO" in schema.relationship_types


def test_gazetteer_maps_synonyms_to_classes_and_relations(onto) -> None:
    entries = {(e.surface, e.kind, e.target) for e in onto.gazetteer()}
    assert ("规章", "class", "Policy") in entries
    assert ("谁来批", "relation", "APPROVER_ROLE") in entries


def test_protege_rdf_xml_extension_is_imported() -> None:
    onto = load_ontology([FIXTURES / "protege_training.owl"])
    course = onto.classes["TrainingCourse"]
    assert course.label_zh == "培训课程"  # from rdfs:label, as Protégé writes it
    assert course.label_en == "Training course"
    assert set(course.aliases) == {"内训", "培训"}
    assert onto.labels_for(["TrainingCourse"]) == ("TrainingCourse", "Benefit")
    assert onto.rel_types["TAUGHT_BY"].range == "Employee"
    assert "creditHours" in onto.datatype_properties


def test_ontology_round_trips_through_rdf_xml(onto, tmp_path: Path) -> None:
    """Export to RDF/XML (what Protégé opens), load it back: the same classes and properties."""
    path = tmp_path / "zhiku.owl"
    path.write_text(onto.graph.serialize(format="xml"), encoding="utf-8")
    from ontology.model import Ontology, parse_rdf

    again = Ontology(parse_rdf(path), onto.shapes, (path,))
    assert set(again.classes) == set(onto.classes)
    assert set(again.rel_types) == set(onto.rel_types)
    assert again.classes["Policy"].aliases == onto.classes["Policy"].aliases


def test_invalid_turtle_names_the_file_and_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ttl"
    bad.write_text("@prefix zk: <http://zhiku.example.org/ontology#> .\nzk:Foo a owl:Class ;; .\n")
    with pytest.raises(OntologyError) as info:
        load_ontology([bad])
    assert "broken.ttl" in info.value.message_zh
    assert "本体文件解析失败" in info.value.message_zh


def test_missing_and_unsupported_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(OntologyError, match="not found"):
        load_ontology([tmp_path / "nope.ttl"])
    odd = tmp_path / "x.docx"
    odd.write_text("x")
    with pytest.raises(OntologyError, match="unsupported"):
        load_ontology([odd])


def test_lint_reports_terms_without_chinese_labels(tmp_path: Path) -> None:
    ext = tmp_path / "ext.ttl"
    ext.write_text(
        "@prefix zk: <http://zhiku.example.org/ontology#> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "zk:Vendor a owl:Class .\n"
    )
    onto = load_ontology([ext])
    assert any("Vendor" in p for p in onto.lint())


def test_stats_count_terms_and_shapes(onto) -> None:
    stats = onto.stats()
    assert stats["classes"] >= 19
    assert stats["shapes"] >= 10
    assert stats["synonyms"] > 50

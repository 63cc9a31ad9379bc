"""RDF ⇄ property graph: the demo survives RDF → graph → RDF (Turtle and JSON-LD) unchanged."""

from __future__ import annotations

from decimal import Decimal

from rdflib import Graph, Literal

from demo.load import demo_rdf, load_rdf
from ontology.mapping import export_graph, rdf_to_records
from ontology.model import KG


def _normalised(graph: Graph) -> set[tuple]:
    """Triples with literals compared by language and value (``5000`` == ``5000.0`` as decimals)."""
    out = set()
    for s, p, o in graph:
        if isinstance(o, Literal):
            value = o.toPython()
            if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
                value = float(value)
            o = ("literal", o.language, str(value) if not isinstance(value, float) else value)
        out.add((s, p, o))
    return out


def test_records_carry_names_aliases_and_superclass_labels(onto) -> None:
    nodes, edges = rdf_to_records(demo_rdf(), onto)
    by_id = {n.id: n for n in nodes}
    annual = by_id["LEAVE-annual"]
    assert annual.labels == ("LeaveType", "Benefit")
    assert annual.properties["name"] == "年假"
    assert "带薪年假" in annual.properties["aliases"]
    assert annual.properties["paid"] is True
    assert by_id["PROC-EXPENSE-S3"].properties["minAmount"] == 5000.0
    assert ("E1011", "REPORTS_TO", "E1010") in {(e.start, e.type, e.end) for e in edges}


def test_demo_round_trips_through_the_graph_losslessly(store, onto) -> None:
    source = demo_rdf()
    load_rdf(store, source, onto)
    exported = export_graph(store, onto)
    assert _normalised(exported) == _normalised(source)


def test_exported_rdf_parses_back_as_turtle_and_json_ld(store, onto) -> None:
    load_rdf(store, demo_rdf(), onto)
    exported = export_graph(store, onto)
    for fmt in ("turtle", "json-ld"):
        again = Graph().parse(data=exported.serialize(format=fmt), format=fmt)
        assert _normalised(again) == _normalised(exported), fmt
    assert (KG["E1011"], None, None) in exported


def test_labels_in_other_languages_are_kept_with_their_tag(onto) -> None:
    nodes, _ = rdf_to_records(demo_rdf(), onto)
    marriage = {n.id: n for n in nodes}["LEAVE-marriage"].properties
    assert marriage["name"] == "婚假" and marriage["nameEn"] == "Marriage leave"
    assert marriage["labelsI18n"] == ["ja=結婚休暇"]
    annual = {n.id: n for n in nodes}["LEAVE-annual"].properties
    assert "ja=有給休暇" in annual["aliasesI18n"]

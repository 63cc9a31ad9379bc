"""The changed-subgraph SHACL gate: what it reports for the changed nodes is what validating everything
reports for them (the SPARQL rule included), and nodes outside the change are not judged."""

from __future__ import annotations

import pytest
from rdflib import RDF, SKOS, Graph, Literal

from demo.load import demo_rdf
from ontology.gate import changed_subgraph, check_changes, violations_of_changes
from ontology.model import KG, ZK
from ontology.validate import validate
from zhiku.errors import ShaclViolation


@pytest.fixture(scope="module")
def broken() -> Graph:
    g = demo_rdf()
    g.remove((KG["E1012"], ZK.reportsTo, None))
    g.add((KG["E1012"], ZK.reportsTo, KG["E1012"]))  # the SPARQL rule (NoSelfReportShape)
    g.add((KG["E1014"], ZK.email, Literal("not-an-email")))  # a property shape
    g.remove((KG["AR-cfo"], ZK.resolvesTo, None))  # the other SPARQL rule
    return g


def test_changed_nodes_get_the_same_violations_as_a_full_validation(onto, broken) -> None:
    changed = ["E1012", "E1014", "AR-cfo", "E1002", "D-HR"]
    full = [str(v) for v in validate(broken, onto, inference=False) if v.focus in changed]
    gated = [str(v) for v in violations_of_changes(broken, changed, onto)]
    assert gated == full
    assert any(v.startswith("节点 E1012") and "不能是自己的直属上级" in v for v in gated)
    assert any(v.startswith("节点 AR-cfo") and "必须指定对应职位" in v for v in gated)
    assert any(v.startswith("节点 E1014") and "邮箱格式不正确" in v for v in gated)


def test_nodes_outside_the_change_are_not_judged(onto, broken) -> None:
    check_changes(broken, ["E1002", "D-HR"], onto)  # their neighbours E1012/E1014 are broken: no matter
    with pytest.raises(ShaclViolation) as err:
        check_changes(broken, ["E1012"], onto)
    assert err.value.violations == [
        "节点 E1012（"
        + str(broken.value(KG["E1012"], SKOS.prefLabel))
        + "） — 员工不能是自己的直属上级（reportsTo 形成自环）（值：E1012） [NoSelfReportShape]"
    ]


def test_neighbours_only_in_the_graph_are_typed_from_known_labels(onto) -> None:
    data = Graph()
    emp = KG["E9"]
    data.add((emp, RDF.type, ZK.Employee))
    data.add((emp, SKOS.prefLabel, Literal("新人", lang="zh")))
    data.add((emp, ZK.belongsTo, KG["D-X"]))
    data.add((emp, ZK.hasPosition, KG["POS-X"]))
    with pytest.raises(ShaclViolation) as err:  # D-X and POS-X untyped: sh:class fails
        check_changes(data, ["E9"], onto)
    assert any("belongsTo" in v for v in err.value.violations)
    check_changes(data, ["E9"], onto, known={"D-X": ["Department"], "POS-X": ["Position"]})
    sub = changed_subgraph(data, ["E9"], onto, known={"D-X": ["Department"], "POS-X": ["Position"]})
    assert (KG["D-X"], RDF.type, ZK.Department) in sub

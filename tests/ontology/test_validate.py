"""SHACL validation of instance data: the demo conforms; planted errors are each caught and named."""

from __future__ import annotations

import pytest
from rdflib import RDF, Literal

from demo.load import demo_rdf
from ontology.model import KG, ZK
from ontology.validate import ensure_valid, validate
from zhiku.errors import ShaclViolation


@pytest.fixture(scope="module")
def demo_graph():
    return demo_rdf()


def _broken(demo_graph, *, remove=(), add=()):
    g = demo_graph.__class__()
    g += demo_graph
    for triple in remove:
        g.remove(triple)
    for triple in add:
        g.add(triple)
    return g


def test_demo_data_conforms(onto, demo_graph) -> None:
    assert validate(demo_graph, onto) == []


PLANTED = [
    ({"remove": [(KG["E1011"], ZK.belongsTo, None)]}, "E1011", "恰好属于一个部门"),
    ({"add": [(KG["E1012"], ZK.reportsTo, KG["E1012"])]}, "E1012", "不能是自己的直属上级"),
    ({"add": [(KG["E1013"], ZK.reportsTo, KG["D-HR"])]}, "E1013", "上级必须是员工"),
    ({"add": [(KG["PROC-LEAVE-S2"], ZK.mode, Literal("随便"))]}, "PROC-LEAVE-S2", "依次、会签 或 或签"),
    ({"remove": [(KG["AR-cfo"], ZK.resolvesTo, None)]}, "AR-cfo", "必须指定对应职位"),
    ({"remove": [(KG["PROC-SEAL"], ZK.firstStep, None)]}, "PROC-SEAL", "第一步"),
    ({"add": [(KG["PROC-EXPENSE-S3"], ZK.maxAmount, Literal(100))]}, "PROC-EXPENSE-S3", "金额"),
    ({"add": [(KG["X1"], RDF.type, ZK.Employee)]}, "X1", "中文名称"),
    ({"add": [(KG["E1014"], ZK.email, Literal("not-an-email"))]}, "E1014", "邮箱格式"),
]


@pytest.fixture(scope="module")
def planted_violations(onto, demo_graph):
    """All planted errors in one graph, validated once (pyshacl with RDFS inference costs ~2 s a run)."""
    remove = [t for change, _, _ in PLANTED for t in change.get("remove", [])]
    add = [t for change, _, _ in PLANTED for t in change.get("add", [])]
    return validate(_broken(demo_graph, remove=remove, add=add), onto)


@pytest.mark.parametrize(("focus", "expected"), [(f, e) for _, f, e in PLANTED])
def test_planted_errors_are_reported_with_node_and_rule(planted_violations, focus, expected) -> None:
    matching = [v for v in planted_violations if v.focus == focus and expected in v.message]
    assert matching, [str(v) for v in planted_violations]
    assert str(matching[0]).startswith(f"节点 {focus}")


def test_only_planted_nodes_are_reported(planted_violations) -> None:
    # D-HR as the object of reportsTo is inferred (rdfs:range) to be an Employee, and as such is
    # reported too: that is the knowledge engineer's clue to the wrong edge.
    assert {v.focus for v in planted_violations} == {f for _, f, _ in PLANTED} | {"D-HR"}


def test_ensure_valid_raises_with_every_violation(onto, demo_graph) -> None:
    g = _broken(
        demo_graph,
        remove=[(KG["E1011"], ZK.belongsTo, None)],
        add=[(KG["PROC-LEAVE-S1"], ZK.mode, Literal("随便"))],
    )
    with pytest.raises(ShaclViolation) as info:
        ensure_valid(g, onto)
    assert len(info.value.violations) >= 2
    assert "数据不符合本体约束" in info.value.message_zh

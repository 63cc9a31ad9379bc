"""Validate instance data against the ontology's SHACL shapes (pyshacl), with readable messages.

Example::

    problems = validate(data_graph, onto)
    for p in problems:
        print(p)        # 节点 kg:E1001（张伟）：belongsTo — 员工必须恰好属于一个部门 [EmployeeShape]
    ensure_valid(data_graph, onto)   # raises ShaclViolation, listing them all
"""

from __future__ import annotations

from dataclasses import dataclass

from pyshacl import validate as shacl_validate
from rdflib import RDF, SKOS, Graph, Namespace
from rdflib.term import BNode, Node, URIRef

from ontology.model import KG, Ontology, local_name
from zhiku.errors import ShaclViolation

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: which node, which property, which shape, what the rule says."""

    focus: str
    focus_name: str
    path: str
    message: str
    shape: str
    value: str
    severity: str

    def __str__(self) -> str:
        who = f"{self.focus}（{self.focus_name}）" if self.focus_name else self.focus
        where = f"：{self.path}" if self.path else ""
        value = f"（值：{self.value}）" if self.value else ""
        return f"节点 {who}{where} — {self.message}{value} [{self.shape}]"


def _short(node: Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node, BNode):
        return ""
    text = str(node)
    if text.startswith(str(KG)):
        return text[len(str(KG)) :]
    return local_name(node) if text.startswith("http") else text


def validate(
    data: Graph, onto: Ontology, *, focus_nodes: list[str | URIRef] | None = None, inference: bool = True
) -> list[Violation]:
    """All SHACL violations of ``data`` (RDFS inference over the ontology is applied first, unless
    ``inference`` is off because ``data`` already states every type); ``focus_nodes`` limits the
    check to those nodes."""
    conforms, report, _ = shacl_validate(
        data,
        shacl_graph=onto.shapes,
        ont_graph=onto.graph if inference else None,
        inference="rdfs" if inference else None,
        abort_on_first=False,
        allow_warnings=True,
        focus_nodes=focus_nodes,
    )
    if conforms:
        return []
    assert isinstance(report, Graph)
    out = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        name = data.value(focus, SKOS.prefLabel) if focus is not None else None
        shape = report.value(result, SH.sourceShape)
        if isinstance(shape, BNode):  # property shapes are blank nodes: name the node shape holding them
            shape = onto.shapes.value(None, SH.property, shape) or shape
        message = report.value(result, SH.resultMessage)
        severity = report.value(result, SH.resultSeverity)
        out.append(
            Violation(
                focus=_short(focus),
                focus_name=str(name) if name is not None else "",
                path=_short(report.value(result, SH.resultPath)),
                message=str(message) if message is not None else "违反约束",
                shape=_short(shape) or "shape",
                value=_short(report.value(result, SH.value)),
                severity=_short(severity),
            )
        )
    return sorted(out, key=lambda v: (v.focus, v.path, v.message))


def ensure_valid(data: Graph, onto: Ontology) -> None:
    """Raise ``ShaclViolation`` listing every violation; return quietly when the data conforms."""
    violations = [v for v in validate(data, onto) if v.severity in ("Violation", "")]
    if violations:
        raise ShaclViolation([str(v) for v in violations])

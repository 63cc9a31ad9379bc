"""Validate instance data against the ontology's SHACL shapes (pyshacl), with readable messages.

SPARQL-based constraints (``sh:sparql`` on a node shape, e.g. ``NoSelfReportShape``) are compiled once
per ontology and run once over the whole data graph, not by pyshacl, which parses the query text again
for every focus node (78 % of a 20,000-employee org load). Everything else is pyshacl's.

Example::

    problems = validate(data_graph, onto)
    for p in problems:
        print(p)        # 节点 kg:E1001（张伟）：belongsTo — 员工必须恰好属于一个部门 [EmployeeShape]
    ensure_valid(data_graph, onto)   # raises ShaclViolation, listing them all
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from pyshacl import validate as shacl_validate
from rdflib import RDF, RDFS, SKOS, Graph, Namespace
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import BNode, Node, URIRef

from ontology.model import KG, Ontology, PropertyTerm, local_name
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


@dataclass(frozen=True, slots=True)
class _SparqlCheck:
    """One ``sh:sparql`` constraint of a node shape, its query prepared once (``$this`` → ``?this``)."""

    shape: URIRef
    classes: frozenset[str]  # local names of the target classes (sh:targetClass)
    nodes: frozenset[Node]  # sh:targetNode
    message: str
    query: Query


@dataclass(frozen=True, slots=True)
class _Compiled:
    shapes: Graph  # the shapes without the constraints in ``checks``
    checks: tuple[_SparqlCheck, ...]
    size: int  # of the ontology's shapes graph when compiled (an edit recompiles)


_COMPILED: WeakKeyDictionary[Ontology, _Compiled] = WeakKeyDictionary()
#: What a compiled query may not use (pre-bound variables other than $this): those stay with pyshacl.
_UNSUPPORTED = re.compile(r"\$(PATH|shapesGraph|currentShape|value)\b|\?failure\b")


def _subtree(graph: Graph, node: Node) -> list[tuple[Node, Node, Node]]:
    out = []
    for triple in graph.triples((node, None, None)):
        out.append(triple)
        if isinstance(triple[2], BNode):
            out += _subtree(graph, triple[2])
    return out


def _prefixes(shapes: Graph, constraint: Node) -> dict[str, str]:
    out: dict[str, str] = {}
    for decl in shapes.objects(constraint, SH.prefixes):
        for entry in shapes.objects(decl, SH.declare):
            prefix, ns = shapes.value(entry, SH.prefix), shapes.value(entry, SH.namespace)
            if prefix is not None and ns is not None:
                out[str(prefix)] = str(ns)
    return out


def _compile(onto: Ontology) -> _Compiled:
    """Split the shapes: SPARQL constraints we can run ourselves (node shapes targeting classes or
    nodes, selecting ``$this``), and the rest for pyshacl."""
    source = onto.shapes
    cached = _COMPILED.get(onto)
    if cached is not None and cached.size == len(source):
        return cached
    checks: list[_SparqlCheck] = []
    removed: list[tuple[Node, Node, Node]] = []
    for shape, constraint in source.subject_objects(SH.sparql):
        select = source.value(constraint, SH.select)
        if (
            not isinstance(shape, URIRef)
            or select is None
            or (shape, SH.path, None) in source
            or (constraint, SH.deactivated, None) in source
            or (shape, SH.deactivated, None) in source
            or any((shape, p, None) in source for p in (SH.targetSubjectsOf, SH.targetObjectsOf))
            or _UNSUPPORTED.search(str(select))
            or not re.search(r"SELECT\s[^{]*\$this\b", str(select), re.IGNORECASE)
        ):
            continue
        text = str(select).replace("$this", "?this")
        query = prepareQuery(text, initNs=_prefixes(source, constraint))
        message = source.value(constraint, SH.message) or source.value(shape, SH.message)
        classes = frozenset(local_name(c) for c in source.objects(shape, SH.targetClass))
        checks.append(
            _SparqlCheck(
                shape, classes, frozenset(source.objects(shape, SH.targetNode)),
                str(message) if message is not None else "违反约束", query,
            )
        )  # fmt: skip
        removed += [(shape, SH.sparql, constraint), *_subtree(source, constraint)]
    shapes = Graph()
    for prefix, ns in source.namespaces():
        shapes.bind(prefix, ns)
    drop = set(removed)
    for triple in source:
        if triple not in drop:
            shapes.add(triple)
    compiled = _Compiled(shapes, tuple(checks), len(source))
    _COMPILED[onto] = compiled
    return compiled


def _types(data: Graph, onto: Ontology, node: Node, inference: bool) -> set[str]:
    """The classes ``node`` is an instance of: stated, and with ``inference`` also those RDFS infers
    from the domains and ranges of its properties, each with its superclasses."""
    found = {local_name(t) for t in data.objects(node, RDF.type) if isinstance(t, URIRef)}
    if inference:
        props: dict[Node, PropertyTerm] = {
            p.iri: p for p in [*onto.object_properties.values(), *onto.datatype_properties.values()]
        }
        for pred in set(data.predicates(node, None)):
            term = props.get(pred)
            if term is not None and term.domain:
                found.add(term.domain)
        for pred in set(data.predicates(None, node)):
            term = props.get(pred)
            if term is not None and term.range and term.kind == "object":
                found.add(term.range)
    return set(onto.labels_for(found)) | found


def _sparql_violations(
    data: Graph, onto: Ontology, checks: Iterable[_SparqlCheck], focus: set[Node] | None, inference: bool
) -> list[Violation]:
    out = []
    for check in checks:
        seen: set[Node] = set()
        for row in data.query(check.query):
            this = getattr(row, "this", None)
            if this is None or this in seen or (focus is not None and this not in focus):
                continue
            seen.add(this)
            if this not in check.nodes and not (check.classes & _types(data, onto, this, inference)):
                continue
            name = data.value(this, SKOS.prefLabel)
            out.append(
                Violation(
                    focus=_short(this), focus_name=str(name) if name is not None else "", path="",
                    message=check.message, shape=_short(check.shape), value=_short(this),
                    severity="Violation",
                )
            )  # fmt: skip
    return out


def validate(
    data: Graph, onto: Ontology, *, focus_nodes: list[str | URIRef] | None = None, inference: bool = True
) -> list[Violation]:
    """All SHACL violations of ``data`` (RDFS inference over the ontology is applied first, unless
    ``inference`` is off because ``data`` already states every type); ``focus_nodes`` limits the
    report to those nodes.

    ``focus_nodes`` is applied to the report, not given to pyshacl: its option is a list scanned once per
    node and shape (quadratic), and it skips the literal values of nested shapes. Without inference,
    class targets are narrowed to the focus nodes instead (:func:`_focus_targets`)."""
    compiled = _compile(onto)
    focus: set[Node] | None = None
    shapes = compiled.shapes
    if focus_nodes is not None:
        focus = {f if isinstance(f, URIRef) else KG[f] for f in focus_nodes}
        if not inference:
            shapes = _focus_targets(compiled.shapes, data, focus)
    conforms, report, _ = shacl_validate(
        data,
        shacl_graph=shapes,
        ont_graph=onto.graph if inference else None,
        inference="rdfs" if inference else None,
        abort_on_first=False,
        allow_warnings=True,
    )
    out = _sparql_violations(data, onto, compiled.checks, focus, inference)
    if not conforms:
        assert isinstance(report, Graph)
        out += _report(report, data, onto, focus)
    return sorted(out, key=lambda v: (v.focus, v.path, v.message))


def _focus_targets(shapes: Graph, data: Graph, focus: set[Node]) -> Graph:
    """``shapes`` with each ``sh:targetClass C`` replaced by ``sh:targetNode`` for the focus nodes typed C
    in ``data`` (which states every type, superclasses included): pyshacl then validates the focus
    nodes (and, through nested shapes, their values) but not every typed neighbour around them, whose
    results the report would drop anyway. The gate's subgraphs are mostly neighbours: about a third of
    the time."""
    narrowed = Graph()
    for triple in shapes:
        if triple[1] != SH.targetClass:
            narrowed.add(triple)
    # A SHACL instance of C: typed C or a subclass of C (rdfs:subClassOf* in the data graph).
    classes = {
        node: {c for t in data.objects(node, RDF.type) for c in data.transitive_objects(t, RDFS.subClassOf)}
        for node in focus
    }
    for shape, cls in shapes.subject_objects(SH.targetClass):
        for node, types in classes.items():
            if cls in types:
                narrowed.add((shape, SH.targetNode, node))
    return narrowed


def _report(report: Graph, data: Graph, onto: Ontology, focus: set[Node] | None) -> list[Violation]:
    out = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus_node = report.value(result, SH.focusNode)
        if focus is not None and focus_node not in focus:
            continue
        name = data.value(focus_node, SKOS.prefLabel) if focus_node is not None else None
        shape = report.value(result, SH.sourceShape)
        if isinstance(shape, BNode):  # property shapes are blank nodes: name the node shape holding them
            shape = onto.shapes.value(None, SH.property, shape) or shape
        message = report.value(result, SH.resultMessage)
        severity = report.value(result, SH.resultSeverity)
        out.append(
            Violation(
                focus=_short(focus_node),
                focus_name=str(name) if name is not None else "",
                path=_short(report.value(result, SH.resultPath)),
                message=str(message) if message is not None else "违反约束",
                shape=_short(shape) or "shape",
                value=_short(report.value(result, SH.value)),
                severity=_short(severity),
            )
        )
    return out


def ensure_valid(data: Graph, onto: Ontology) -> None:
    """Raise ``ShaclViolation`` listing every violation; return quietly when the data conforms."""
    violations = [v for v in validate(data, onto) if v.severity in ("Violation", "")]
    if violations:
        raise ShaclViolation([str(v) for v in violations])

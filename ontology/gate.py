"""The SHACL gate a load passes before it writes: the changed nodes are validated, not the whole graph.

Both ways an organisation enters the graph — ``zhiku load`` (:mod:`kb.load`) and the incremental org
sync (:mod:`kb.orgsync`, HR exports and WeCom's directory) — call :func:`check_changes`. It validates
the *changed subgraph*: each changed node with its own triples and the triples pointing at it, and its
1-hop neighbours with only their types and names (enough for ``sh:class``, ``sh:or`` and inverse-path
counts). Every type is stated with its superclasses (and, with ``infer``, the types RDFS would infer
from the domains and ranges of the properties used), so pyshacl runs without inference; SPARQL
constraints run compiled (:mod:`ontology.validate`). A violation raises :class:`ShaclViolation` listing
every one in Chinese (node, property, rule) and nothing is written.

Neighbours the data does not type (nodes already in the graph) are typed from ``known``
(id → graph labels, as read from the store).

Example::

    check_changes(data, ["E1001", "D-HR"], onto, known={"ROLE-employee": ["Role"]})
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from rdflib import RDF, SKOS, Graph, URIRef
from rdflib.term import Node

from ontology.model import KG, Ontology, local_name
from ontology.validate import Violation, validate
from zhiku.errors import ShaclViolation


def _iri(node_id: str | URIRef) -> URIRef:
    return node_id if isinstance(node_id, URIRef) else KG[node_id]


def changed_subgraph(
    data: Graph,
    changed: Iterable[str | URIRef],
    onto: Ontology,
    *,
    known: Mapping[str, Sequence[str]] | None = None,
    infer: bool = False,
) -> Graph:
    """The part of ``data`` the shapes need to judge the ``changed`` nodes (see the module docstring)."""
    known = known or {}
    sub = Graph()
    neighbours: set[URIRef] = set()
    focus = {_iri(c) for c in changed}
    for node in focus:
        for triple in data.triples((node, None, None)):
            sub.add(triple)
            if isinstance(triple[2], URIRef) and triple[1] != RDF.type:
                neighbours.add(triple[2])
        for triple in data.triples((None, None, node)):
            sub.add(triple)
            if isinstance(triple[0], URIRef):
                neighbours.add(triple[0])
    kg = str(KG)
    for node in neighbours - focus:
        types = list(data.objects(node, RDF.type))
        for t in types:
            sub.add((node, RDF.type, t))
        if not types and str(node).startswith(kg):
            for label in known.get(str(node)[len(kg) :], ()):
                if label in onto.classes:
                    sub.add((node, RDF.type, onto.classes[label].iri))
        for name in data.objects(node, SKOS.prefLabel):
            sub.add((node, SKOS.prefLabel, name))
    _state_types(sub, onto, infer)
    return sub


def _state_types(graph: Graph, onto: Ontology, infer: bool) -> None:
    """Add every superclass of every stated (or, with ``infer``, domain/range-implied) type."""
    classes: dict[Node, set[str]] = {}
    for node, cls in graph.subject_objects(RDF.type):
        if isinstance(cls, URIRef):
            classes.setdefault(node, set()).add(local_name(cls))
    if infer:
        props = {p.iri: p for p in [*onto.object_properties.values(), *onto.datatype_properties.values()]}
        for s, p, o in graph:
            term = props.get(p)  # type: ignore[call-overload]
            if term is None:
                continue
            if term.domain:
                classes.setdefault(s, set()).add(term.domain)
            if term.kind == "object" and term.range and isinstance(o, URIRef):
                classes.setdefault(o, set()).add(term.range)
    for node, names in classes.items():
        for label in onto.labels_for(names):
            graph.add((node, RDF.type, onto.classes[label].iri))


def violations_of_changes(
    data: Graph,
    changed: Iterable[str | URIRef],
    onto: Ontology,
    *,
    known: Mapping[str, Sequence[str]] | None = None,
    infer: bool = False,
) -> list[Violation]:
    """The violations (severity Violation) of the ``changed`` nodes, judged on their subgraph."""
    focus: list[str | URIRef] = [_iri(c) for c in changed]
    if not focus:
        return []
    sub = changed_subgraph(data, focus, onto, known=known, infer=infer)
    found = validate(sub, onto, focus_nodes=focus, inference=False)
    return [v for v in found if v.severity in ("Violation", "")]


def check_changes(
    data: Graph,
    changed: Iterable[str | URIRef],
    onto: Ontology,
    *,
    known: Mapping[str, Sequence[str]] | None = None,
    infer: bool = False,
) -> None:
    """Raise :class:`ShaclViolation` listing every violation of the ``changed`` nodes; return quietly
    when they conform."""
    violations = violations_of_changes(data, changed, onto, known=known, infer=infer)
    if violations:
        raise ShaclViolation([str(v) for v in violations])

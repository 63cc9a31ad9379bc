"""RDF instance data ⇄ the property graph, both directions, driven by the compiled ontology.

RDF → graph: a typed instance ``kg:ID`` becomes a node with id ``ID`` and labels = its classes and
their superclasses; ``skos:prefLabel@zh`` → ``name``, ``@en`` → ``nameEn``, ``skos:altLabel@zh`` →
``aliases`` and ``@en`` → ``aliasesEn`` (lists); labels in any other language (``@ja``, ``@zh-Hant``…)
→ ``labelsI18n`` / ``aliasesI18n``, lists of ``"<tag>=<label>"`` (``"ja=結婚休暇"``), so the gazetteer
links a question in any language; ``skos:definition`` → ``definition``; datatype
properties → node properties
(several values → a sorted list); object properties → relationships.

Graph → RDF (export): the inverse. Literals get the datatype the ontology's ``rdfs:range`` declares.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from rdflib import RDF, SKOS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from ontology.model import KG, ZK, Ontology
from zhiku.errors import OntologyError
from zhiku.types import RESOURCE_LABEL, EdgeRecord, NodeRecord, PropertyValue


def _node_id(iri: Node) -> str:
    text = str(iri)
    if not isinstance(iri, URIRef) or not text.startswith(str(KG)):
        raise OntologyError(
            f"实例的 IRI 必须以 {KG} 开头：{text}", f"instance IRIs must start with {KG}: {text}"
        )
    return text[len(str(KG)) :]


def _python(value: Node) -> PropertyValue:
    if not isinstance(value, Literal):
        raise OntologyError(
            f"数据属性的值必须是字面量：{value}", f"datatype value must be a literal: {value}"
        )
    py = value.toPython()
    if isinstance(py, bool | int | float | str):
        return py
    if isinstance(py, Decimal):
        return float(py)
    if isinstance(py, dt.date | dt.datetime):
        return py.isoformat()
    return str(value)


#: Label properties that are lists even with one value.
LIST_LABELS = ("aliases", "aliasesEn", "labelsI18n", "aliasesI18n")
_CHINESE_TAGS = ("", "zh", "zh-hans", "zh-cn")


def _label_property(preferred: bool, label: Literal) -> tuple[str, str]:
    """The node property a SKOS label goes to, and its value there."""
    tag = (label.language or "").lower()
    if tag in _CHINESE_TAGS:
        return ("name" if preferred else "aliases"), str(label)
    if tag.split("-")[0] == "en":
        return ("nameEn" if preferred else "aliasesEn"), str(label)
    return ("labelsI18n" if preferred else "aliasesI18n"), f"{label.language}={label}"


def rdf_to_records(data: Graph, onto: Ontology) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    """Turn typed instances in ``data`` into node and edge records for the store."""
    classes_of: dict[Node, list[str]] = defaultdict(list)
    for subject, cls in data.subject_objects(RDF.type):
        local = str(cls).removeprefix(str(ZK))
        if local in onto.classes and onto.classes[local].iri == cls:
            classes_of[subject].append(local)
    datatype_by_iri = {p.iri: p for p in onto.datatype_properties.values()}
    object_by_iri = {p.iri: p for p in onto.object_properties.values()}
    nodes: list[NodeRecord] = []
    edges: list[EdgeRecord] = []
    for subject, classes in classes_of.items():
        node_id = _node_id(subject)
        props: dict[str, list[PropertyValue]] = defaultdict(list)
        for pred, obj in data.predicate_objects(subject):
            if pred in (SKOS.prefLabel, SKOS.altLabel) and isinstance(obj, Literal):
                key, value = _label_property(pred == SKOS.prefLabel, obj)
                props[key].append(value)
            elif pred == SKOS.definition:
                props["definition"].append(str(obj))
            elif isinstance(pred, URIRef) and pred in datatype_by_iri:
                props[datatype_by_iri[pred].graph_name].append(_python(obj))
            elif isinstance(pred, URIRef) and pred in object_by_iri:
                edges.append(EdgeRecord(node_id, object_by_iri[pred].graph_name, _node_id(obj)))
        flat: dict[str, PropertyValue] = {}
        for key, values in props.items():
            if key in LIST_LABELS or len(values) > 1:
                flat[key] = sorted(values, key=str)  # type: ignore[assignment]
            else:
                flat[key] = values[0]
        nodes.append(NodeRecord(node_id, onto.labels_for(sorted(classes)), flat))
    nodes.sort(key=lambda n: n.id)
    edges.sort(key=lambda e: (e.start, e.type, e.end))
    return nodes, edges


def _literal(value: Any, range_iri: URIRef | None) -> Literal:
    if range_iri == XSD.decimal:
        return Literal(Decimal(str(value)), datatype=XSD.decimal)
    if range_iri in (XSD.integer, XSD.int, XSD.long):
        return Literal(int(value), datatype=XSD.integer)
    if range_iri in (XSD.date, XSD.dateTime, XSD.anyURI):
        return Literal(str(value), datatype=range_iri)
    if range_iri == XSD.boolean or isinstance(value, bool):
        return Literal(bool(value))
    return Literal(value)


def records_to_rdf(
    nodes: Iterable[tuple[str, list[str], dict[str, Any]]],
    edges: Iterable[tuple[str, str, str]],
    onto: Ontology,
) -> Graph:
    """Build RDF from (id, labels, properties) nodes and (start, type, end) relationships."""
    graph = Graph()
    graph.bind("zk", ZK)
    graph.bind("kg", KG)
    graph.bind("skos", SKOS)
    for node_id, labels, props in nodes:
        subject = KG[node_id]
        known = [lb for lb in labels if lb in onto.classes]
        inherited = {a for lb in known for a in onto.ancestors(lb)[1:]}
        for label in known:
            if label not in inherited:
                graph.add((subject, RDF.type, onto.classes[label].iri))
        for key, value in props.items():
            if key == "id" or value is None:
                continue
            values = value if isinstance(value, list) else [value]
            for v in values:
                if key == "name":
                    graph.add((subject, SKOS.prefLabel, Literal(v, lang="zh")))
                elif key == "nameEn":
                    graph.add((subject, SKOS.prefLabel, Literal(v, lang="en")))
                elif key == "aliases":
                    graph.add((subject, SKOS.altLabel, Literal(v, lang="zh")))
                elif key == "aliasesEn":
                    graph.add((subject, SKOS.altLabel, Literal(v, lang="en")))
                elif key in ("labelsI18n", "aliasesI18n") and "=" in str(v):
                    tag, label = str(v).split("=", 1)
                    predicate = SKOS.prefLabel if key == "labelsI18n" else SKOS.altLabel
                    graph.add((subject, predicate, Literal(label, lang=tag)))
                elif key == "definition":
                    graph.add((subject, SKOS.definition, Literal(v, lang="zh")))
                elif key in onto.datatype_properties:
                    prop = onto.datatype_properties[key]
                    graph.add((subject, prop.iri, _literal(v, prop.range_iri)))
    for start, rel_type, end in edges:
        if rel_type in onto.rel_types:
            graph.add((KG[start], onto.rel_types[rel_type].iri, KG[end]))
    return graph


def export_graph(store: Any, onto: Ontology) -> Graph:
    """Read every ``Resource`` node and relationship from the store and return them as RDF."""
    from queries import load

    nodes = [
        (row["id"], row["labels"], row["properties"])
        for row in store.query(load("export_nodes").text)
        if RESOURCE_LABEL in row["labels"]
    ]
    edges = [
        (row["start"], row["type"], row["end"]) for row in store.query(load("export_relationships").text)
    ]
    return records_to_rdf(nodes, edges, onto)

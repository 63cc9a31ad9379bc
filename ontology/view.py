"""The ontology as a knowledge engineer reads it in the console: classes as a tree (core and
extensions), each with its properties and its SHACL shapes spelled out in plain Chinese and English
("必填", "最多 1 个", "值须为 部门"), and a proposed extension compared with what is loaded.

Pure functions over a loaded :class:`~ontology.model.Ontology`; the API adds instance counts from the
graph. Example::

    view = class_views(onto, core=load_ontology())
    view["Employee"].rules[0].zh     # '所属部门（belongsTo）：必填；最多 1 个；值须为 部门（Department）'
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from rdflib import RDF, BNode, Graph, Namespace, URIRef
from rdflib.term import Node

from ontology.model import Ontology, PropertyTerm, load_ontology, local_name

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True, slots=True)
class Rule:
    """One SHACL property constraint in words."""

    path: str
    zh: str
    en: str
    message: str  # the shape's own sh:message (Chinese)


@dataclass(frozen=True, slots=True)
class ClassView:
    name: str
    label_zh: str
    label_en: str
    definition: str
    parents: tuple[str, ...]
    core: bool  # in the core ontology, or brought by an extension
    properties: tuple[PropertyTerm, ...]  # whose domain is this class
    rules: tuple[Rule, ...]


@cache
def core_ontology() -> Ontology:
    """The core ontology alone (to tell extensions apart)."""
    return load_ontology()


def _label(onto: Ontology, name: str, lang: str) -> str:
    term = onto.classes.get(name) or onto.object_properties.get(name) or onto.datatype_properties.get(name)
    if term is None:
        return name
    text = term.label_zh if lang == "zh" else term.label_en
    return f"{text}（{name}）" if lang == "zh" and text else f"{text} ({name})" if text else name


def _int(graph: Graph, node: Node, pred: URIRef) -> int | None:
    value = graph.value(node, pred)
    return int(str(value)) if value is not None else None


def describe(onto: Ontology, graph: Graph, prop: Node) -> Rule:
    """One ``sh:property`` node in words: required, at most, value class or datatype, pattern, languages."""
    path_node = graph.value(prop, SH.path)
    path = local_name(path_node) if isinstance(path_node, URIRef) else "?"
    zh: list[str] = []
    en: list[str] = []
    low, high = _int(graph, prop, SH.minCount), _int(graph, prop, SH.maxCount)
    if low:
        zh.append("必填" if low == 1 else f"至少 {low} 个")
        en.append("required" if low == 1 else f"at least {low}")
    if high is not None:
        zh.append(f"最多 {high} 个")
        en.append(f"at most {high}")
    cls = graph.value(prop, SH["class"])
    if isinstance(cls, URIRef):
        zh.append(f"值须为 {_label(onto, local_name(cls), 'zh')}")
        en.append(f"value must be: {_label(onto, local_name(cls), 'en')}")
    datatype = graph.value(prop, SH.datatype)
    if isinstance(datatype, URIRef):
        zh.append(f"数据类型 {local_name(datatype)}")
        en.append(f"datatype {local_name(datatype)}")
    values = graph.value(prop, SH["in"])
    if values is not None:
        from rdflib.collection import Collection

        allowed = "、".join(str(v) for v in Collection(graph, values))
        zh.append(f"取值限于 {allowed}")
        en.append(f"one of {allowed}")
    pattern = graph.value(prop, SH.pattern)
    if pattern is not None:
        zh.append(f"格式须匹配 {pattern}")
        en.append(f"must match {pattern}")
    qualified = _int(graph, prop, SH.qualifiedMinCount)
    if qualified:
        zh.append(f"至少 {qualified} 个满足限定条件")
        en.append(f"at least {qualified} meeting the qualified shape")
    if graph.value(prop, SH.uniqueLang) is not None:
        zh.append("每种语言最多一个")
        en.append("one per language")
    message = next((str(m) for m in graph.objects(prop, SH.message)), "")
    name_zh, name_en = _label(onto, path, "zh"), _label(onto, path, "en")
    return Rule(
        path,
        f"{name_zh}：{'；'.join(zh) or '（无限制）'}",
        f"{name_en}: {'; '.join(en) or '(no constraint)'}",
        message,
    )


def rules_by_class(onto: Ontology) -> dict[str, list[Rule]]:
    """Every class's SHACL property constraints in words (from each node shape's ``sh:targetClass``)."""
    graph = onto.shapes
    out: dict[str, list[Rule]] = defaultdict(list)
    for shape in set(graph.subjects(RDF.type, SH.NodeShape)):
        targets = [local_name(t) for t in graph.objects(shape, SH.targetClass) if isinstance(t, URIRef)]
        rules = [
            describe(onto, graph, p)
            for p in graph.objects(shape, SH.property)
            if isinstance(p, BNode | URIRef)
        ]
        for target in targets:
            out[target].extend(rules)
    return out


def class_views(onto: Ontology, core: Ontology | None = None) -> dict[str, ClassView]:
    """Every class of ``onto``, with its properties, its rules, and whether ``core`` holds it."""
    core = core or core_ontology()
    rules = rules_by_class(onto)
    properties: dict[str, list[PropertyTerm]] = defaultdict(list)
    for p in [*onto.object_properties.values(), *onto.datatype_properties.values()]:
        if p.domain:
            properties[p.domain].append(p)
    return {
        name: ClassView(
            name,
            c.label_zh,
            c.label_en,
            c.definition,
            tuple(p for p in c.parents if p in onto.classes),
            name in core.classes,
            tuple(sorted(properties.get(name, []), key=lambda p: p.local)),
            tuple(sorted(rules.get(name, []), key=lambda r: r.path)),
        )
        for name, c in onto.classes.items()
    }

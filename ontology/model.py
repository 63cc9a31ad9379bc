"""Load the ontology (Turtle, Protégé RDF/XML, JSON-LD) with rdflib and compile it for the graph.

The ontology is the source of truth: graph labels (classes), relationship types (object properties,
``camelCase`` → ``UPPER_SNAKE``), node properties (datatype properties), the schema the store
enforces and the gazetteer used for entity linking are all derived here.

Example::

    onto = load_ontology()
    onto.classes["Employee"].label_zh          # '员工'
    onto.object_properties["reportsTo"].graph_name   # 'REPORTS_TO'
    store.apply_schema(onto.schema())
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rdflib import OWL, RDF, RDFS, SKOS, Graph, Namespace, URIRef
from rdflib.term import Node

from zhiku.errors import OntologyError
from zhiku.types import RESOURCE_LABEL, GraphSchema, IndexSpec

if TYPE_CHECKING:
    from zhiku.settings import Settings

ONTOLOGY_DIR = Path(__file__).parent
CORE_FILE = ONTOLOGY_DIR / "zhiku.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"

ZK = Namespace("http://zhiku.example.org/ontology#")
#: Instance IRIs: ``KG[id]``; the graph node id is the part after this prefix.
KG = Namespace("http://zhiku.example.org/kg/")

_FORMATS = {
    ".ttl": "turtle",
    ".owl": "xml",  # Protégé saves RDF/XML under .owl by default
    ".rdf": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".nt": "nt",
}

#: Node properties that come from SKOS rather than from the ontology's datatype properties.
SKOS_PROPERTIES = {"name": SKOS.prefLabel, "nameEn": SKOS.prefLabel, "aliases": SKOS.altLabel,
                   "aliasesEn": SKOS.altLabel, "labelsI18n": SKOS.prefLabel, "aliasesI18n": SKOS.altLabel,
                   "definition": SKOS.definition}  # fmt: skip


def rel_type_name(local: str) -> str:
    """``reportsTo`` → ``REPORTS_TO``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", local).upper()


def local_name(iri: Node) -> str:
    text = str(iri)
    return re.split(r"[#/]", text)[-1]


def parse_rdf(path: Path, graph: Graph | None = None) -> Graph:
    """Parse one RDF file into ``graph``; a clear ``OntologyError`` says which file and why."""
    graph = graph if graph is not None else Graph()
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise OntologyError(
            f"不支持的本体文件格式：{path.name}",
            f"unsupported ontology file type: {path.name}",
            hint="use .ttl, .owl/.rdf (RDF/XML), .jsonld or .nt",
        )
    try:
        graph.parse(path, format=fmt)
    except FileNotFoundError:
        raise OntologyError(f"找不到本体文件：{path}", f"ontology file not found: {path}") from None
    except Exception as exc:  # rdflib raises many parser-specific types
        detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise OntologyError(
            f"本体文件解析失败：{path.name}：{detail}",
            f"cannot parse {path.name} as {fmt}: {detail}",
            hint="修正语法后重试；未写入任何内容 / fix the syntax; nothing was written",
        ) from None
    return graph


@dataclass(frozen=True, slots=True)
class Term:
    """A named ontology term with its SKOS labels."""

    iri: URIRef
    local: str
    label_zh: str
    label_en: str
    aliases: tuple[str, ...]
    definition: str

    @property
    def surface_forms(self) -> tuple[str, ...]:
        """Every name a user may type for it: Chinese and English labels plus synonyms."""
        forms = [self.label_zh, self.label_en, *self.aliases]
        return tuple(dict.fromkeys(f for f in forms if f))


@dataclass(frozen=True, slots=True)
class ClassTerm(Term):
    parents: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PropertyTerm(Term):
    kind: Literal["object", "datatype"]
    graph_name: str
    domain: str | None
    range: str | None
    range_iri: URIRef | None
    functional: bool


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """A surface form and what it names: an ontology class, relation, or a graph entity id."""

    surface: str
    kind: Literal["class", "relation", "entity"]
    target: str


class Ontology:
    """The loaded ontology and everything compiled from it."""

    def __init__(self, graph: Graph, shapes: Graph, sources: tuple[Path, ...]) -> None:
        self.graph = graph
        self.shapes = shapes
        self.sources = sources
        self.classes = self._classes()
        self.object_properties = self._properties(OWL.ObjectProperty, "object")
        self.datatype_properties = self._properties(OWL.DatatypeProperty, "datatype")
        self.rel_types = {p.graph_name: p for p in self.object_properties.values()}
        self._check_names()

    # -- compile ----------------------------------------------------------------------------------

    def _labels(self, iri: URIRef) -> tuple[str, str, tuple[str, ...], str]:
        zh = en = definition = ""
        for label in self.graph.objects(iri, SKOS.prefLabel):
            lang = getattr(label, "language", None) or ""
            if lang.startswith("zh") and not zh:
                zh = str(label)
            elif lang.startswith("en") and not en:
                en = str(label)
        if not zh:  # Protégé users often write rdfs:label only
            for label in self.graph.objects(iri, RDFS.label):
                lang = getattr(label, "language", None) or ""
                if lang.startswith("zh") or not lang:
                    zh = str(label)
                    break
        aliases = tuple(sorted(str(a) for a in self.graph.objects(iri, SKOS.altLabel)))
        for d in self.graph.objects(iri, SKOS.definition):
            definition = str(d)
            break
        return zh, en, aliases, definition

    def _classes(self) -> dict[str, ClassTerm]:
        out: dict[str, ClassTerm] = {}
        for iri in sorted({s for s in self.graph.subjects(RDF.type, OWL.Class) if isinstance(s, URIRef)}):
            if not isinstance(iri, URIRef):
                continue  # anonymous class expressions (restrictions, unions)
            parents = tuple(
                sorted(
                    local_name(p) for p in self.graph.objects(iri, RDFS.subClassOf) if isinstance(p, URIRef)
                )
            )
            out[local_name(iri)] = ClassTerm(iri, local_name(iri), *self._labels(iri), parents=parents)
        return out

    def _properties(self, kind_iri: URIRef, kind: Literal["object", "datatype"]) -> dict[str, PropertyTerm]:
        out: dict[str, PropertyTerm] = {}
        for iri in sorted({s for s in self.graph.subjects(RDF.type, kind_iri) if isinstance(s, URIRef)}):
            if not isinstance(iri, URIRef):
                continue
            local = local_name(iri)
            domain = self.graph.value(iri, RDFS.domain)
            rng = self.graph.value(iri, RDFS.range)
            out[local] = PropertyTerm(
                iri,
                local,
                *self._labels(iri),
                kind=kind,
                graph_name=rel_type_name(local) if kind == "object" else local,
                domain=local_name(domain) if isinstance(domain, URIRef) else None,
                range=local_name(rng) if isinstance(rng, URIRef) else None,
                range_iri=rng if isinstance(rng, URIRef) else None,
                functional=(iri, RDF.type, OWL.FunctionalProperty) in self.graph,
            )
        return out

    def _check_names(self) -> None:
        from zhiku.types import check_identifier

        for name in [*self.classes, *self.rel_types, *self.datatype_properties]:
            check_identifier(name)
        clash = set(self.datatype_properties) & set(SKOS_PROPERTIES)
        if clash:
            raise OntologyError(
                f"数据属性与保留属性重名：{sorted(clash)}",
                f"datatype properties clash with reserved: {clash}",
            )
        if RESOURCE_LABEL in self.classes:
            raise OntologyError(
                f"类名 {RESOURCE_LABEL} 为系统保留", f"class name {RESOURCE_LABEL} is reserved"
            )

    def ancestors(self, cls: str) -> tuple[str, ...]:
        """``cls`` and every superclass the ontology knows, most specific first."""
        seen: list[str] = []
        stack = [cls]
        while stack:
            current = stack.pop(0)
            if current in seen or current not in self.classes:
                continue
            seen.append(current)
            stack.extend(self.classes[current].parents)
        return tuple(seen)

    def labels_for(self, classes: Iterable[str]) -> tuple[str, ...]:
        """Graph labels for an instance of these classes: the classes and their superclasses."""
        labels: dict[str, None] = {}
        for cls in classes:
            labels.update(dict.fromkeys(self.ancestors(cls)))
        return tuple(labels)

    def schema(self) -> GraphSchema:
        """Labels, relationship types and the indexes the store should have."""
        indexes = [
            IndexSpec(RESOURCE_LABEL, "id", unique=True),
            IndexSpec(RESOURCE_LABEL, "name"),
            IndexSpec(RESOURCE_LABEL, "code"),
            # Lookups by a label's own property scan the label without one (FalkorDB indexes per
            # label): the 代理 lookup on every approval action (an employee, their delegation, their
            # approved leave) and the SLA sweep's pending instances — at 10,000 applications in the
            # month simulation these scans made a run take over an hour.
            IndexSpec("Employee", "id"),
            IndexSpec("ApprovalDelegation", "employee"),
            IndexSpec("ApprovalInstance", "applicant"),
            IndexSpec("ApprovalInstance", "status"),
        ]
        return GraphSchema(
            labels=(RESOURCE_LABEL, *sorted(self.classes)),
            relationship_types=tuple(sorted(self.rel_types)),
            indexes=tuple(indexes),
        )

    def gazetteer(self) -> list[GazetteerEntry]:
        """Surface forms of classes and relations.

        Entities' names come from the graph: ``lang.gazetteer.Gazetteer.from_store``.
        """
        entries = [
            GazetteerEntry(s, "class", c.local) for c in self.classes.values() for s in c.surface_forms
        ]
        entries += [
            GazetteerEntry(s, "relation", p.graph_name)
            for p in self.object_properties.values()
            for s in p.surface_forms
        ]
        return entries

    @cached_property
    def shape_count(self) -> int:
        sh = Namespace("http://www.w3.org/ns/shacl#")
        return len(set(self.shapes.subjects(RDF.type, sh.NodeShape)))

    def stats(self) -> dict[str, int]:
        terms: list[Term] = [*self.classes.values(), *self.object_properties.values(),
                             *self.datatype_properties.values()]  # fmt: skip
        return {
            "triples": len(self.graph),
            "classes": len(self.classes),
            "object_properties": len(self.object_properties),
            "datatype_properties": len(self.datatype_properties),
            "labels_zh": sum(1 for t in terms if t.label_zh),
            "labels_en": sum(1 for t in terms if t.label_en),
            "synonyms": sum(len(t.aliases) for t in terms),
            "shapes": self.shape_count,
            "shape_triples": len(self.shapes),
        }

    def lint(self) -> list[str]:
        """Modelling problems a knowledge engineer should fix (missing labels, undeclared ranges)."""
        problems = []
        for c in self.classes.values():
            if not c.label_zh:
                problems.append(f"类 {c.local} 缺少中文名称 skos:prefLabel@zh")
        for p in [*self.object_properties.values(), *self.datatype_properties.values()]:
            if not p.label_zh:
                problems.append(f"属性 {p.local} 缺少中文名称 skos:prefLabel@zh")
            if p.kind == "object" and p.range and p.range not in self.classes:
                problems.append(f"属性 {p.local} 的值域 {p.range} 不是已声明的类")
        return problems


def configured_ontology(settings: Settings) -> Ontology:
    """The ontology the services and the API use: the core, the extensions of the projects ``zhiku load``
    registered in the data directory (as recorded at their load), and ``ZHIKU_ONTOLOGY_DIR``."""
    from zhiku.projects import project_ontology_files

    return load_ontology(project_ontology_files(settings.data_dir), extra_dir=settings.ontology_dir)


def load_ontology(extra: Iterable[Path] = (), *, extra_dir: Path | None = None) -> Ontology:
    """Load the core ontology and shapes plus extra files (extensions, Protégé exports)."""
    paths = [CORE_FILE, *extra]
    if extra_dir is not None:
        paths += sorted(p for p in extra_dir.iterdir() if p.suffix.lower() in _FORMATS)
    graph = Graph()
    graph.bind("zk", ZK)
    graph.bind("kg", KG)
    shapes = parse_rdf(SHAPES_FILE)
    for path in paths:
        parse_rdf(path, graph)
        if path != CORE_FILE:
            parse_rdf(path, shapes)  # an extension may bring its own SHACL shapes
    return Ontology(graph, shapes, tuple(paths))

"""Typed data that crosses stage boundaries.

Graph writes travel as :class:`NodeRecord` / :class:`EdgeRecord`; the schema a backend applies is a
:class:`GraphSchema` compiled from the ontology. Later stages add ``Document``, ``Chunk``, ``Mention``,
``Answer`` here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from zhiku.errors import InvalidIdentifier

#: Every node Zhiku writes carries this label and a unique ``id`` property, so relationships can be
#: merged by id without knowing the endpoint's class, and ``entity(id)`` is one indexed lookup.
RESOURCE_LABEL = "Resource"

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def check_identifier(name: str) -> str:
    """Return ``name`` if it is a safe label/type/property name, else raise ``InvalidIdentifier``.

    Labels and relationship types cannot be query parameters in Cypher, so they are the only thing
    ever spliced into query text — and only after this check.
    """
    if not _IDENTIFIER.match(name):
        raise InvalidIdentifier(
            f"非法的标识符 {name!r}（只允许字母、数字、下划线）",
            f"unsafe Cypher identifier {name!r}",
        )
    return name


#: Property values a node or relationship may hold in both FalkorDB and Neo4j.
PropertyValue = str | int | float | bool | list[str] | list[int] | list[float] | None


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """A node to upsert: its id (unique across the graph), class labels and properties.

    >>> NodeRecord("E1001", ("Employee",), {"name": "张伟"})
    NodeRecord(id='E1001', labels=('Employee',), properties={'name': '张伟'})
    """

    id: str
    labels: tuple[str, ...]
    properties: Mapping[str, PropertyValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EdgeRecord:
    """A relationship to upsert between two nodes given by id; at most one per (start, type, end)."""

    start: str
    type: str
    end: str
    properties: Mapping[str, PropertyValue] = field(default_factory=dict)


@dataclass(slots=True)
class WriteStats:
    """Counters a write reports; ``unmatched`` counts edges whose endpoints did not exist."""

    nodes_created: int = 0
    nodes_deleted: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    properties_set: int = 0
    labels_added: int = 0
    unmatched: int = 0

    def __iadd__(self, other: WriteStats) -> WriteStats:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """An exact-match index on one property of one label; ``unique`` adds a uniqueness constraint."""

    label: str
    property: str
    unique: bool = False


@dataclass(frozen=True, slots=True)
class GraphSchema:
    """What the ontology asks the store to enforce: labels, relationship types, indexes."""

    labels: tuple[str, ...]
    relationship_types: tuple[str, ...]
    indexes: tuple[IndexSpec, ...]


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The outcome of an idempotent action someone took (a ticket claimed, an approval given):
    whether it took effect now, and what to tell them in Chinese. Approvals extend it with the
    instance (``approvals.engine.ApprovalResult``)."""

    applied: bool  # False: a repeat of an action already taken, or one someone else already made moot
    message: str


# -- documents in -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccessScope:
    """Who may see a document: empty departments and roles mean everyone; ``level`` is the minimum rank.

    >>> AccessScope(departments=("D-HR",), roles=("hr",), level=7).is_public
    False
    """

    departments: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    level: int = 0

    @property
    def is_public(self) -> bool:
        return not self.departments and not self.roles and self.level <= 0


@dataclass(frozen=True, slots=True)
class Block:
    """A structural piece of a document: a heading (with level), a paragraph, a list item, or a Q&A
    (``tag`` holds a FAQ row's category). A heading's ``anchor`` is the fragment that links to it in
    its page (an HTML ``id``, a Markdown slug); any block's may be its location in formats that have
    them (``page=3``, ``slide=2``, ``row=5``, ``t=83.5``); empty when the format has none."""

    kind: str  # "heading" | "paragraph" | "item" | "qa"
    text: str
    level: int = 0
    tag: str = ""
    anchor: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    """A loaded document: its text as structural blocks plus the metadata ingestion needs."""

    id: str
    uri: str
    title: str
    format: str
    blocks: tuple[Block, ...]
    content_hash: str
    modified_at: str = ""
    scope: AccessScope = field(default_factory=AccessScope)
    metadata: Mapping[str, PropertyValue] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # loaded, but part of its structure could not be read (in Chinese)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrievable piece of a document, with the headings above it (``heading_path``) and the anchor
    of the nearest of them that has one, or the location its text starts at (``anchor``:
    ``uri#anchor`` deep-links to the section, page, slide, row or moment)."""

    id: str
    document_id: str
    ordinal: int
    text: str
    heading_path: tuple[str, ...]
    kind: str = "text"  # "text" | "faq"
    anchor: str = ""
    language: str = ""  # ISO 639-1 (lang.detect: one of the ten, or "und"); "" = not yet detected


# -- extraction and linking ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mention:
    """A typed span of a chunk's text; ``entity_id`` is set once linked (``None``: not linked)."""

    text: str
    type: str
    start: int
    end: int
    chunk_id: str
    source: str  # which extractor found it: gazetteer, rule, jieba, model
    entity_id: str | None = None
    value: PropertyValue = None  # normalised value: yuan for amounts, days for durations, ISO dates
    qualifier: str = ""  # for amounts and durations: ">" (超过/以上), "<=" (不超过/以内) or "="
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class ExtractedRelation:
    """A relation between two linked entities, found in one sentence of one chunk."""

    start: str
    type: str
    end: str
    chunk_id: str
    sentence: str
    confidence: float
    properties: Mapping[str, PropertyValue] = field(default_factory=dict)

"""Typed data that crosses stage boundaries.

Graph writes travel as :class:`NodeRecord` / :class:`EdgeRecord`; the schema a backend applies is a
:class:`GraphSchema` compiled from the ontology. Later stages add ``Document``, ``Chunk``, ``Mention``,
``Answer`` here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: Every node Zhiku writes carries this label and a unique ``id`` property, so relationships can be
#: merged by id without knowing the endpoint's class, and ``entity(id)`` is one indexed lookup.
RESOURCE_LABEL = "Resource"

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

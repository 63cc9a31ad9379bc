"""What changes between two versions of the ontology, and what existing data each change would orphan.

``zhiku ontology diff OLD NEW`` compares classes and properties (added, removed, range or domain
changed) and, for each change that could leave data behind — a class removed, a property removed,
a range or domain narrowed — counts the nodes or relationships in the current store it touches,
read-only, before anything is applied.

Example::

    diff = diff_ontologies(load_ontology([old]), load_ontology([new]))
    for change in diff.breaking:
        print(change, count_affected(store, change, new))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from ontology.model import Ontology, PropertyTerm
from queries import load as load_query
from zhiku.types import check_identifier

Kind = Literal["class", "object", "datatype"]
Change = Literal["added", "removed", "range", "domain"]

_KIND_ZH = {"class": "类", "object": "关系属性", "datatype": "数据属性"}
_CHANGE_ZH = {"added": "新增", "removed": "删除", "range": "值域变更", "domain": "定义域变更"}


class Readable(Protocol):
    """What counting needs of a graph store: a read query."""

    def query(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class TermChange:
    """One difference: which term, what changed, from what to what, and whether data may be orphaned."""

    kind: Kind
    name: str  # the term's local name (graph label, property key)
    graph_name: str  # the label, relationship type or node property in the graph
    change: Change
    old: str = ""
    new: str = ""
    breaking: bool = False

    def __str__(self) -> str:
        what = f"{_KIND_ZH[self.kind]} {self.name}：{_CHANGE_ZH[self.change]}"
        if self.change in ("range", "domain"):
            what += f" {self.old or '（无）'} → {self.new or '（无）'}"
        return what + ("（可能使已有数据失效）" if self.breaking else "")


@dataclass(frozen=True, slots=True)
class OntologyDiff:
    changes: tuple[TermChange, ...]

    @property
    def breaking(self) -> tuple[TermChange, ...]:
        return tuple(c for c in self.changes if c.breaking)


def _widens(old: str | None, new: str | None, onto: Ontology) -> bool:
    """Whether every value the old class allowed is still allowed: no new restriction, or the new
    class is the old one or one of its superclasses (in the new ontology)."""
    if new is None:
        return True
    if old is None:
        return False
    return new == old or (old in onto.classes and new in onto.ancestors(old))


def _property_changes(kind: Kind, old: dict[str, PropertyTerm], new: dict[str, PropertyTerm],
                      new_onto: Ontology) -> list[TermChange]:  # fmt: skip
    out: list[TermChange] = []
    for name in sorted(new.keys() - old.keys()):
        out.append(TermChange(kind, name, new[name].graph_name, "added"))
    for name in sorted(old.keys() - new.keys()):
        out.append(TermChange(kind, name, old[name].graph_name, "removed", breaking=True))
    for name in sorted(old.keys() & new.keys()):
        a, b = old[name], new[name]
        if a.range != b.range:
            # A datatype's stored values were written for the old type: any new type may not fit them.
            breaking = not _widens(a.range, b.range, new_onto) if kind == "object" else b.range is not None
            out.append(TermChange(kind, name, b.graph_name, "range", a.range or "", b.range or "", breaking))
        if a.domain != b.domain:
            breaking = not _widens(a.domain, b.domain, new_onto)
            old_domain, new_domain = a.domain or "", b.domain or ""
            out.append(TermChange(kind, name, b.graph_name, "domain", old_domain, new_domain, breaking))
    return out


def diff_ontologies(old: Ontology, new: Ontology) -> OntologyDiff:
    """Classes and properties added, removed, or with a changed range or domain."""
    changes: list[TermChange] = []
    for name in sorted(new.classes.keys() - old.classes.keys()):
        changes.append(TermChange("class", name, name, "added"))
    for name in sorted(old.classes.keys() - new.classes.keys()):
        changes.append(TermChange("class", name, name, "removed", breaking=True))
    changes += _property_changes("object", old.object_properties, new.object_properties, new)
    changes += _property_changes("datatype", old.datatype_properties, new.datatype_properties, new)
    return OntologyDiff(tuple(changes))


def _count(store: Readable, query: str, **identifiers: str) -> int:
    rows = store.query(load_query(query).render(**identifiers))
    return int(rows[0]["n"]) if rows else 0


def count_affected(store: Readable, change: TermChange) -> int:
    """How many nodes (class, datatype property) or relationships (object property) in ``store`` the
    change touches: all of them for a removal, those outside the new class for a narrowing. Read-only."""
    name = check_identifier(change.graph_name)
    if change.kind == "class":
        return _count(store, "ontology_nodes_with_label", label=f":`{name}`")
    if change.kind == "datatype":
        if change.change == "domain" and change.new:
            label = f":`{check_identifier(change.new)}`"
            return _count(store, "ontology_nodes_outside", property=f"`{name}`", label=label)
        return _count(store, "ontology_nodes_with_property", property=f"`{name}`")
    rel = f":`{name}`"
    if change.change in ("range", "domain") and change.new:
        end = "b" if change.change == "range" else "a"
        label = f":`{check_identifier(change.new)}`"
        return _count(store, "ontology_relationships_outside", type=rel, end=end, label=label)
    return _count(store, "ontology_relationships_of_type", type=rel)

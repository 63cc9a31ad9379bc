"""SHACL on each document's facts before they are written: violations are reported, not written.

The ontology's domain/range check (``Pipeline.check_facts``) runs first; this adds what only the
shapes know — cardinalities above all (a policy or a process has at most one owning department: a
second ``OWNED_BY`` read from another document is refused here, with the shape's message).

Only the facts' start entities are validated (pyshacl focus nodes), over a small graph: those
entities with their properties and current outgoing relationships, the types of every entity at
the other end, and the new facts. A violation counts against the new facts only if it is *new* —
the same entities without them are validated too — so a problem the graph already had blocks no
document (``zhiku ontology validate --source graph`` lists those). Every type is stated with its
superclasses, so no RDFS inference is needed: about 3 ms per document with facts.

Example::

    kept, refused = ShaclGate(store, onto).check(relations)
    # refused: [("PROC-X -[OWNED_BY]-> D-FIN", "SHACL：审批流程最多有一个归口部门 [ApprovalProcessShape]")]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rdflib import RDF, Graph, URIRef

from graph.base import GraphStore
from ontology.mapping import records_to_rdf
from ontology.model import KG, Ontology, local_name
from ontology.validate import validate
from queries import load as load_query
from zhiku.types import ExtractedRelation


class ShaclGate:
    def __init__(self, store: GraphStore, ontology: Ontology) -> None:
        self.store = store
        self.ontology = ontology
        # rdf property local name (ownedBy) → relationship type (OWNED_BY)
        self._types_of_path = {local_name(p.iri): t for t, p in ontology.rel_types.items()}

    def check(
        self, relations: Sequence[ExtractedRelation]
    ) -> tuple[list[ExtractedRelation], list[tuple[str, str]]]:
        """The facts that keep the shapes satisfied, and the refused ones with the reason."""
        if not relations:
            return list(relations), []
        starts = sorted({r.start for r in relations})
        context = self.store.query(load_query("shacl_context").text, {"ids": starts})
        nodes = [(row["id"], row["labels"], row["properties"]) for row in context]
        before = {(row["id"], pair[0], pair[1]) for row in context for pair in row["out"] if pair}
        new = {(r.start, r.type, r.end) for r in relations}
        ends = sorted({e for _, _, e in before | new} - set(starts))
        labels = {
            row["id"]: row["labels"]
            for row in self.store.query(load_query("entity_labels").text, {"ids": ends})
        }
        nodes += [(i, labels[i], {}) for i in ends if i in labels]
        focus: list[str | URIRef] = [KG[s] for s in starts]
        found_before = {
            self._key(v)
            for v in validate(self._graph(nodes, before), self.ontology, focus_nodes=focus, inference=False)
        }
        caused: dict[tuple[str, str], str] = {}
        for v in validate(
            self._graph(nodes, before | new), self.ontology, focus_nodes=focus, inference=False
        ):
            if self._key(v) not in found_before and v.severity in ("Violation", ""):
                caused.setdefault(
                    (v.focus, self._types_of_path.get(v.path, "")), f"SHACL：{v.message} [{v.shape}]"
                )
        if not caused:
            return list(relations), []
        kept, refused = [], []
        for rel in relations:
            reason = caused.get((rel.start, rel.type))
            if reason is None or (rel.start, rel.type, rel.end) in before:
                kept.append(rel)
            else:
                refused.append((f"{rel.start} -[{rel.type}]-> {rel.end}", reason))
        return kept, refused

    @staticmethod
    def _key(v: Any) -> tuple[str, str, str]:
        return (v.focus, v.path, v.message)

    def _graph(
        self, nodes: list[tuple[str, list[str], dict[str, Any]]], edges: Iterable[tuple[str, str, str]]
    ) -> Graph:
        graph = records_to_rdf(nodes, edges, self.ontology)
        for node_id, node_labels, _ in nodes:  # every superclass stated: no inference needed
            for cls in self.ontology.labels_for(node_labels):
                graph.add((KG[node_id], RDF.type, self.ontology.classes[cls].iri))
        return graph

"""Recommendations: related documents, FAQ, processes and forms — by graph proximity blended with
embedding similarity and what colleagues in the same department read — and "people also asked".

Every item passes the caller's access check (documents by their scope; processes and forms are
public knowledge). Scores are in [0, 1]; ``reason`` says in Chinese why an item is recommended.

Example::

    rec = Recommender(service)
    rec.for_entity("LEAVE-annual", who)      # the annual-leave policy, FAQ, 请假审批, HR-F-001 …
    rec.for_document(doc_id, who)
    rec.for_user(who)
    rec.people_also_asked("年假怎么请", who)
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from graph.versions import RECORDS
from queries import load as load_query
from search.service import SearchResult, SearchService, Snapshot
from zhiku.access import Principal, admits_parts, node_visibility

#: Blend of the signals (graph proximity first: it is what the knowledge engineers curated).
GRAPH_WEIGHT = 0.6
DENSE_WEIGHT = 0.4


@dataclass(frozen=True, slots=True)
class Recommendation:
    kind: str  # document | faq | process | form | policy
    id: str  # document id, FAQ chunk id, or entity id
    title: str
    score: float
    reason: str
    document_id: str | None = None


def _question(text: str) -> str:
    first = text.split("\n", 1)[0]
    return first.removeprefix("问：").strip()


class Recommender:
    def __init__(self, service: SearchService) -> None:
        self.service = service

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.service.store

    # -- helpers -------------------------------------------------------------------------------------

    def _visible_docs(self, snap: Snapshot, who: Principal) -> set[str]:
        return {d.id for d in snap.docs.values() if admits_parts(d.departments, d.roles, d.level, who)}

    def _dense_docs(
        self, text: str, who: Principal, snap: Snapshot
    ) -> tuple[dict[str, float], dict[str, float]]:
        """Embedding similarity of ``text`` to documents (best chunk) and to FAQ entries."""
        docs: dict[str, float] = {}
        faqs: dict[str, float] = {}
        result = self.service.search(text, who, k=30, lists=("dense",))
        for hit in result.hits:
            sim = max(0.0, hit.dense_score or 0.0)
            if hit.kind == "faq":
                faqs[hit.chunk_id] = max(faqs.get(hit.chunk_id, 0.0), sim)
            else:
                docs[hit.document_id] = max(docs.get(hit.document_id, 0.0), sim)
        return docs, faqs

    def _blend(
        self,
        graph: dict[tuple[str, str], float],
        dense: dict[tuple[str, str], float],
        reasons: dict[tuple[str, str], str],
        titles: dict[tuple[str, str], str],
        k: int,
        *,
        exclude: set[str] = frozenset(),  # type: ignore[assignment]
        doc_of: dict[tuple[str, str], str | None] | None = None,
    ) -> list[Recommendation]:
        top_graph = max(graph.values(), default=0.0) or 1.0
        scores: dict[tuple[str, str], float] = defaultdict(float)
        for key, value in graph.items():
            scores[key] += GRAPH_WEIGHT * value / top_graph
        for key, value in dense.items():
            scores[key] += DENSE_WEIGHT * value
        ordered = sorted((key for key in scores if key[1] not in exclude), key=lambda key: -scores[key])
        # variety: no kind takes more than half the list while others are waiting
        per_kind = max(2, k // 2)
        taken: dict[str, int] = defaultdict(int)
        ranked: list[tuple[str, str]] = []
        rest: list[tuple[str, str]] = []
        for key in ordered:
            (ranked if taken[key[0]] < per_kind else rest).append(key)
            taken[key[0]] += 1
        ranked = (ranked + rest)[:k]
        return [
            Recommendation(
                key[0],
                key[1],
                titles.get(key, key[1]),
                round(min(1.0, scores[key]), 4),
                reasons.get(key, "内容相近"),
                (doc_of or {}).get(key),
            )
            for key in ranked
        ]

    # -- entry points --------------------------------------------------------------------------------

    def for_entity(self, entity_id: str, who: Principal, *, k: int = 8) -> list[Recommendation]:
        """Policies, FAQ, processes and forms around an entity: none for an id that names no node the
        caller may see (a hidden chunk and a made-up id look the same)."""
        if not node_visibility(self.store, [entity_id], who).get(entity_id):
            return []
        snap = self.service.snapshot()
        visible = self._visible_docs(snap, who)
        graph: dict[tuple[str, str], float] = defaultdict(float)
        reasons: dict[tuple[str, str], str] = {}
        titles: dict[tuple[str, str], str] = {}
        doc_of: dict[tuple[str, str], str | None] = {}
        name = entity_id
        for pos in snap.entity_positions.get(entity_id, ()):
            chunk = snap.chunks[int(pos)]
            if chunk.doc_id not in visible:
                continue
            name = next((n for e, n in chunk.entities if e == entity_id), name)
            if chunk.kind == "faq":
                key = ("faq", chunk.id)
                graph[key] += 1.0
                titles[key] = _question(chunk.text)
                doc_of[key] = chunk.doc_id
                reasons[key] = f"常见问题提到“{name}”"
            else:
                key = ("document", chunk.doc_id)
                graph[key] += 1.0
                titles[key] = snap.docs[chunk.doc_id].title
                reasons[key] = f"文档多处提到“{name}”"
        related = self.store.query(
            load_query("related_items").text,
            {"id": entity_id, "hidden_documents": sorted(set(snap.docs) - visible)},
        )
        for row in related:
            kind = (
                "process"
                if "ApprovalProcess" in row["labels"]
                else "form"
                if "Form" in row["labels"]
                else "policy"
            )
            key = (kind, row["id"])
            graph[key] += 3.0 / row["hops"]
            titles[key] = row["name"] or row["id"]
            reasons[key] = {"process": "相关审批流程", "form": "相关表单", "policy": "相关制度"}[kind]
            if row["hops"] > 1:
                reasons[key] = "间接" + reasons[key]
            for doc_id in row["documents"]:
                if doc_id in visible:
                    dkey = ("document", doc_id)
                    graph[dkey] += 1.0
                    titles[dkey] = snap.docs[doc_id].title if doc_id in snap.docs else doc_id
                    reasons.setdefault(dkey, f"制度“{row['name']}”的原文")
        dense_docs, dense_faqs = self._dense_docs(name, who, snap)
        dense = {("document", d): s for d, s in dense_docs.items()} | {
            ("faq", c): s for c, s in dense_faqs.items()
        }
        for (kind, item_id), _ in dense.items():
            if kind == "document":
                titles.setdefault((kind, item_id), snap.docs[item_id].title)
            else:
                pos = snap.pos_by_id.get(item_id)
                if pos is not None:
                    titles.setdefault((kind, item_id), _question(snap.chunks[pos].text))
                    doc_of.setdefault((kind, item_id), snap.chunks[pos].doc_id)
        # mention counts grow with document length: damp them so processes and forms still rank
        for key in list(graph):
            if key[0] in ("document", "faq"):
                graph[key] = math.log1p(graph[key])
        # a policy is shown through its document when that document is recommended too
        policy_docs = {row["id"] for row in related if row["documents"]}
        exclude = {entity_id} | policy_docs
        return self._blend(graph, dense, reasons, titles, k, exclude=exclude, doc_of=doc_of)

    def for_document(self, document_id: str, who: Principal, *, k: int = 6) -> list[Recommendation]:
        """Documents that share entities, processes or topics with this one, or read alike."""
        snap = self.service.snapshot()
        visible = self._visible_docs(snap, who)
        if document_id not in visible:
            return []
        entity_df: dict[str, set[str]] = defaultdict(set)
        for chunk in snap.chunks:
            if chunk.kind != "faq":
                for e, _ in chunk.entities:
                    entity_df[e].add(chunk.doc_id)
        n_docs = max(len(snap.docs), 1)
        mine = {e for e, docs in entity_df.items() if document_id in docs}
        graph: dict[tuple[str, str], float] = defaultdict(float)
        reasons: dict[tuple[str, str], str] = {}
        titles: dict[tuple[str, str], str] = {}
        for e in mine:
            idf = math.log(1 + n_docs / len(entity_df[e]))
            for other in entity_df[e]:
                if other != document_id and other in visible:
                    graph[("document", other)] += idf
                    reasons[("document", other)] = "涉及相同的实体"
        for row in self.store.query(load_query("document_processes").text, {"id": document_id}):
            if row["document"] in visible:
                key = ("document", row["document"])
                graph[key] += 2.0 * len(row["shared"])
                reasons[key] = "同一审批流程或主题"
        for key in graph:
            titles[key] = snap.docs[key[1]].title if key[1] in snap.docs else key[1]
        doc = snap.docs[document_id]
        dense_docs, _ = self._dense_docs(doc.title, who, snap)
        dense = {("document", d): s for d, s in dense_docs.items() if d != document_id}
        for key in dense:
            titles.setdefault(key, snap.docs[key[1]].title)
        return self._blend(graph, dense, reasons, titles, k, exclude={document_id})

    def for_user(self, who: Principal, *, k: int = 6) -> list[Recommendation]:
        """What colleagues in the same department read, which this employee has not; then the
        policies the department owns (so a new team has something on day one)."""
        snap = self.service.snapshot()
        visible = self._visible_docs(snap, who)
        seen = {r["document"] for r in self.store.query(load_query("my_views").text, {"employee": who.id})}
        graph: dict[tuple[str, str], float] = defaultdict(float)
        reasons: dict[tuple[str, str], str] = {}
        titles: dict[tuple[str, str], str] = {}
        rows = self.store.query(load_query("colleague_views").text, {"employee": who.id, "limit": 50})
        for row in rows:
            if row["document"] in visible and row["document"] not in seen:
                key = ("document", row["document"])
                graph[key] += row["colleagues"] * 2 + math.log1p(row["views"])
                titles[key] = row["title"] or row["document"]
                reasons[key] = f"同部门 {row['colleagues']} 位同事看过"
        if len(graph) < k and who.department:
            owned = self.store.query(
                "MATCH (:Department {id: $d})<-[:OWNED_BY]-(:Policy)-[:DEFINED_IN]->(doc:Document) "
                "RETURN doc.id AS document, doc.name AS title",
                {"d": who.department},
            )
            for row in owned:
                key = ("document", row["document"])
                if row["document"] in visible and row["document"] not in seen and key not in graph:
                    graph[key] = 0.5
                    titles[key] = row["title"]
                    reasons[key] = "本部门负责的制度"
        return self._blend(graph, {}, reasons, titles, k)

    def people_also_asked(self, question: str, who: Principal, *, k: int = 3) -> list[str]:
        """FAQ questions close to this one (not the question itself), for follow-up suggestions."""
        return follow_ups(question, self.service.search(question, who, k=k + 3), k)

    def record_view(self, who: Principal, document_id: str) -> None:
        """Count a view (feeds :meth:`for_user` for this employee's colleagues)."""
        self.store.execute(
            load_query("record_view").text,
            {
                "employee": who.id,
                "document": document_id,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            writes=RECORDS,  # who read what: admins only, see graph.versions
        )


def follow_ups(question: str, result: SearchResult, k: int = 3) -> list[str]:
    """Follow-up questions from a search for ``question`` (at least ``k + 3`` hits deep)."""
    asked = question.strip().rstrip("？?")
    out: list[str] = []
    for hit in result.hits:
        if hit.kind != "faq":
            continue
        q = _question(hit.text)
        if q.rstrip("？?") != asked and q not in out:
            out.append(q)
    # the first FAQ is the one that answers this question; the next ones are what people also asked
    return out[1 : k + 1]

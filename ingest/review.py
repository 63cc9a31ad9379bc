"""The knowledge engineer's review loop: candidates and fact conflicts listed, and acted on.

Extraction leaves two things for a person to decide. A mention no dictionary holds becomes a
*candidate* entity (:mod:`ingest.link`); a document that disagrees with what the graph already says
about a fact leaves a *conflict note* on it (:mod:`ingest.writer`). A knowledge engineer

* **merges** a candidate into an existing entity: its surface becomes a synonym of the entity
  (``aliases``/``aliasesEn``, exported as ``skos:altLabel``), its mentions point at the entity;
* **accepts** it as a new entity of an ontology class (checked against the SHACL shapes first);
* **rejects** it: the surface is never suggested again, whatever type extraction gives it;
* **resolves** a conflict by choosing a source — a document named in the notes, or ``graph`` (the
  values the graph kept).

Every decision is a ``ReviewDecision`` node (who, when, what; the ``review_decisions`` named query
lists them) written in the same unit of work as its effects, and every later ingestion follows it:
the linker links merged and accepted surfaces and drops rejected ones (:class:`ingest.link.ReviewMemory`),
the gazetteer reads merged surfaces (:meth:`lang.gazetteer.Gazetteer.from_store`), and the writer does
not raise a settled disagreement again (:func:`ingest.writer._keep_other_sources`).

Example::

    review = Review(store, ontology)
    for c in review.candidates(who):                    # most mentioned first, with a suggestion
        ...
    review.merge("cand-organization-…", "ORG-ICBC", by="E1003")
    review.accept("cand-organization-…", "Organization", by="E1003")
    review.reject("cand-person-…", by="E1003", note="不是人名")
    review.resolve("PROC-PURCHASE|APPROVED_BY|POS-LEGAL-MGR", "graph", by="E1003")
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from rapidfuzz import fuzz, process
from rdflib import RDF

from graph.base import GraphStore, UnitOfWork
from ingest.writer import CANDIDATE_LABEL, fact_key, parse_conflict_note
from lang.gazetteer import MENTION_TYPES, Gazetteer
from ontology.mapping import records_to_rdf
from ontology.model import KG, Ontology
from ontology.validate import validate
from queries import load as load_query
from queries import run_named_query
from zhiku.access import PRIVATE_LABELS, SYSTEM, Principal
from zhiku.errors import InputError, NotFoundError, ShaclViolation
from zhiku.types import check_identifier

Action = Literal["merge", "accept", "reject", "resolve", "delete", "reingest", "keep"]
#: ``delete`` / ``reingest`` / ``keep`` are recorded by :mod:`ingest.manage` (a document deleted or
#: ingested again, an orphaned entity kept).
ACTIONS: tuple[Action, ...] = ("merge", "accept", "reject", "resolve", "delete", "reingest", "keep")
DECISION_LABEL = "ReviewDecision"
#: Classes a candidate cannot become, nor be merged into: the pipeline's own records and people's
#: records (they are made by their own paths, never from a mention).
NOT_ENTITY_CLASSES = frozenset(
    {"Document", "Chunk", CANDIDATE_LABEL, DECISION_LABEL, "ApprovalStep", *PRIVATE_LABELS}
)
#: How a conflict's source is named when the engineer keeps what the graph has.
KEEP_GRAPH = "graph"
_ENTITY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_CJK = re.compile(r"[\u3400-\u9fff]")
SUGGEST_CUTOFF = 60.0


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An existing entity a candidate may be (fuzzy match on names and synonyms)."""

    entity_id: str
    name: str
    score: float


@dataclass(frozen=True, slots=True)
class Candidate:
    id: str
    name: str
    type: str
    mentions: int
    documents: tuple[str, ...]
    suggestion: Suggestion | None = None


@dataclass(frozen=True, slots=True)
class ConflictNote:
    document: str
    differences: str  # "mode: 会签 ≠ 依次；…" (the graph's value ≠ the document's)


@dataclass(frozen=True, slots=True)
class FactConflict:
    id: str  # conf-… (stable: from the fact key)
    key: str  # start|TYPE|end
    start_id: str
    start: str
    relation: str
    end_id: str
    end: str
    notes: tuple[ConflictNote, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    """One recorded review decision."""

    id: str
    action: str
    surface: str
    target: str
    decided_by: str
    decided_at: str
    candidate_id: str | None = None
    candidate_type: str | None = None
    entity_class: str | None = None
    source: str | None = None
    chosen: tuple[str, ...] = ()
    note: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Decision:
        return cls(
            id=row["id"],
            action=row["action"],
            surface=row.get("surface") or "",
            target=row.get("target") or "",
            decided_by=row.get("decidedBy") or "",
            decided_at=row.get("decidedAt") or "",
            candidate_id=row.get("candidateId"),
            candidate_type=row.get("candidateType"),
            entity_class=row.get("entityClass"),
            source=row.get("source"),
            chosen=tuple(row.get("chosen") or ()),
            note=row.get("note"),
        )


def conflict_id(key: str) -> str:
    return "conf-" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:12]


def _latin(surface: str) -> bool:
    return _CJK.search(surface) is None


def _coerce_like(text: str, current: Any) -> Any:
    """A value as a conflict note prints it, back in the type the graph holds for that property."""
    try:
        if isinstance(current, bool):
            return text == "True"
        if isinstance(current, int):
            return int(float(text))
        if isinstance(current, float):
            return float(text)
    except ValueError:
        pass
    return text


class Review:
    """Lists what awaits review and records decisions (with their effects) in the graph."""

    def __init__(self, store: GraphStore, ontology: Ontology) -> None:
        self.store = store
        self.ontology = ontology

    # -- what awaits review -----------------------------------------------------------------------

    def candidates(self, who: Principal, limit: int = 50) -> list[Candidate]:
        """Candidates in documents ``who`` may read, most mentioned first, each with the existing
        entity it most resembles (if any resembles it)."""
        rows = run_named_query(self.store, "candidates_for_review", who=who)[:limit]
        if not rows:
            return []
        gazetteer = Gazetteer.from_store(self.store)
        names = {name: entity_id for entity_id, name in gazetteer.names.items()}
        choices = list(names)
        out = []
        for row in rows:
            best = process.extractOne(row["name"], choices, scorer=fuzz.WRatio, score_cutoff=SUGGEST_CUTOFF)
            suggestion = Suggestion(names[best[0]], best[0], float(best[1])) if best else None
            out.append(
                Candidate(
                    row["id"], row["name"], row["type"], row["mentions"], tuple(row["documents"]), suggestion
                )
            )
        return out

    def conflicts(self, who: Principal, limit: int = 50) -> list[FactConflict]:
        """Facts whose sources disagree, among documents ``who`` may read."""
        rows = run_named_query(self.store, "fact_conflicts", {"limit": limit}, who=who)
        out = []
        for r in rows:
            key = fact_key(r["startId"], r["relation"], r["endId"])
            notes = tuple(ConflictNote(*note.split("|", 1)) for note in r["conflicts"] if "|" in note)
            out.append(
                FactConflict(
                    conflict_id(key),
                    key,
                    r["startId"],
                    r["start"],
                    r["relation"],
                    r["endId"],
                    r["end"],
                    notes,
                )
            )
        return out

    def decisions(self, who: Principal, *, action: str | None = None, limit: int = 50) -> list[Decision]:
        """Recorded decisions, newest first (those about hidden documents left out for ``who``)."""
        if action is not None and action not in ACTIONS:
            raise InputError(
                f"没有这种审核决定：{action}（可选：{'、'.join(ACTIONS)}）",
                f"no such review action: {action} (one of {', '.join(ACTIONS)})",
            )
        # the query applies the scope rule, a deleted document's copied scope included (before its LIMIT)
        rows = run_named_query(self.store, "review_decisions", {"action": action, "limit": limit}, who=who)
        return [Decision.from_row(r) for r in rows]

    def record(self, unit: UnitOfWork, action: Action, by: str, note: str | None, **what: Any) -> Decision:
        """Record a decision taken elsewhere (:mod:`ingest.manage`) in ``unit``, with its effects."""
        return self._record(unit, self._decision(action, by, note, **what))

    # -- decisions --------------------------------------------------------------------------------

    def merge(self, candidate: str, entity_id: str, *, by: str, note: str | None = None) -> Decision:
        """Merge ``candidate`` into the existing entity ``entity_id``."""
        cand = self._candidate(candidate)
        labels = self._entity(entity_id)
        decision = self._decision(
            "merge",
            by,
            note,
            surface=cand["name"],
            target=entity_id,
            candidateId=cand["id"],
            candidateType=cand["type"],
            documents=cand["documents"],
        )
        with UnitOfWork(self.store) as unit:
            made = self._record(unit, decision)
            unit.run(
                load_query("review_add_alias").text,
                {"target": entity_id, "surface": cand["name"], "latin": _latin(cand["name"])},
            )
            self._repoint(unit, cand, entity_id, labels)
        return made

    def accept(
        self,
        candidate: str,
        entity_class: str,
        *,
        by: str,
        entity_id: str | None = None,
        name: str | None = None,
        note: str | None = None,
    ) -> Decision:
        """Make ``candidate`` a new entity of ``entity_class`` (named ``name``, default its surface;
        the surface stays a synonym when the name differs)."""
        cand = self._candidate(candidate)
        if entity_class not in self.ontology.classes or entity_class in NOT_ENTITY_CLASSES:
            choices = sorted(set(self.ontology.classes) - NOT_ENTITY_CLASSES)
            raise InputError(
                f"本体中没有可用作实体的类 {entity_class!r}；可选：{'、'.join(choices)}",
                f"{entity_class!r} is not an entity class of the ontology; one of: {', '.join(choices)}",
                hint="类名区分大小写，见 zhiku ontology stats 或 ontology/*.ttl",
            )
        name = (name or cand["name"]).strip()
        if not name:
            raise InputError("实体名称不能为空", "the entity's name must not be empty")
        if entity_id is None:
            digest = hashlib.sha1(f"{entity_class}:{name}".encode(), usedforsecurity=False).hexdigest()[:10]
            entity_id = f"{entity_class.upper()}-{digest}"
        elif not _ENTITY_ID.match(entity_id):
            raise InputError(
                f"实体 ID 无效：{entity_id!r}（字母、数字、_ . : -，最长 64 个字符）",
                f"invalid entity id: {entity_id!r} (letters, digits, _ . : -, at most 64)",
            )
        if self.store.query(load_query("entity_labels").text, {"ids": [entity_id]}):
            raise InputError(
                f"ID {entity_id} 已被占用；要并入该实体请用合并（merge）",
                f"id {entity_id} is taken; to fold the candidate into that entity, merge it",
                hint="换一个 --id，或用 zhiku review merge",
            )
        labels = tuple(check_identifier(lb) for lb in self.ontology.labels_for([entity_class]))
        props: dict[str, Any] = {"name": name, "origin": "review"}
        if name != cand["name"]:
            props["aliasesEn" if _latin(cand["name"]) else "aliases"] = [cand["name"]]
        self._check_shapes(entity_id, labels, props)
        decision = self._decision(
            "accept",
            by,
            note,
            surface=cand["name"],
            target=entity_id,
            candidateId=cand["id"],
            candidateType=cand["type"],
            entityClass=entity_class,
            documents=cand["documents"],
        )
        with UnitOfWork(self.store) as unit:
            made = self._record(unit, decision)
            set_labels = "SET n" + "".join(f":`{lb}`" for lb in labels)
            unit.run(
                load_query("upsert_nodes").render(set_labels=set_labels),
                {"rows": [{"id": entity_id, "props": props}]},
            )
            self._repoint(unit, cand, entity_id, labels)
        return made

    def reject(self, candidate: str, *, by: str, note: str | None = None) -> Decision:
        """Reject ``candidate``: it and every candidate with its surface go, and ingestion never
        suggests that surface again."""
        cand = self._candidate(candidate)
        same = self.store.query(load_query("review_candidates_named").text, {"name": cand["name"]})
        ids = sorted({cand["id"], *(r["id"] for r in same)})
        documents = sorted({*cand["documents"], *(d for r in same for d in r["documents"])})
        decision = self._decision(
            "reject",
            by,
            note,
            surface=cand["name"],
            target="",
            candidateId=cand["id"],
            candidateType=cand["type"],
            documents=documents,
        )
        with UnitOfWork(self.store) as unit:
            made = self._record(unit, decision)
            unit.run(load_query("review_delete_candidates").text, {"ids": ids})
        return made

    def resolve(self, conflict: str, source: str, *, by: str, note: str | None = None) -> Decision:
        """Settle a fact whose sources disagree by choosing ``source``: a document named in its notes
        (its values are written) or :data:`KEEP_GRAPH` (the graph's values stay). The notes go, and a
        later ingestion does not raise the overruled values again."""
        key = self._fact_key(conflict)
        start, rel_type, end = key.split("|", 2)
        state = self.store.query(
            load_query("fact_state").render(type=f":`{check_identifier(rel_type)}`"),
            {"rows": [{"start": start, "end": end}]},
        )
        current: dict[str, Any] = state[0]["props"] if state else {}
        notes = [parse_conflict_note(n) for n in current.get("conflicts") or [] if "|" in n]
        if not notes:
            raise NotFoundError(
                f"没有这条待解决的事实冲突：{conflict}",
                f"no unresolved fact conflict {conflict}",
                hint="zhiku review list 列出事实冲突及其 ID",
            )
        documents = [doc for doc, _ in notes]
        if source != KEEP_GRAPH and source not in documents:
            choices = [KEEP_GRAPH, *dict.fromkeys(documents)]
            raise InputError(
                f"来源 {source!r} 不在这条冲突中；可选：{'、'.join(choices)}",
                f"source {source!r} is not part of this conflict; one of: {', '.join(choices)}",
                hint=f"{KEEP_GRAPH} 表示保留图中现有的取值",
            )
        said = {doc: values for doc, values in notes}
        props = sorted({k for _, values in notes for k in values})
        chosen: dict[str, str] = {}
        for k in props:
            kept = str(current[k]) if current.get(k) is not None else ""
            chosen[k] = said[source][k][1] if source in said and k in said[source] else kept
        overruled = sorted(
            {f"{k}={v}" for _, values in notes for k, (kept, s) in values.items() for v in (kept, s)}
            - {f"{k}={v}" for k, v in chosen.items()}
        )
        decision = self._decision(
            "resolve",
            by,
            note,
            surface=f"{start} -[{rel_type}]-> {end}",
            target=key,
            source=source,
            chosen=[f"{k}={v}" for k, v in chosen.items()],
            overruled=overruled,
            documents=sorted(set(documents)),
        )
        values = {k: _coerce_like(said[source][k][1], current.get(k)) for k in said.get(source, {})}
        with UnitOfWork(self.store) as unit:
            made = self._record(unit, decision)
            unit.run(
                load_query("review_resolve").render(type=f":`{rel_type}`"),
                {"start": start, "end": end, "props": values},
            )
        return made

    # -- helpers ----------------------------------------------------------------------------------

    def _candidate(self, candidate_id: str) -> dict[str, Any]:
        rows = self.store.query(load_query("review_candidate").text, {"id": candidate_id})
        if not rows:
            raise NotFoundError(
                f"没有这个待审核实体：{candidate_id}",
                f"no candidate entity {candidate_id}",
                hint="zhiku review list 列出待审核实体及其 ID（已处理的不再列出）",
            )
        return rows[0]

    def _entity(self, entity_id: str) -> tuple[str, ...]:
        rows = self.store.query(load_query("entity_labels").text, {"ids": [entity_id]})
        labels = tuple(rows[0]["labels"]) if rows else ()
        if not rows or NOT_ENTITY_CLASSES.intersection(labels):
            raise NotFoundError(
                f"没有这个实体：{entity_id}（合并目标须是图中已有的实体）",
                f"no entity {entity_id} to merge into",
                hint="用已有实体的 ID，例如 zhiku review list 的“可能是”一栏",
            )
        return labels

    def _fact_key(self, conflict: str) -> str:
        if conflict.count("|") == 2:
            return conflict
        for c in self.conflicts(SYSTEM, limit=1000):
            if c.id == conflict:
                return c.key
        raise NotFoundError(
            f"没有这条待解决的事实冲突：{conflict}",
            f"no unresolved fact conflict {conflict}",
            hint="zhiku review list 列出事实冲突及其 ID",
        )

    def _check_shapes(self, entity_id: str, labels: Sequence[str], props: dict[str, Any]) -> None:
        """The new entity must satisfy the ontology's shapes on its own (an Employee needs a
        department, for one): refused with the shapes' messages, nothing written."""
        graph = records_to_rdf([(entity_id, list(labels), props)], [], self.ontology)
        for cls in labels:
            graph.add((KG[entity_id], RDF.type, self.ontology.classes[cls].iri))
        violations = [
            str(v)
            for v in validate(graph, self.ontology, focus_nodes=[KG[entity_id]], inference=False)
            if v.severity in ("Violation", "")
        ]
        if violations:
            raise ShaclViolation(violations)

    def _decision(
        self, action: Action, by: str, note: str | None, **what: Any
    ) -> tuple[Decision, dict[str, Any]]:
        props = {
            "action": action,
            "decidedBy": by,
            "decidedAt": datetime.now(UTC).isoformat(timespec="microseconds"),
            "note": note or None,
            "name": f"{action}: {what.get('surface', '')}",
            **what,
        }
        return Decision.from_row({"id": f"rev-{uuid.uuid4().hex[:16]}", **props}), props

    def _record(self, unit: UnitOfWork, decision: tuple[Decision, dict[str, Any]]) -> Decision:
        """Write the decision node (a ``Resource``: backed up and exported like every record) with a
        ``DECIDED_BY`` edge to the employee who made it, in ``unit`` with the decision's effects."""
        made, props = decision
        stored = {k: v for k, v in props.items() if v is not None}
        unit.run(load_query("review_record").text, {"id": made.id, "props": stored, "by": made.decided_by})
        return made

    def _repoint(self, unit: UnitOfWork, cand: dict[str, Any], entity_id: str, labels: Sequence[str]) -> None:
        mention_type = next((MENTION_TYPES[lb] for lb in MENTION_TYPES if lb in labels), cand["type"])
        unit.run(
            load_query("review_repoint").text,
            {"candidate": cand["id"], "target": entity_id, "type": mention_type},
        )
        unit.run(load_query("review_delete_candidates").text, {"ids": [cand["id"]]})


__all__ = [
    "ACTIONS",
    "KEEP_GRAPH",
    "Candidate",
    "ConflictNote",
    "Decision",
    "FactConflict",
    "Review",
    "Suggestion",
    "conflict_id",
]

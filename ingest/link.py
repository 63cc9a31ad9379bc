"""Entity linking: mentions → graph entities.

A gazetteer mention already lists its candidates (preferred labels, synonyms, abbreviations and
codes all point at the same id, so 人事部, 人力资源部 and HR resolve to one node). Context picks
among them: “报销” followed by 流程/审批 is the process, otherwise the topic; a two-character person
name needs a job title, department or contact detail next to it, because many are also common words
(高峰, 田野, 方正). Mentions no dictionary holds (jieba's person/organisation tags) are fuzzily matched
against known names of their type; what still matches nothing becomes a *candidate* entity
(``status: candidate``) for a knowledge engineer to review — never a silent duplicate. What the
knowledge engineer decided (``zhiku review``, :mod:`ingest.review`) is followed on every later run:
a candidate merged or accepted links to its entity, a rejected surface is never suggested again.

Example::

    linked = Linker(gazetteer, ReviewMemory.from_store(store)).link(chunk, mentions, hits)
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz import fuzz, process

from lang.gazetteer import Gazetteer, GazetteerHit, fold
from queries import load as load_query
from zhiku.types import Chunk, Mention

_PROCESS_CONTEXT = re.compile(r"^[”\"」』]?\s*(?:审批)?(?:流程|审批|申请|单)")
_PERSON_AFTER = re.compile(r"^\s*(?:[（(]|分机|电话|、|或|和|负责|确认|审批)")
_CONTEXT_TYPES = {"Role", "Department"}
_NAME_JOIN = re.compile(r"^[、和或及与]$")
FUZZY_CUTOFF = 90.0


def candidate_id(mention_type: str, surface: str) -> str:
    digest = hashlib.sha1(f"{mention_type}:{surface}".encode(), usedforsecurity=False).hexdigest()[:12]
    return f"cand-{mention_type.lower()}-{digest}"


@dataclass(frozen=True, slots=True)
class ReviewMemory:
    """The knowledge engineers' decisions about candidates, as linking follows them: ``resolved`` maps
    a candidate id (type and surface, :func:`candidate_id`) to the entity it was merged into or accepted
    as; ``rejected`` holds the surfaces (case-folded) never to be suggested again, whatever their type.
    The decisions themselves are ``ReviewDecision`` nodes (:mod:`ingest.review`)."""

    resolved: Mapping[str, str] = field(default_factory=dict)
    rejected: frozenset[str] = frozenset()

    @classmethod
    def from_store(cls, store: Any) -> ReviewMemory:
        resolved: dict[str, str] = {}
        rejected: set[str] = set()
        for row in store.query(load_query("review_memory").text):  # oldest first: later ones win
            if row["action"] == "reject":
                rejected.add(fold(row["surface"]))
            elif row["candidate"] and row["target"]:
                resolved[row["candidate"]] = row["target"]
                rejected.discard(fold(row["surface"]))
        return cls(resolved, frozenset(rejected))


class Linker:
    """Resolves mentions to entity ids (or candidate ids), using the gazetteer, local context and the
    knowledge engineers' review decisions."""

    def __init__(self, gazetteer: Gazetteer, memory: ReviewMemory | None = None) -> None:
        self.gazetteer = gazetteer
        self.memory = memory or ReviewMemory()
        by_type: dict[str, dict[str, str]] = defaultdict(dict)
        for surface, candidates in gazetteer.table.items():
            for entity_id, mention_type in candidates:
                by_type[mention_type][surface] = entity_id
        self._names_by_type = dict(by_type)

    def _choose(self, text: str, hit: GazetteerHit, neighbours: list[Mention]) -> tuple[str, str] | None:
        candidates = list(hit.candidates)
        after = text[hit.end : hit.end + 6]
        before = text[max(0, hit.start - 1) : hit.start]
        types = [t for _, t in candidates]
        if "ApprovalProcess" in types and (len(types) > 1 or len(hit.surface) <= 2):
            quoted = before in ("“", '"', "「")
            if not (quoted or _PROCESS_CONTEXT.match(after)):
                candidates = [c for c in candidates if c[1] != "ApprovalProcess"]
        if candidates and candidates[0][1] == "Person" and len(hit.surface) <= 2:
            near = any(
                m.type in _CONTEXT_TYPES and 0 <= hit.start - m.end <= 6 and m.start != hit.start
                for m in neighbours
            )
            # 张敏或刘洋: a name joined to an already confirmed name by 或/、/和 is a name too.
            joined = any(
                m.type == "Person" and m.entity_id and _NAME_JOIN.match(text[m.end : hit.start] or "x")
                for m in neighbours
            )
            if not (near or joined or _PERSON_AFTER.match(after)):
                candidates = [c for c in candidates if c[1] != "Person"]
        return candidates[0] if candidates else None

    def link(self, chunk: Chunk, mentions: list[Mention], hits: dict[int, GazetteerHit]) -> list[Mention]:
        """Linked mentions (entity_id set). Gazetteer mentions context rejects are dropped; open-domain
        mentions a review decided link to its entity (merged or accepted) or are dropped (rejected);
        the others that match nothing become candidates."""
        out: list[Mention] = []
        for index, mention in enumerate(mentions):
            if mention.type in ("Amount", "Duration", "Date"):
                out.append(mention)
                continue
            hit = hits.get(index)
            if hit is not None:
                # Neighbours: what is already linked before this mention, raw candidates after it.
                chosen = self._choose(chunk.text, hit, [*out, *mentions[index + 1 :]])
                if chosen is not None:
                    out.append(replace(mention, entity_id=chosen[0], type=chosen[1]))
                continue
            candidate = candidate_id(mention.type, mention.text)
            decided = self.memory.resolved.get(candidate)
            if decided is not None:
                out.append(replace(mention, entity_id=decided, source="review", confidence=1.0))
                continue
            if fold(mention.text) in self.memory.rejected:
                continue  # rejected by a knowledge engineer: never suggested again
            names = self._names_by_type.get(mention.type, {})
            match = process.extractOne(
                mention.text, list(names), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            )
            if match is not None:
                out.append(
                    replace(mention, entity_id=names[match[0]], source="fuzzy", confidence=match[1] / 100)
                )
            else:
                out.append(replace(mention, entity_id=candidate))
        return out

"""The gazetteer: every name and synonym of every known entity, matched by HanLP's trie.

Compiled from the graph (entities carry ``name``, ``nameEn``, ``aliases``, ``aliasesEn``, the labels
in other languages ``labelsI18n``/``aliasesI18n`` (``"ja=結婚休暇"``) and ``code`` from the
ontology-governed load) — so the ontology's SKOS labels and the org chart are what
extraction recognises, and each match already names its entity id for linking. Matching is
longest-match-first (``hanlp_trie.TrieDict``), case-insensitive for Latin letters.

Example::

    gaz = Gazetteer.from_store(store)
    for hit in gaz.find("报销超过5000元需财务总监审批"):
        hit.surface, hit.candidates     # '财务总监', (('POS-CFO', 'Role'),)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hanlp_trie.dictionary import TrieDict

from queries import load as load_query

#: Graph label → mention type (the issue's typed mentions), in linking priority order: when one
#: surface names several entities, the earlier type wins unless context says otherwise.
MENTION_TYPES: dict[str, str] = {
    "LeaveType": "LeaveType",
    "ApprovalProcess": "ApprovalProcess",
    "Form": "Form",
    "Policy": "Policy",
    "ITSystem": "ITSystem",
    "Department": "Department",
    "Employee": "Person",
    "Position": "Role",
    "ApproverRole": "Role",
    "Benefit": "Benefit",
    "Location": "Location",
    "Organization": "Organization",
    "Topic": "Topic",
}
PRIORITY = {t: i for i, t in enumerate(MENTION_TYPES)}
#: Rank of a graph label when one surface names entities of several labels (Position before
#: ApproverRole: 部门经理 is a job title first).
LABEL_RANK = {label: i for i, label in enumerate(MENTION_TYPES)}
#: Short synonyms of these types are ordinary words (产品, 测试, 行政, 采购); only full names count.
_STRICT_ALIAS_TYPES = {"Role", "Person", "Department"}
_LATIN_UPPER = {c: c + 32 for c in range(0x41, 0x5B)}


def _untagged(labels: Sequence[str] | None) -> list[str]:
    """``["ja=結婚休暇"]`` → ``["結婚休暇"]`` (labels in other languages, see ontology.mapping)."""
    return [label.split("=", 1)[1] for label in labels or () if "=" in label]


def fold(text: str) -> str:
    """Lower-case Latin letters only (same length, so offsets stay valid)."""
    return text.translate(_LATIN_UPPER)


@dataclass(frozen=True, slots=True)
class GazetteerHit:
    start: int
    end: int
    surface: str
    candidates: tuple[tuple[str, str], ...]  # (entity id, mention type), best first


class Gazetteer:
    """Surface form → candidate entities."""

    def __init__(
        self, surfaces: Mapping[str, Iterable[tuple[str, str]]], ranks: Mapping[str, int] | None = None
    ) -> None:
        ranks = ranks or {}
        table: dict[str, tuple[tuple[str, str], ...]] = {}
        for surface, candidates in surfaces.items():
            unique = sorted(
                set(candidates), key=lambda c: (PRIORITY.get(c[1], 99), ranks.get(c[0], 99), c[0])
            )
            table[fold(surface)] = tuple(unique)
        self.table = table
        self._trie = TrieDict({surface: surface for surface in table})
        self.names: dict[str, str] = {}
        self._surfaces: dict[str, frozenset[str]] | None = None  # entity id → surfaces, built on first use

    def __len__(self) -> int:
        return len(self.table)

    def find(self, text: str) -> list[GazetteerHit]:
        """Longest, leftmost matches in ``text``."""
        folded = fold(text)
        return [
            GazetteerHit(start, end, text[start:end], self.table[key])
            for start, end, key in self._trie.tokenize(folded)
        ]

    def lookup(self, surface: str) -> tuple[tuple[str, str], ...]:
        return self.table.get(fold(surface), ())

    def surfaces(self, entity_id: str) -> frozenset[str]:
        """Every name and synonym of ``entity_id`` (folded): the ontology's labels in every language,
        so "老婆" in a question and "配偶" in a passage are the same thing when the vocabulary says so."""
        if self._surfaces is None:
            inverted: dict[str, set[str]] = defaultdict(set)
            for surface, candidates in self.table.items():
                for candidate, _type in candidates:
                    inverted[candidate].add(surface)
            self._surfaces = {e: frozenset(s) for e, s in inverted.items()}
        return self._surfaces.get(entity_id, frozenset())

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> Gazetteer:
        """Build from ``gazetteer_entities`` rows (id, labels, names, aliases, code, resolvesTo)."""
        surfaces: dict[str, set[tuple[str, str]]] = defaultdict(set)
        names: dict[str, str] = {}
        ranks: dict[str, int] = {}
        for row in rows:
            label = next((lb for lb in MENTION_TYPES if lb in row["labels"]), None)
            if label is None or row.get("status") == "candidate" or row.get("resolvesTo"):
                # An approver role that stands for a position (财务总监审批) is found through the
                # position's own names.
                continue
            mention_type = MENTION_TYPES[label]
            entity_id = row["id"]
            ranks[entity_id] = LABEL_RANK[label]
            # Codes name forms in text (HR-F-001); department codes (HR, IT) are ordinary letters.
            code = row.get("code") if label == "Form" else None
            preferred = [row.get("name"), row.get("nameEn"), code, *_untagged(row.get("labelsI18n"))]
            aliases = [
                *(row.get("aliases") or []),
                *(row.get("aliasesEn") or []),
                *_untagged(row.get("aliasesI18n")),
            ]
            for surface in preferred:
                if surface and len(surface) >= 2:
                    surfaces[surface].add((entity_id, mention_type))
            for surface in aliases:
                short = len(surface) <= 2 and mention_type in _STRICT_ALIAS_TYPES
                if surface and len(surface) >= 2 and not short:
                    surfaces[surface].add((entity_id, mention_type))
            if row.get("name"):
                names[row["id"]] = row["name"]
        gazetteer = cls(surfaces, ranks)
        gazetteer.names = names
        return gazetteer

    @classmethod
    def from_store(cls, store: Any) -> Gazetteer:
        """Every entity's names and synonyms, and the surfaces knowledge engineers merged into an
        entity (``zhiku review merge``): kept as review decisions, so they feed the gazetteer even
        after a re-load rewrites the entity's own ``aliases``."""
        rows = store.query(load_query("gazetteer_entities").text)
        merged: dict[str, list[str]] = defaultdict(list)
        for row in store.query(load_query("review_aliases").text):
            merged[row["id"]].append(row["surface"])
        if merged:
            rows = [
                {**row, "aliases": [*(row.get("aliases") or []), *merged[row["id"]]]}
                if row["id"] in merged
                else row
                for row in rows
            ]
        return cls.from_rows(rows)

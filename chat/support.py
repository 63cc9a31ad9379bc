"""Whether a passage supports a question: it holds the question's specific words and the kind of
detail the question asks for. Pure functions; :mod:`chat.gate` reads them into its evidence and
:mod:`chat.answer` uses :func:`answer_order` to pick the passage it answers with.

Retrieval ranks an FAQ row whose *question* is worded like the asker's above the policy clause that
holds the answer ("加班超过两天要谁审批" → a leave row asking 谁来批), and a near miss shares the topic
word but not the detail ("住房补贴要交个税吗" → 住房补贴怎么申请). Two measures tell them apart:

* :func:`support` — the share of the question's *specificity* the passage contains. A content word's
  specificity is how much rarer it is than everyday Chinese (jieba's general IDF above
  :data:`EVERYDAY_IDF`): 个税, 代签, 礼品 count; 去, 给, 以后 hardly; the words that do the asking
  (谁, 多久, 最多: :data:`lang.needs.QUESTION_WORDS`) and numbers (五天, 一万) not at all;
* :func:`lang.needs.holds` — whether the passage holds a detail of the kind asked for (多少钱 → an
  amount, 谁 → a person, role or department, 多久 → a duration).

Which of the close hits *answers* (:func:`answer_order`) is read more finely, by :func:`closeness`: the
question's words as a reader splits them (no search-mode fragments), a word also held by a synonym the
ontology gives its entity (any vocabulary's labels) or by the passage's link to that entity, and a word the
passage does not hold whole earning part of its weight for its characters it does hold (付钱 ↔ 无需付费,
带回家 ↔ 不得带离公司) — enough to rank close passages, too loose to decide whether to answer at all.

Example::

    content = specific_terms(["住房", "补贴", "个税"], general_idf)
    support(content, "住房补贴怎么申请？入职不满两年……")   # ~0.4: 个税 is missing
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from lang.needs import QUESTION_WORDS

#: jieba's general-Chinese IDF of everyday words (时候 7.6, 以后 7.9, 问题 7.0): specificity is what a
#: word has above it. A word jieba does not know counts as :data:`UNKNOWN_IDF`.
EVERYDAY_IDF = 7.0
UNKNOWN_IDF = 12.0
_NUMERAL = re.compile(r"[\d一二两三四五六七八九十百千万半]")

#: :func:`answer_order`: hits this close to the first (fused score) compete for answering, by their
#: fused score plus these shares of their own cosine, of their :func:`closeness` and of holding the kind
#: of detail asked for. Chosen on the three tuning sets of ``bench/answer_calibration.py`` (bench/RESULTS.md,
#: session 12; the figures barely move between 0.1 and 0.2 for the margin and 0.3 and 0.7 for the weight).
ANSWER_MARGIN = 0.15
PASSAGE_COSINE = 0.5
SUPPORT_WEIGHT = 0.5
DETAIL_WEIGHT = 0.05
#: :func:`closeness`: the share of a word's weight its characters earn when the passage lacks the word.
PARTIAL = 0.5
_HAN = re.compile(r"^[\u4e00-\u9fff]+$")


class Candidate(Protocol):
    """What :func:`answer_order` reads of a hit (:class:`search.service.Hit`)."""

    @property
    def score(self) -> float: ...
    @property
    def dense_score(self) -> float | None: ...
    @property
    def title(self) -> str: ...
    @property
    def heading_path(self) -> tuple[str, ...]: ...
    @property
    def text(self) -> str: ...
    @property
    def entities(self) -> tuple[tuple[str, str], ...]: ...


def specificity(idf: float | None) -> float:
    """A word's specificity from its general IDF (``None``: a word the dictionary does not know)."""
    return max(0.0, (UNKNOWN_IDF if idf is None else idf) - EVERYDAY_IDF)


@dataclass(frozen=True, slots=True)
class Term:
    """A question's content word: its specificity, and for a word the dictionary does not know, the
    characters that hold it too. Search-mode segmentation leaves fragments the dictionary does not
    know, such as 能休 (结婚能休几天假), where the passage says 休完: a fragment is held when the passage
    holds each of its characters that is not an everyday one (general IDF ≥ :data:`EVERYDAY_IDF`)."""

    weight: float
    parts: tuple[str, ...] = ()


def specific_terms(terms: Iterable[str], general_idf: Callable[[str], float | None]) -> dict[str, Term]:
    """The question's content terms: no question words, no numbers.
    ``general_idf``: a term's general IDF (:func:`chat.gate.general_idf`: jieba's)."""
    out = {}
    for t in terms:
        if t in QUESTION_WORDS or _NUMERAL.search(t):
            continue
        idf = general_idf(t)
        parts: tuple[str, ...] = ()
        if idf is None and len(t) > 1:
            parts = tuple(c for c in t if (general_idf(c) or 0.0) >= EVERYDAY_IDF)
        out[t] = Term(specificity(idf), parts)
    return out


def support(content: Mapping[str, Term], passage: str) -> float:
    """The share of ``content``'s specificity that ``passage`` (lower-cased title, headings and text)
    holds; 1.0 when the question has no specific word."""
    total = sum(term.weight for term in content.values())
    if total <= 0:
        return 1.0

    def held(word: str, term: Term) -> bool:
        return word in passage or (bool(term.parts) and all(c in passage for c in term.parts))

    return sum(term.weight for word, term in content.items() if held(word, term)) / total


@dataclass(frozen=True, slots=True)
class Word:
    """A question word as :func:`closeness` reads it: its specificity, and the other names of the entity
    it names (``synonyms``, folded) with that entity's ids, when the ontology knows it."""

    weight: float
    synonyms: frozenset[str] = frozenset()
    entities: frozenset[str] = frozenset()


def content_words(words: Iterable[str], general_idf: Callable[[str], float | None]) -> dict[str, Word]:
    """The question's content words (``words``: precise segmentation, :meth:`lang.text.Tokenizer.words`),
    weighted by specificity; no question words, no numbers."""
    return {
        w: Word(specificity(general_idf(w)))
        for w in dict.fromkeys(words)
        if w not in QUESTION_WORDS and not _NUMERAL.search(w)
    }


def closeness(words: Mapping[str, Word], passage: str, entities: Collection[str] = ()) -> float:
    """The share of ``words``' weight that ``passage`` (:func:`haystack`) holds: a word in full when the
    passage holds it, a synonym of it, or is linked to its entity (``entities``: the passage's entity
    ids); a Chinese word it does not hold, :data:`PARTIAL` × the share of its characters it holds.
    1.0 when the question has no specific word."""
    total = sum(word.weight for word in words.values())
    if total <= 0:
        return 1.0
    held = 0.0
    for text, word in words.items():
        named = any(s in passage for s in word.synonyms) or not word.entities.isdisjoint(entities)
        if text in passage or named:
            held += word.weight
        elif len(text) > 1 and _HAN.match(text):
            held += PARTIAL * word.weight * sum(c in passage for c in text) / len(text)
    return held / total


def haystack(hit: Candidate) -> str:
    """What a hit's support is read from: its title, headings and text, lower-cased."""
    return " ".join([hit.title, *hit.heading_path, hit.text]).lower()


def answer_order[H: Candidate](
    hits: Sequence[H], words: Mapping[str, Word], detail: Callable[[H], bool] = lambda hit: True
) -> list[H]:
    """``hits`` in the order they should answer: those within :data:`ANSWER_MARGIN` of the first by
    their fused score plus :data:`PASSAGE_COSINE` × their own cosine with the question plus
    :data:`SUPPORT_WEIGHT` × :func:`closeness` plus :data:`DETAIL_WEIGHT` when the passage holds the kind
    of detail asked for (``detail``: :func:`lang.needs.holds` on it), the rest after them as they were.

    The fused score weighs the heading (an FAQ row's question) heavily, which is right for finding
    the topic; which passage *answers* also depends on what the passage itself says — the row of a
    contact list, the clause with the amount — rather than the topic's FAQ row. On the three tuning
    sets this put an answering passage first for 96 / 90 / 85 / 78 % of the in-scope questions (dev,
    test, second, third set; 96 / 96 / 80 / 73 % with session 11's order)."""
    if not hits:
        return []
    best = hits[0].score
    close = [h for h in hits if best - h.score <= ANSWER_MARGIN]
    rest = [h for h in hits if best - h.score > ANSWER_MARGIN]

    def key(hit: H) -> float:
        cosine = hit.dense_score if hit.dense_score is not None and math.isfinite(hit.dense_score) else 0.0
        held = closeness(words, haystack(hit), {e for e, _ in hit.entities})
        return hit.score + PASSAGE_COSINE * cosine + SUPPORT_WEIGHT * held + DETAIL_WEIGHT * detail(hit)

    return sorted(close, key=key, reverse=True) + rest

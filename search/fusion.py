"""How retrieval candidates are scored: dense similarity, plus keyword and heading evidence weighed by
how much of the query the candidate actually shares.

Reciprocal rank fusion of BM25 and dense lists (what :mod:`search.service` did before) gives a
keyword match the same say whether the candidate holds every informative word of the question or
only its most common one. On documentation nobody here wrote (``bench/retrieval_real.py``), that
made hybrid retrieval *worse* than dense alone for questions phrased unlike the text (typos,
abbreviations, spoken Chinese), while for questions phrased like the headings BM25 alone was best.
So a candidate's score here is

    cosine(query, chunk)
    + keyword × coverage^power × BM25 / best BM25 among the candidates
    + heading × heading coverage
    + heading_dense × cosine(query, the chunk's heading or FAQ question)

where *coverage* is the IDF-weighted share of the query's terms found in the chunk, and *heading
coverage* the share found in its innermost heading (for an FAQ row: its question). A keyword match
counts in full only when the candidate contains most of what the question says; the heading is a
field of its own because a section's title says what the section answers. The weights were chosen
on the dev splits of the three public corpora of ``bench/retrieval_real.py`` (their test splits were
run once, afterwards; ``bench/RESULTS.md``).

Example::

    scores = fuse(dense, bm25, coverage, heading_coverage, heading_dense)
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lang.detect import UNDETERMINED

Floats = npt.NDArray[np.float32] | npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Weights:
    """The weights of :func:`fuse` (the dense cosine has weight 1)."""

    keyword: float = 0.06
    coverage_power: float = 1.0
    heading: float = 0.02
    heading_dense: float = 0.45


WEIGHTS = Weights()


def field_text(kind: str, heading: Sequence[str], text: str) -> str:
    """A chunk's heading field: an FAQ row's question, else the innermost heading above the chunk."""
    if kind == "faq":
        question = text.split("答：", 1)[0]
        return question.removeprefix("问：").strip()
    return heading[-1] if heading else ""


def idf(df: int, n: int) -> float:
    """BM25's (Lucene's) inverse document frequency, always positive."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def same_language(question: str, chunk: str) -> bool:
    """Whether keyword evidence counts between a question and a chunk: the same language, or either
    unknown (undetermined, out of the ten, or an index from before languages) — then as before."""
    return question == chunk or UNDETERMINED in (question, chunk) or not question or not chunk


def coverage(query: Mapping[str, float], tokens: Collection[str]) -> float:
    """The share of the query's term weight (``query``: term → IDF) that ``tokens`` contain."""
    total = sum(query.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in query.items() if t in tokens) / total


def fuse(
    dense: Floats,
    keyword: Floats,
    covered: Floats,
    heading_covered: Floats,
    heading_dense: Floats,
    weights: Weights = WEIGHTS,
    *,
    same_language: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.float64]:
    """Scores of candidates (all arrays are per candidate; ``keyword`` is the raw BM25 score, 0 when
    the candidate was not among the keyword results). ``same_language``: whether each candidate is in
    the question's language (default: all are); the others are scored on the dense signals alone —
    their tokens cannot share the question's words, so the few that do (a product name, a number)
    say nothing about which of them answers, and the keyword ranker must not lift them over the rest."""
    kw = np.asarray(keyword, dtype=np.float64)
    if same_language is not None:
        kw = np.where(same_language, kw, 0.0)
        covered = np.where(same_language, np.asarray(covered, dtype=np.float64), 0.0)
        heading_covered = np.where(same_language, np.asarray(heading_covered, dtype=np.float64), 0.0)
    best = float(kw.max()) if kw.size else 0.0
    kw_norm = kw / best if best > 0 else np.zeros_like(kw)
    cov = np.clip(np.asarray(covered, dtype=np.float64), 0.0, 1.0)
    scores: npt.NDArray[np.float64] = (
        np.asarray(dense, dtype=np.float64)
        + weights.keyword * cov**weights.coverage_power * kw_norm
        + weights.heading * np.asarray(heading_covered, dtype=np.float64)
        + weights.heading_dense * np.asarray(heading_dense, dtype=np.float64)
    )
    if same_language is not None:
        scores = within_language(scores, dense, heading_dense, same_language, weights)
    return scores


def dense_evidence(
    dense: Floats, heading_dense: Floats, weights: Weights = WEIGHTS
) -> npt.NDArray[np.float64]:
    """The dense part of :func:`fuse`'s score: what candidates are compared by across languages.

    Its heading-cosine weight is the same-language one: on the dev split of ``bench/multilingual.py``
    (18 cross-lingual directions) 0.45 gave document top-1 0.53 against 0.49 for the chunk cosine
    alone; 0.3, 0.6 and 1.0 and rank fusion of the two cosines were no better overall."""
    return np.asarray(dense, dtype=np.float64) + weights.heading_dense * np.asarray(
        heading_dense, dtype=np.float64
    )


def within_language(
    scores: npt.NDArray[np.float64],
    dense: Floats,
    heading_dense: Floats,
    same_language: npt.NDArray[np.bool_],
    weights: Weights = WEIGHTS,
) -> npt.NDArray[np.float64]:
    """Keyword evidence reorders candidates only among those in the question's language; across
    languages the dense signals alone decide (issue 19).

    Candidates in another language have no keyword evidence (:func:`fuse` gives them none), so with
    the fused scores as they are, any same-language candidate sharing a word with the question gains
    on all of them — "东京办公室地震时应该怎么做" put five Chinese chunks above the one English
    section that answers. Here the same-language candidates keep their order by ``scores`` but take
    over, in that order, their own group's :func:`dense_evidence` values (largest first), and every
    other candidate keeps its own: the set of scores each language group holds is its dense one, so
    how far the question's language reaches down the list is decided by the dense signals, and within
    it the fused order stands. When every candidate is in the question's language, the scores are
    returned unchanged (when none is, they are already the dense evidence).
    """
    same = np.asarray(same_language, dtype=bool)
    if same.all():
        return scores
    evidence = dense_evidence(dense, heading_dense, weights)
    out = evidence.copy()
    members = np.flatnonzero(same)
    if members.size:
        by_fused = members[np.argsort(-scores[members], kind="stable")]
        out[by_fused] = np.sort(evidence[members])[::-1]
    return out

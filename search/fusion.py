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
    #: across languages only (:func:`dense_evidence`): the weight of the cosine with the chunk's whole
    #: section, relative to the chunk's own
    section_dense: float = 1.0
    #: … and the heading cosine's weight beside it (session 13: the section includes the heading, so a
    #: short heading counted at the same-language weight on top of it is the hub-prone view twice)
    heading_dense_across: float = 0.3


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
    section_dense: Floats | None = None,
) -> npt.NDArray[np.float64]:
    """Scores of candidates (all arrays are per candidate; ``keyword`` is the raw BM25 score, 0 when
    the candidate was not among the keyword results). ``same_language``: whether each candidate is in
    the question's language (default: all are); the others are scored on the dense signals alone —
    their tokens cannot share the question's words, so the few that do (a product name, a number)
    say nothing about which of them answers, and the keyword ranker must not lift them over the rest.
    ``section_dense``: each candidate's cosine with its whole section (:func:`dense_evidence`; used
    only when no candidate is in the question's language)."""
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
        # the section cosine only where no candidate shares the question's language (dense_evidence)
        across = None if np.asarray(same_language, dtype=bool).any() else section_dense
        scores = within_language(scores, dense, heading_dense, same_language, weights, section_dense=across)
    return scores


def dense_evidence(
    dense: Floats,
    heading_dense: Floats,
    weights: Weights = WEIGHTS,
    *,
    section_dense: Floats | None = None,
) -> npt.NDArray[np.float64]:
    """The dense part of :func:`fuse`'s score: what candidates are compared by across languages.

    Without the section cosine its heading-cosine weight is the same-language one: on the dev split
    of ``bench/multilingual.py`` (18 cross-lingual directions) 0.45 gave document top-1 0.53 against
    0.49 for the chunk cosine alone; 0.3, 0.6 and 1.0 and rank fusion of the two cosines were no
    better overall.

    With ``section_dense`` (the cosine with the chunk's whole section, heading and all its text) that
    cosine is added at ``weights.section_dense``, the heading weighs ``weights.heading_dense_across``
    (:func:`with_section`) and the sum is rescaled to the chunk-and-heading scale (the answer gate
    reads score leads). Across languages a short chunk or heading that resembles
    every question ("修改页面方向") is a hub that e5 puts first for questions about anything; the
    whole section says more about what it is about. On the dev splits of ``bench/multilingual.py``
    and ``bench/multilingual_zh.py`` (weight 0 → 1.0): document top-1 0.51 → 0.54 and 0.85 → 0.88
    (``bench/RESULTS.md``, session 11). :func:`fuse` adds it only when *no* candidate is in the
    question's language: e5's same-language cosines run higher than cross-language ones, and a
    section (longer, more of its language) widens that gap — on the demo, whose Tokyo rules are in
    Japanese and English, it put them before the Chinese policy that answers (Japanese questions
    answered right 0.58 → 0.50)."""
    if section_dense is not None and weights.section_dense > 0:
        return with_section(dense, heading_dense, section_dense, weights)
    out: npt.NDArray[np.float64] = np.asarray(dense, dtype=np.float64) + weights.heading_dense * np.asarray(
        heading_dense, dtype=np.float64
    )
    return out


def with_section(
    dense: Floats, heading_dense: Floats, section_dense: Floats, weights: Weights = WEIGHTS
) -> npt.NDArray[np.float64]:
    """:func:`dense_evidence` when the section cosine applies (no candidate in the question's
    language): chunk + ``heading_dense_across`` × heading + ``section_dense`` × section, rescaled to the
    chunk-and-heading scale of the same-language score (the gate reads score leads).

    Session 13 (dev splits of ``bench/multilingual.py`` and ``bench/multilingual_zh.py``, re-scored
    from captured inputs, question by question against e5 alone): at the same-language heading weight
    (0.45) the short Chinese headings that resemble every question (修改页面方向, 更改页码…) came first
    for Dutch, Japanese and Russian questions whose section e5 alone had right; the section already
    holds its heading. Heading weight 0.45 → 0.3: document top-1 0.541 → 0.546 and 0.879 → 0.893, and
    no language of ``multilingual_zh`` below e5 (ja and ru were one question under); 0.25–0.35 are a
    plateau. A hub penalty (CSLS-like, on the heading cosine) and letting the fused score reorder only
    near the best section cosine were worse or no better (``bench/RESULTS.md``)."""
    scale = (1.0 + weights.heading_dense) / (1.0 + weights.heading_dense_across + weights.section_dense)
    scaled: npt.NDArray[np.float64] = (
        np.asarray(dense, dtype=np.float64)
        + weights.heading_dense_across * np.asarray(heading_dense, dtype=np.float64)
        + weights.section_dense * np.asarray(section_dense, dtype=np.float64)
    ) * scale
    return scaled


def within_language(
    scores: npt.NDArray[np.float64],
    dense: Floats,
    heading_dense: Floats,
    same_language: npt.NDArray[np.bool_],
    weights: Weights = WEIGHTS,
    *,
    section_dense: Floats | None = None,
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
    evidence = dense_evidence(dense, heading_dense, weights, section_dense=section_dense)
    out = evidence.copy()
    members = np.flatnonzero(same)
    if members.size:
        by_fused = members[np.argsort(-scores[members], kind="stable")]
        out[by_fused] = np.sort(evidence[members])[::-1]
    return out


# -- passage evidence: a question that one passage of a long chunk answers word for word -------------


@dataclass(frozen=True, slots=True)
class Passage:
    """How :func:`passage_evidence` credits the best window of a long chunk. Chosen on the dev splits
    of ``bench/retrieval_real.py`` (four corpora): a lift without the BM25 margin, or at a lower floor,
    cost heading-phrased questions there (top-1 0.80 → 0.78–0.79 over all four); with it, no dev
    question's first hit changes, and a sentence planted in a long chunk
    (``tests/crawlers/test_crawl.py``) is found first."""

    width: int = 20  # tokens in a window (about a Chinese sentence); a longer chunk is "long"
    floor: float = 0.8  # the window coverage at which a passage matches the question …
    lift: float = 1.0  # … and the share of its dense shortfall (to the best candidate) it makes up
    margin: float = 1.5  # its BM25 score over the keyword runner-up's: how clearly it is the first


PASSAGE = Passage()


def window_coverage(query: Mapping[str, float], tokens: Sequence[str], width: int) -> float:
    """The largest share of the query's term weight (``query``: term → IDF) that any ``width``
    consecutive ``tokens`` contain: high when one passage holds the question's words together,
    however long the rest of the chunk is (a sliding window over the positions of query terms only)."""
    total = sum(query.values())
    if total <= 0 or not tokens:
        return 0.0
    hits = [(i, t) for i, t in enumerate(tokens) if t in query]
    counts: dict[str, int] = {}
    covered = best = 0.0
    start = 0
    for i, term in hits:
        counts[term] = counts.get(term, 0) + 1
        if counts[term] == 1:
            covered += query[term]
        while i - hits[start][0] >= width:
            left = hits[start][1]
            counts[left] -= 1
            if counts[left] == 0:
                covered -= query[left]
            start += 1
        best = max(best, covered)
    return best / total


def passage_evidence(
    window: Floats,
    dense: Floats,
    keyword: Floats,
    long: npt.NDArray[np.bool_],
    passage: Passage = PASSAGE,
    *,
    same_language: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.float64]:
    """What a long chunk's best window (``window``: :func:`window_coverage`) adds to its :func:`fuse`
    score. A long chunk's cosine with the question is diluted by everything else it says, so a
    sentence that answers the question word for word can sit far below shorter, vaguer chunks; when
    one window holds ``floor`` of the question's term weight and the chunk is the keyword ranker's
    first (``keyword``: raw BM25 scores), the share ``lift`` of the chunk's dense shortfall against
    the best candidate is made up — both rankers agree it holds the question's words, dense
    similarity alone disagrees because of its length. The shortfall is measured against the
    candidates' own best cosine, so it means the same for any embedder. Counted, like all keyword
    evidence, only where the chunk is in the question's language; short chunks are left to
    :func:`fuse`'s coverage term (their window is the whole chunk)."""
    cov = np.clip(np.asarray(window, dtype=np.float64), 0.0, 1.0)
    sims = np.asarray(dense, dtype=np.float64)
    eligible = np.asarray(long, dtype=bool)
    if same_language is not None:
        eligible = eligible & same_language
    if not sims.size:
        return np.zeros(0)
    bm25 = np.asarray(keyword, dtype=np.float64)
    runner_up = np.sort(bm25)[-2] if bm25.size > 1 else 0.0
    first = (bm25 > 0) & (bm25 >= bm25.max()) & (bm25 >= passage.margin * runner_up)
    matched = eligible & first & (cov >= passage.floor - 1e-9)
    out: npt.NDArray[np.float64] = np.where(matched, passage.lift * (sims.max() - sims), 0.0)
    return out

"""The learned answer/decline decision: which of the close passages answers, and whether any does.

The hand-tuned rules of :func:`chat.gate.decide` scored 0.95+ precision on the sets they were tuned on
and ~0.76 on every new set. This module replaces them, for Chinese questions answered from Chinese
passages, by a logistic regression over 10 measures the gate already takes (:func:`features`),
trained on five independently written question sets and scored leave-one-set-out
(``bench/answer_model.py``; figures in bench/RESULTS.md). Its label is "answering this question with this
passage is right", so one model both picks the passage among the first few candidates (the best-scored
one) and decides whether to answer at all (its probability clears :attr:`Model.threshold`, chosen for
precision ≥ 0.90 on the leave-one-set-out predictions). Three of the gate's rules stay, because
leave-one-set-out they beat the model where they apply: a passage without the kind of detail asked for,
or without a name the question names, never answers (:func:`may_answer`), and a passage whose heading
paraphrases the question answers (:func:`pick`).

The coefficients ship as data (``chat/data/answer_model.json``, versioned), so retraining is running the
script, not editing code. Scoring is a dot product: microseconds.

Example::

    chosen = decide_among(load_model(), scored_candidates(service, result, ordered, reading))
    if chosen is not None and chosen[1].answered: ...  # answer with chosen[0]
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from chat.gate import (
    QUESTION_SIMILARITY,
    Evidence,
    QuestionReading,
    Verdict,
    across,
    decide,
    evidence,
    verdict,
)
from chat.support import closeness, haystack
from search.service import Hit, SearchResult, SearchService

MODEL_PATH = Path(__file__).resolve().parent / "data" / "answer_model.json"
#: How many candidates (in :func:`chat.support.answer_order`) the model weighs.
CANDIDATES = 4

#: The features, in order (see :func:`features`). Chosen leave-one-set-out (bench/RESULTS.md, session
#: 13): the fused-score margin, the plain keyword support, the share of unknown words, the entity link,
#: the passage naming the question's names and the question's length added nothing the rest did not
#: carry (their coefficients changed sign between sets) and, dropped, the held-out figures rose. Session
#: 14: "the question names a stranger" left the features when a name the passage does not hold became a
#: veto (:func:`may_answer`).
FEATURES: tuple[str, ...] = (
    "dense",  # the passage's e5 cosine with the question
    "heading_dense",  # its heading's (an FAQ row's question)
    "dense_margin",  # its cosine minus the best other hit's
    "coverage",  # IDF-weighted share of the question's terms in the passage (BM25's view)
    "field",  # … in its heading field
    "closeness",  # share of the question's specific words it holds (with synonyms, entity links)
    "asks_detail",  # the question asks for a kind of detail (an amount, a person…; lang.needs)
    "keyword",  # 1 / (1 + its BM25 rank); 0 when BM25 did not find it
    "faq",  # an FAQ row rather than a document section
    "first",  # first in the answer order
)


def features(
    ev: Evidence,
    *,
    closeness: float,
    position: int,
    faq: bool,
    asks_detail: bool,
    dense_margin: float,
) -> tuple[float, ...]:
    """The feature vector of one (question, passage) pair, in :data:`FEATURES` order."""
    rank = ev.keyword_rank
    return (
        ev.dense,
        ev.heading_dense,
        dense_margin,
        ev.coverage,
        ev.field,
        closeness,
        float(asks_detail),
        1.0 / (1.0 + rank) if rank is not None else 0.0,
        float(faq),
        float(position == 0),
    )


@dataclass(frozen=True, slots=True)
class Model:
    """A logistic regression over standardised :data:`FEATURES`: ``p = σ(b + Σ wᵢ (xᵢ − μᵢ) / σᵢ)``."""

    version: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float

    def probability(self, x: Sequence[float]) -> float:
        z = self.intercept + sum(
            w * (v - m) / s for w, v, m, s in zip(self.coef, x, self.mean, self.scale, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-z)) if z > -500 else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "threshold": self.threshold,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Model:
        def floats(key: str) -> tuple[float, ...]:
            values = data[key]
            assert isinstance(values, list)
            return tuple(float(v) for v in values)

        names = data["features"]
        assert isinstance(names, list)
        if tuple(names) != FEATURES:
            raise ValueError(f"answer model features {names} are not this code's {list(FEATURES)}")
        return cls(
            str(data["version"]),
            FEATURES,
            floats("mean"),
            floats("scale"),
            floats("coef"),
            float(str(data["intercept"])),
            float(str(data["threshold"])),
        )


@functools.cache
def load_model(path: Path = MODEL_PATH) -> Model:
    """The shipped model (``bench/answer_model.py --write`` trains it)."""
    return Model.from_json(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True, slots=True)
class Pick:
    """Which candidate answers (``index``), whether it does, and why."""

    index: int
    answered: bool
    confidence: float
    reason: str


def pick(probabilities: Sequence[float], paraphrases: Sequence[bool], threshold: float) -> Pick | None:
    """The decision over the candidates that may answer (those holding the kind of detail asked for),
    in answer order: the best-scored one (the earliest among equals) answers when its probability
    clears ``threshold``; else the first that is a paraphrase of its heading (``paraphrases``: the
    heading's cosine ≥ :data:`chat.gate.QUESTION_SIMILARITY` and the hand-tuned gate answers with it —
    kept because leave-one-set-out it beats the model there: the question sets hold few questions
    worded like an FAQ row's, so the model never learned that such a match answers); else none
    answers and the best-scored one is the nearest. ``None`` when there is no candidate."""
    if not probabilities:
        return None
    best = max(range(len(probabilities)), key=lambda i: (probabilities[i], -i))
    p = probabilities[best]
    if p >= threshold:
        return Pick(best, True, p, "model")
    close = next((i for i, yes in enumerate(paraphrases) if yes), None)
    if close is not None:
        return Pick(close, True, max(p, threshold), "paraphrase of its heading")
    return Pick(best, False, p, "model: unlikely")


def may_answer(ev: Evidence) -> bool:
    """Whether a passage may answer at all, whatever the model says: it holds the kind of detail the
    question asks for (the hand-tuned gate's rule, kept: leave-one-set-out it beat leaving the call to
    the model), and it names every person or organisation the question names (:attr:`Evidence.named`:
    "小米员工出差住宿标准是多少" asks about another company however close the travel FAQ row is — a feature
    in session 13, a veto since session 14: leave-one-set-out on the five sets it answers more questions
    right at the same precision, as the cross-language rule's veto does)."""
    return ev.detail and ev.named


def decide_among[H](
    model: Model, scored: Sequence[tuple[H, Evidence, Sequence[float]]]
) -> tuple[H, Verdict] | None:
    """:func:`pick` over :func:`scored_candidates` that :func:`may_answer`: the passage that answers (or
    the nearest) and the verdict; ``None`` when there is no candidate."""
    if not scored:
        return None
    held = [(hit, ev, x) for hit, ev, x in scored if may_answer(ev)]
    if not held:
        ev = scored[0][1]
        reason = "not the detail asked for" if not ev.detail else "a name the passage does not hold"
        return scored[0][0], verdict(False, 0.0, reason)
    chosen = pick(
        [model.probability(x) for _, _, x in held],
        [paraphrase(ev) for _, ev, _ in held],
        model.threshold,
    )
    assert chosen is not None
    # the probability on the gate's one confidence scale (chat.gate.ANSWERED_CONFIDENCE): the threshold
    # reads 0.5, an answer above it more, a decline below it less
    p, threshold = chosen.confidence, model.threshold
    strength = (p - threshold) / (1.0 - threshold) if chosen.answered else p / threshold
    return held[chosen.index][0], verdict(chosen.answered, strength, chosen.reason)


def paraphrase(ev: Evidence) -> bool:
    """Whether the passage's heading (an FAQ row's question) is a paraphrase of the question and the
    hand-tuned gate answers with it."""
    return ev.heading_dense >= QUESTION_SIMILARITY and decide(ev).answered


def scored_candidates(
    service: SearchService,
    result: SearchResult,
    ordered: Sequence[Hit],
    reading: QuestionReading,
    first: Evidence | None = None,
) -> list[tuple[Hit, Evidence, tuple[float, ...]]]:
    """The first :data:`CANDIDATES` of ``ordered`` (the answer order) in the question's language, each
    with its evidence (:func:`chat.gate.evidence`; ``first``: the first one's, when the caller has it)
    and feature vector."""
    out = []
    asks = bool(reading.asked)
    cosines = [(h.chunk_id, h.dense_score or 0.0) for h in result.hits]
    for position, hit in enumerate(ordered[:CANDIDATES]):
        ev = first if position == 0 and first is not None else evidence(service, result, hit, reading)
        if ev is None or across(ev):
            continue
        other = max((c for i, c in cosines if i != hit.chunk_id), default=0.0)
        x = features(
            ev,
            closeness=closeness(reading.words, haystack(hit), {e for e, _ in hit.entities}),
            position=position,
            faq=hit.kind == "faq",
            asks_detail=asks,
            dense_margin=ev.dense - other,
        )
        out.append((hit, ev, x))
    return out

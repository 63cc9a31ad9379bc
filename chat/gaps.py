"""Knowledge gaps: the questions the bot declined or that got 👎, grouped for a knowledge engineer to
answer, and what they did about each group (resolved by a FAQ entry; the intent they confirmed).

* **Where from.** Declined questions are counted per day by :class:`chat.questions.QuestionLog`;
  down-voted ones are the ``Feedback`` nodes with ``helpful = false`` (query ``unhelpful_feedback``).
* **Grouping** (:func:`group_questions`, pure): the same question asked with other punctuation, case,
  traditional characters or a few words changed is one group — a normalised form, then rapidfuzz's
  similarity ratio against each group's first (most asked) question.
* **Resolved and labelled** live in the shared Redis beside the counts (every API instance agrees):
  ``zhiku:gaps:resolved`` maps each normalised question of a resolved group to the FAQ entry (or the
  linked document, section or chunk) that answers it; ``zhiku:gaps:resolved:version`` counts its
  changes, so that the ask path (:mod:`chat.links`) re-reads the links only when one was added or
  removed. A group is resolved — no longer listed, and answered from its target — when one of its
  wordings is a near-duplicate (:func:`same_question`, the grouping rule) of a resolved wording.
  ``zhiku:nlu:labelled`` maps a question to the intent an engineer confirmed, which
  ``zhiku nlu train`` (:mod:`chat.nlu`) adds to the training data.

Example::

    groups = group_questions([("班车几点发车", 3, 0), ("班车几点发车？", 1, 1), ("食堂在哪", 2, 0)])
    groups[0].question, groups[0].asked, groups[0].down_voted   # ('班车几点发车', 4, 1)
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from rapidfuzz import fuzz, process

from chat.questions import QuestionLog
from graph.base import GraphStore
from lang.text import to_simplified
from queries import load as load_query

RESOLVED = "zhiku:gaps:resolved"
RESOLVED_VERSION = "zhiku:gaps:resolved:version"
LABELLED = "zhiku:nlu:labelled"
#: rapidfuzz ratio (0–100) from which two normalised questions are one group.
SAME_QUESTION = 75.0
#: The most questions read from each source (the most asked first).
MAX_QUESTIONS = 500
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """A question's comparable form: NFKC, lower case, simplified characters, no punctuation or spaces."""
    return _PUNCT.sub("", to_simplified(unicodedata.normalize("NFKC", text).lower()))


def same_question(a: str, b: str, threshold: float = SAME_QUESTION) -> bool:
    """Whether two normalised questions are one question asked two ways: the grouping rule."""
    return fuzz.ratio(a, b) >= threshold


def nearest_wording(norm: str, wordings: Sequence[str]) -> tuple[int, float] | None:
    """The position and similarity of the wording in ``wordings`` (normalised) closest to ``norm``,
    when it is the same question by :func:`same_question`'s rule."""
    if not norm or not wordings:
        return None
    found = process.extractOne(norm, wordings, scorer=fuzz.ratio, processor=None, score_cutoff=SAME_QUESTION)
    return None if found is None else (int(found[2]), float(found[1]))


def group_key(question: str) -> str:
    """A group's stable id: from its first question's normalised form."""
    return "gap-" + hashlib.sha256(normalise(question).encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class GapGroup:
    key: str
    question: str  # the most asked wording
    variants: tuple[str, ...]  # the other wordings, most asked first
    asked: int  # times declined
    down_voted: int  # times an answer to it got 👎

    @property
    def questions(self) -> tuple[str, ...]:
        return (self.question, *self.variants)


def group_questions(
    items: Iterable[tuple[str, int, int]], *, threshold: float = SAME_QUESTION
) -> list[GapGroup]:
    """Group ``(question, times declined, times down-voted)``; the most asked groups first."""
    merged: dict[str, tuple[str, int, int]] = {}  # normalised → (first wording, declined, down-voted)
    for text, declined, down in items:
        norm = normalise(text)
        if not norm:
            continue
        first, d, v = merged.get(norm, (text.strip(), 0, 0))
        merged[norm] = (first, d + declined, v + down)
    ordered = sorted(merged.items(), key=lambda kv: (-(kv[1][1] + kv[1][2]), kv[0]))
    groups: list[tuple[str, list[tuple[str, int, int]]]] = []
    for norm, member in ordered:
        home = next((g for g in groups if same_question(norm, g[0], threshold)), None)
        if home is None:
            groups.append((norm, [member]))
        else:
            home[1].append(member)
    out = [
        GapGroup(
            key=group_key(members[0][0]),
            question=members[0][0],
            variants=tuple(m[0] for m in members[1:]),
            asked=sum(m[1] for m in members),
            down_voted=sum(m[2] for m in members),
        )
        for _, members in groups
    ]
    return sorted(out, key=lambda g: (-(g.asked + g.down_voted), g.question))


@dataclass(slots=True)
class GapResolved:
    """A resolved group: the document (section, chunk) that answers it, who said so and when."""

    key: str
    question: str
    document_id: str
    section: str
    chunk_id: str
    by: str
    at: str
    wordings: list[str]  # normalised

    @classmethod
    def of(cls, key: str, entry: dict[str, str]) -> GapResolved:
        return cls(
            key,
            str(entry.get("question", "")),
            str(entry["faq"]),
            str(entry.get("section", "")),
            str(entry.get("chunk", "")),
            str(entry.get("by", "")),
            str(entry.get("at", "")),
            [],
        )


class GapLog:
    """The knowledge gaps over the last days, and the engineers' resolutions and intent labels."""

    def __init__(self, kv: redis.Redis, questions: QuestionLog, store: GraphStore) -> None:
        self.kv = kv
        self.questions = questions
        self.store = store

    def groups(self, days: int = 30, *, include_resolved: bool = False) -> list[GapGroup]:
        declined = self.questions.top_unanswered(days, MAX_QUESTIONS)
        since = datetime.now(UTC).date().toordinal() - max(1, days) + 1
        start = datetime.fromordinal(since).date().isoformat()
        rows = self.store.query(
            load_query("unhelpful_feedback").text, {"since": start, "limit": MAX_QUESTIONS}
        )
        items = [(q, n, 0) for q, n in declined] + [(str(r["question"]), 0, int(r["times"])) for r in rows]
        groups = group_questions(items)
        if include_resolved:
            return groups
        resolved = [_text(w) for w in self.kv.hkeys(RESOLVED)]
        return [g for g in groups if not any(nearest_wording(normalise(q), resolved) for q in g.questions)]

    def group(self, key: str, days: int = 30) -> GapGroup | None:
        return next((g for g in self.groups(days) if g.key == key), None)

    def resolved_of(self, questions: Sequence[str]) -> dict[str, str]:
        """Which of ``questions`` are resolved, and by which FAQ entry."""
        if not questions:
            return {}
        values = self.kv.hmget(RESOLVED, [normalise(q) for q in questions])
        out = {}
        for question, value in zip(questions, values, strict=True):
            if value:
                raw = value if isinstance(value, str) else value.decode()
                out[question] = str(json.loads(raw)["faq"])
        return out

    def resolve(self, group: GapGroup, faq: str, by: str, *, section: str = "", chunk: str = "") -> None:
        """Mark ``group`` answered by document ``faq`` (a new FAQ entry, or an existing answer the
        engineer linked, optionally one ``section`` or one ``chunk`` of it)."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        entry = {"faq": faq, "by": by, "at": at, "group": group.key, "question": group.question}
        if section:
            entry["section"] = section
        if chunk:
            entry["chunk"] = chunk
        record = json.dumps(entry, ensure_ascii=False)
        mapping: dict[str | bytes, str | bytes] = {normalise(q): record for q in group.questions}
        pipe = self.kv.pipeline()  # MULTI: the version moves with the links it announces
        pipe.hset(RESOLVED, mapping=mapping)  # type: ignore[arg-type]  # redis-py's Mapping key types
        pipe.incr(RESOLVED_VERSION)
        pipe.execute()

    def links(self) -> list[GapResolved]:
        """The resolved groups (by a FAQ entry or a link), newest first."""
        found: dict[str, GapResolved] = {}
        for wording, value in self.kv.hgetall(RESOLVED).items():
            entry = json.loads(_text(value))
            key = str(entry.get("group") or _text(wording))
            made = found.get(key) or GapResolved.of(key, entry)
            found[key] = made
            made.wordings.append(_text(wording))
        return sorted(found.values(), key=lambda r: (r.at, r.key), reverse=True)

    def unlink(self, key: str) -> GapResolved | None:
        """Take group ``key``'s resolution back: asked again, it is declined and listed as before.
        The resolution taken back, or None when ``key`` was not resolved."""
        made = next((r for r in self.links() if r.key == key), None)
        if made is None:
            return None
        pipe = self.kv.pipeline()
        pipe.hdel(RESOLVED, *made.wordings)
        pipe.incr(RESOLVED_VERSION)
        pipe.execute()
        return made

    def label(self, questions: Iterable[str], intent: str, by: str) -> int:
        """Save ``intent`` as the confirmed intent of each question; how many were saved."""
        mapping: dict[str | bytes, str | bytes] = {
            normalise(q): json.dumps([q, intent, by], ensure_ascii=False) for q in questions if normalise(q)
        }
        if mapping:
            self.kv.hset(LABELLED, mapping=mapping)  # type: ignore[arg-type]
        return len(mapping)

    def labelled(self) -> list[tuple[str, str]]:
        return labelled_questions(self.kv)


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode()


def labelled_questions(kv: redis.Redis) -> list[tuple[str, str]]:
    """The confirmed ``(intent, question)`` pairs (the training data's shape)."""
    out = []
    for value in kv.hvals(LABELLED):
        question, intent, _by = json.loads(value if isinstance(value, str) else value.decode())
        out.append((str(intent), str(question)))
    return sorted(out)

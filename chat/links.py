"""The answers knowledge engineers linked to questions the bot could not answer, as the ask path reads
them: a question that is a near-duplicate of a resolved group's wording (:func:`chat.gaps.same_question`,
the rule that grouped it) is answered from the group's target — a FAQ entry, a document, one section
or one chunk of it — when the asker may read it (:func:`search.service.SearchService.document_hits`,
:func:`zhiku.access.admits_parts`). An asker who may not gets the normal answer (usually the decline).

**Cost on the ask path**: one Redis ``GET`` of ``zhiku:gaps:resolved:version`` per question; the links
themselves (``HGETALL zhiku:gaps:resolved``) are read again only when that version moved — every link
and unlink moves it (:meth:`chat.gaps.GapLog.resolve`, :meth:`~chat.gaps.GapLog.unlink`), so every API
instance sees a link on its next question. Matching is rapidfuzz's ``extractOne`` over the normalised
wordings in this process. ``bench/gap_links.py`` (2 shared cores at load 10): a median 30 µs per
question with no links, 0.1 ms with 1,000 linked wordings, 0.6 ms with 5,000 — next to the ~20 ms an
unseen question's search costs. A Redis that cannot be reached leaves the last links read in place
(logged): the answer matters more than the link.

Example::

    links = AnswerLinks(kv)
    link = links.match("班车几点发车？")          # Link(document_id='doc-…', …) or None
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import redis

from chat.gaps import RESOLVED, RESOLVED_VERSION, nearest_wording, normalise

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Link:
    """Where a resolved group's answer is: a document, optionally one section (heading path, as a
    hit's ``section`` reads) or one chunk of it; ``similarity``: how close the question was (0–100)."""

    group: str
    document_id: str
    section: str = ""
    chunk_id: str = ""
    similarity: float = 100.0


class AnswerLinks:
    """The resolved groups' wordings and targets, cached in this process until their version moves."""

    def __init__(self, kv: redis.Redis) -> None:
        self.kv = kv
        #: (version, normalised wordings, their targets): swapped whole, read without a lock
        self._view: tuple[str | None, list[str], list[Link]] = (None, [], [])

    def _current(self) -> tuple[list[str], list[Link]]:
        view = self._view
        try:
            raw = self.kv.get(RESOLVED_VERSION)
            version = "0" if raw is None else raw if isinstance(raw, str) else raw.decode()
            if version == view[0]:
                return view[1], view[2]
            entries = self.kv.hgetall(RESOLVED)
        except redis.RedisError as exc:
            log.warning("answer links not refreshed: %s", exc)
            return view[1], view[2]
        wordings, targets = [], []
        for wording, value in entries.items():
            entry = json.loads(value if isinstance(value, str) else value.decode())
            wordings.append(wording if isinstance(wording, str) else wording.decode())
            targets.append(
                Link(
                    str(entry.get("group", "")),
                    str(entry["faq"]),
                    str(entry.get("section", "")),
                    str(entry.get("chunk", "")),
                )
            )
        self._view = (version, wordings, targets)
        return wordings, targets

    def match(self, question: str) -> Link | None:
        """The link of the resolved group ``question`` is a near-duplicate of, if any."""
        norm = normalise(question)
        if not norm:
            return None
        wordings, targets = self._current()
        found = nearest_wording(norm, wordings)
        if found is None:
            return None
        at, similarity = found
        target = targets[at]
        return Link(target.group, target.document_id, target.section, target.chunk_id, similarity)

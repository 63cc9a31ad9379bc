"""How many questions employees ask per day, how many got an answer, and which went unanswered.

The analysts' dashboard reads this; the chat and ``ask`` paths write it, one pipelined round trip
per question. It lives in the shared Redis (by default the embedded graph server), so every API
instance counts into the same figures and nothing is written to the graph on the hot path:

* ``zhiku:questions:<YYYY-MM-DD>`` — a hash ``{answered: n, unanswered: m}``;
* ``zhiku:unanswered:<YYYY-MM-DD>`` — a sorted set, question text → times asked that day.

Both expire after :data:`RETENTION_DAYS`. A failure to record is logged and never fails the answer.

Example::

    log = QuestionLog(kv)
    log.record("班车几点发车", answered=False)
    log.daily(14)            # [DayCount(day='2025-…', answered=…, unanswered=…), …] oldest first
    log.top_unanswered(14)   # [('班车几点发车', 1), …]
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import redis

log = logging.getLogger(__name__)

RETENTION_DAYS = 90
#: A question is stored (and grouped) by its first this many characters.
MAX_QUESTION_CHARS = 200
PREFIX = "zhiku:questions:"
UNANSWERED = "zhiku:unanswered:"


@dataclass(frozen=True, slots=True)
class DayCount:
    day: str  # ISO date (UTC)
    answered: int
    unanswered: int


def _today() -> date:
    return datetime.now(UTC).date()


class QuestionLog:
    def __init__(self, kv: redis.Redis) -> None:
        self.kv = kv

    def record(self, question: str, *, answered: bool, day: date | None = None) -> None:
        text = " ".join(question.split())[:MAX_QUESTION_CHARS]
        if not text:
            return
        d = (day or _today()).isoformat()
        ttl = RETENTION_DAYS * 86400
        try:
            pipe = self.kv.pipeline(transaction=False)
            pipe.hincrby(PREFIX + d, "answered" if answered else "unanswered", 1)
            pipe.expire(PREFIX + d, ttl)
            if not answered:
                pipe.zincrby(UNANSWERED + d, 1, text)
                pipe.expire(UNANSWERED + d, ttl)
            pipe.execute()
        except redis.RedisError as exc:  # the answer matters more than the statistic
            log.warning("question not counted: %s", exc)

    def _days(self, days: int, today: date | None) -> list[str]:
        days = max(1, min(days, RETENTION_DAYS))
        end = today or _today()
        return [(end - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]

    def daily(self, days: int = 14, *, today: date | None = None) -> list[DayCount]:
        """One entry per day (oldest first), zero for days without questions."""
        keys = self._days(days, today)
        pipe = self.kv.pipeline(transaction=False)
        for d in keys:
            pipe.hmget(PREFIX + d, "answered", "unanswered")
        rows = pipe.execute()
        return [DayCount(d, int(a or 0), int(u or 0)) for d, (a, u) in zip(keys, rows, strict=True)]

    def top_unanswered(
        self, days: int = 14, k: int = 10, *, today: date | None = None
    ) -> list[tuple[str, int]]:
        """The questions left unanswered most often over the last ``days`` days."""
        keys = self._days(days, today)
        pipe = self.kv.pipeline(transaction=False)
        for d in keys:
            pipe.zrange(UNANSWERED + d, 0, 199, desc=True, withscores=True)
        total: Counter[str] = Counter()
        for rows in pipe.execute():
            for text, score in rows:
                total[text if isinstance(text, str) else text.decode()] += int(score)
        return sorted(total.items(), key=lambda item: (-item[1], item[0]))[: max(0, min(k, 100))]

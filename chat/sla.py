"""The agents' first-response clock on a ticket: how long the employee has waited for a person, against
the first-response target (``ZHIKU_TICKET_FIRST_RESPONSE_MINUTES``).

The clock starts when the ticket is opened and stops at the first agent reply or at closing, whichever
comes first (both are in the ticket's history: ``reply:AGENT@time``, ``closed:AGENT@time``; taking a
ticket is not a response — the employee is still waiting for words). A pure function of the ticket's
history and the server's clock, so every API instance and the desk agree, and it is tested without a
database.

Example::

    clock = response_clock("2026-12-01T09:00:00+00:00", history, now, target_s=300)
    clock.state  # waiting → near (≥ 80 % of the target) → breached; or met / missed once answered
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

#: The share of the target after which a waiting ticket is shown as nearing its breach (amber).
NEAR_FRACTION = 0.8
#: History events that end the employee's wait for a first response.
RESPONSES = ("reply:", "closed:")
#: Clock states; the first three are still running.
RUNNING = ("waiting", "near", "breached")
STATES = (*RUNNING, "met", "missed")


@dataclass(frozen=True, slots=True)
class ResponseClock:
    waited_s: int  # until the first response, or until ``now`` while none came
    target_s: int
    near_s: int  # from this wait on, the ticket nears its breach
    state: str  # one of STATES
    responded_at: str | None  # the first response's time (ISO), None while waiting

    @property
    def remaining_s(self) -> int:
        """Seconds left before the target (negative: over it)."""
        return self.target_s - self.waited_s

    @property
    def running(self) -> bool:
        return self.state in RUNNING


def _parse(stamp: str) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return None


def first_response(history: Sequence[str]) -> str | None:
    """When the first agent reply or the closing happened (``event@time`` entries, oldest first)."""
    for entry in history:
        event, _, at = entry.rpartition("@")
        if event.startswith(RESPONSES) and _parse(at) is not None:
            return at
    return None


def response_clock(created_at: str, history: Sequence[str], now: datetime, target_s: int) -> ResponseClock:
    """The first-response clock of a ticket opened at ``created_at`` (ISO, with offset)."""
    near_s = int(target_s * NEAR_FRACTION)
    responded = first_response(history)
    start = _parse(created_at)
    end = _parse(responded) if responded else now
    waited = max(0, int(((end or now) - start).total_seconds())) if start else 0
    if responded:
        state = "met" if waited <= target_s else "missed"
    elif waited >= target_s:
        state = "breached"
    elif waited >= near_s:
        state = "near"
    else:
        state = "waiting"
    return ResponseClock(waited, target_s, near_s, state, responded)

"""What the approval tests that drive time share: a clock the test moves (never the wall clock) and
an engine on the demo company's org that runs on it, with the events it announced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from approvals.engine import ApprovalEngine, ApprovalEvent
from graph.falkordb_store import FalkorDBStore


class Clock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # a Monday, 09:00 in Shanghai


@pytest.fixture
def timed(org: FalkorDBStore, clock: Clock) -> tuple[ApprovalEngine, list[ApprovalEvent]]:
    events: list[ApprovalEvent] = []
    return ApprovalEngine(org, listeners=[events.append], clock=clock), events

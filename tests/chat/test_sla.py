"""The first-response clock as a pure function: running states by the wait, stopped by the first
reply or the closing (not by taking the ticket)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chat.sla import first_response, response_clock

OPENED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return (OPENED + timedelta(minutes=minutes)).isoformat(timespec="seconds")


def test_a_waiting_ticket_turns_near_then_breached() -> None:
    history = [f"open@{at(0)}", f"claimed:E1015@{at(1)}"]  # taking it is not a response
    states = [response_clock(at(0), history, OPENED + timedelta(minutes=m), 300) for m in (1, 4, 5, 9)]
    assert [c.state for c in states] == ["waiting", "near", "breached", "breached"]
    assert [c.waited_s for c in states] == [60, 240, 300, 540]
    assert states[1].near_s == 240 and states[3].remaining_s == -240 and states[3].running


def test_the_first_reply_or_the_closing_stops_the_clock() -> None:
    now = OPENED + timedelta(hours=3)
    replied = [f"open@{at(0)}", f"reply:E1015@{at(3)}", f"reply:E1015@{at(30)}"]
    late = [f"open@{at(0)}", f"message:E1030@{at(2)}", f"closed:E1015@{at(7)}"]
    met, missed = response_clock(at(0), replied, now, 300), response_clock(at(0), late, now, 300)
    assert (met.state, met.waited_s, met.responded_at, met.running) == ("met", 180, at(3), False)
    assert (missed.state, missed.waited_s, missed.responded_at) == ("missed", 420, at(7))


def test_unreadable_times_do_not_count() -> None:
    assert first_response(["reply:E1015@yesterday", f"closed:E1015@{at(2)}"]) == at(2)
    clock = response_clock("", [], OPENED, 300)
    assert clock.waited_s == 0 and clock.state == "waiting"

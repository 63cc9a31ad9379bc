"""How long an approval step has waited, counted the way its process says (``sla_clock``):
``calendar`` (every hour), ``workdays`` (every hour of a working day) or ``working_hours`` (the
working hours of working days). Working days are Monday to Friday, minus the holidays and plus the
weekend days worked instead (调休) that the knowledge base's calendar lists (``calendar.yaml``, loaded
as ``CalendarDay`` nodes: the 2026 Spring Festival notice's 2月15日–23日 off, 2月14日 and 28日 worked).

Example::

    cal = WorkCalendar(holidays={date(2026, 2, 16)}, workdays={date(2026, 2, 14)})
    cal.hours("2026-02-13T09:00:00+08:00", "2026-02-24T09:00:00+08:00", "working_hours")  # 18.0
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from graph.base import GraphStore
from queries import load as load_query
from zhiku.errors import InputError

CLOCKS = ("calendar", "workdays", "working_hours")


class WorkCalendar:
    """Working days and hours in one time zone (holidays off, 调休 weekend days worked)."""

    __slots__ = ("day_end", "day_start", "holidays", "tz", "workdays")

    def __init__(
        self,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        day_start: time = time(9),
        day_end: time = time(18),
        tz: str = "Asia/Shanghai",
    ) -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        self.day_start, self.day_end = day_start, day_end
        self.tz = ZoneInfo(tz)

    def is_workday(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day in self.workdays or day.weekday() < 5

    def hours(self, start: str, end: str, clock: str = "calendar") -> float:
        """Hours from ``start`` to ``end`` (ISO 8601) on ``clock``; 0 when ``end`` is not later (a clock
        that went backwards never makes a step overdue)."""
        if clock not in CLOCKS:
            raise InputError(f"未知的计时方式：{clock}", f"unknown SLA clock {clock}")
        a = datetime.fromisoformat(start).astimezone(self.tz)
        b = datetime.fromisoformat(end).astimezone(self.tz)
        if b <= a:
            return 0.0
        if clock == "calendar":
            return (b - a).total_seconds() / 3600
        total = 0.0
        day = a.date()
        while day <= b.date():
            if self.is_workday(day):
                if clock == "workdays":
                    lo = datetime.combine(day, time(0), self.tz)
                    hi = lo + timedelta(days=1)
                else:
                    lo = datetime.combine(day, self.day_start, self.tz)
                    hi = datetime.combine(day, self.day_end, self.tz)
                lo, hi = max(lo, a), min(hi, b)
                if hi > lo:
                    total += (hi - lo).total_seconds() / 3600
            day += timedelta(days=1)
        return total


def load_calendar(store: GraphStore) -> WorkCalendar:
    """The knowledge base's holiday calendar (``CalendarDay`` nodes); an empty one when it has none."""
    rows = store.query(load_query("calendar_days").text, {})
    holidays = [date.fromisoformat(str(r["date"])[:10]) for r in rows if not r["workday"]]
    workdays = [date.fromisoformat(str(r["date"])[:10]) for r in rows if r["workday"]]
    return WorkCalendar(holidays, workdays)

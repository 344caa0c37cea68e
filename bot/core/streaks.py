"""Streaks on the member's own calendar, derived from their check-in days.

Nothing about a streak is stored: it is recomputed from the logs, so it always
matches what the logs imply. Rules:
- a day counts when the member logged study on it (twice is still one day);
- today not logged yet does not break the streak (the day isn't over);
- days outside the member's chosen study days are rest days: they neither count
  nor break the streak;
- one missed study day per ISO week is covered by an automatic freeze, as long
  as the streak goes on before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class Streak:
    current: int
    frozen_days: tuple[date, ...] = field(default=())
    best: int = 0


def compute(days: set[date], today: date, study_weekdays: str = "0123456") -> Streak:
    weekdays = {int(c) for c in study_weekdays if c.isdigit()} or set(range(7))
    earliest = min(days, default=today)
    count = 0
    frozen: list[date] = []
    used_weeks: set[tuple[int, int]] = set()
    cur = today if today in days else today - timedelta(days=1)
    while cur >= earliest:
        if cur in days:
            count += 1
        elif cur.weekday() not in weekdays:
            pass
        else:
            week = cur.isocalendar()[:2]
            prev = _previous_study_day(cur, weekdays)
            if week in used_weeks or prev not in days:
                break
            used_weeks.add(week)
            frozen.append(cur)
        cur -= timedelta(days=1)
    return Streak(count, tuple(frozen), max(count, best_run(days, weekdays)))


def _previous_study_day(d: date, weekdays: set[int]) -> date:
    d -= timedelta(days=1)
    for _ in range(7):
        if d.weekday() in weekdays:
            return d
        d -= timedelta(days=1)
    return d


def best_run(days: set[date], weekdays: set[int]) -> int:
    """The longest run of consecutive study days ever, rest days ignored, no freezes."""
    best = run = 0
    prev: date | None = None
    for d in sorted(days):
        run = run + 1 if prev is not None and _previous_study_day(d, weekdays) <= prev else 1
        best = max(best, run)
        prev = d
    return best

"""A plan's length and finish date: the one place they are computed.

Work is laid end to end at the weekly pace, in hours on a cursor; a piece of work
never starts before its earliest week (a path's phase), or its earliest date when
work is laid from a day other than the plan's start (the pace projection). The
plan lasts until the cursor's last hour: `ceil(hours / pace * 7)` days from the
start, the start day being day one, and its length in weeks is that many days
rounded up to weeks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Span:
    start: date
    hours_per_week: float
    days: int
    finish: date

    @property
    def weeks(self) -> int:
        return math.ceil(self.days / 7)


def _ends(work: Iterable[tuple[float, float]]) -> Iterator[float]:
    """The cursor rule: `(hours, earliest_hour)` pieces end to end, none before its earliest hour.

    Yields where each piece ends."""
    cursor = 0.0
    for h, earliest in work:
        cursor = max(cursor, earliest) + max(0.0, h)
        yield cursor


def _lay(work: Iterable[tuple[float, float]]) -> float:
    ends = list(_ends(work))
    return ends[-1] if ends else 0.0


def _weekly(hours_per_week: float, work: Iterable[tuple[float, int]]) -> Iterator[tuple[float, float]]:
    return ((h, (earliest - 1) * hours_per_week) for h, earliest in work)


def cursor_hours(hours_per_week: float, work: Iterable[tuple[float, int]]) -> float:
    """Hours from the start to the end of the last piece of `(hours, earliest_week)` work."""
    return _lay(_weekly(hours_per_week, work))


def _span(start: date, hours_per_week: float, cursor: float) -> Span:
    days = max(1, math.ceil(cursor / hours_per_week * 7 - EPS))
    return Span(start, hours_per_week, days, start + timedelta(days=days - 1))


def span(start: date, hours_per_week: float, work: Iterable[tuple[float, int]]) -> Span:
    if hours_per_week <= 0:
        raise ValueError("hours_per_week must be positive")
    return _span(start, hours_per_week, cursor_hours(hours_per_week, work))


def prefix_finishes(start: date, hours_per_week: float, work: Iterable[tuple[float, int]]) -> list[date]:
    """`span(start, hours_per_week, work[:n]).finish` for every n from 1, laid in one pass."""
    if hours_per_week <= 0:
        raise ValueError("hours_per_week must be positive")
    return [_span(start, hours_per_week, end).finish for end in _ends(_weekly(hours_per_week, work))]


def span_from(start: date, hours_per_week: float, work: Iterable[tuple[float, date]]) -> Span:
    """`span` for `(hours, earliest_date)` work laid from `start`; a date before `start` binds nothing.

    An earliest date of `week_start(s, w)` laid from `s` is the earliest week `w`.
    """
    if hours_per_week <= 0:
        raise ValueError("hours_per_week must be positive")
    dated = ((h, max(0, (d - start).days) / 7 * hours_per_week) for h, d in work)
    return _span(start, hours_per_week, _lay(dated))


def week_of(cursor: float, hours_per_week: float) -> int:
    """The plan week (1-based) in which the hour at `cursor` falls."""
    return math.floor(cursor / hours_per_week + EPS) + 1


def week_start(start: date, week: int) -> date:
    return start + timedelta(days=7 * (week - 1))


def pace_to_fit(weeks: int, work: list[tuple[float, int]], most: float = 80) -> float | None:
    """The smallest whole number of hours a week that fits `work` into `weeks`, if any up to `most`."""
    for h in range(1, int(most) + 1):
        if math.ceil(cursor_hours(h, work) / h - EPS) <= weeks:
            return float(h)
    return None

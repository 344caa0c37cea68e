"""The member's measured pace and where it takes them.

- Pace is measured over the days the plan has lived through, up to the last 28:
  from the plan's start, or over the last 28 days once the plan is that old.
  Today is not part of the window (it isn't over), though today's study does
  count towards the hours done.
- Pace is hours per study day in that window, times the member's study days a
  week, so rest days neither help nor hurt.
- Until one full study day has passed since the start there is no verdict:
  nothing says "behind" on day 0.
- The projection lays the work still to do from today at the measured pace with
  the cursor rule that dates the plan (bot.core.domain.plan_dates): each
  unfinished topic, in plan order, starts no earlier than the first day of its
  earliest week (a path's phase), so a path never projects to before its last
  phase has opened, and at the planned pace a plan projects to its own finish.
- Logged hours beyond the hours of topics marked done count as work on the
  unfinished topics from the front (the one in progress first), but a topic
  only takes hours logged since its earliest week began: a phase cannot have
  been studied before it opened. The hours left are what the topics still hold.
- The verdict compares the two dates ("on pace" within a week or a tenth of the
  time left, whichever is longer), so "ahead" always comes with a date no later
  than the plan's.
- More study never moves the projection later: it lowers the hours left and
  never lowers the measured pace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.domain import plan_dates

WINDOW_DAYS = 28
SLACK_DAYS = 7  # "on pace" spans at least a week either side of the plan's date...
SLACK_SHARE = 0.1  # ...or a tenth of the time left to it, whichever is longer

JUST_STARTED = "just started"
NO_STUDY = "no study logged yet"
DONE = "done"
AHEAD = "ahead"
ON_PACE = "on pace"
BEHIND = "behind"


@dataclass(frozen=True, slots=True)
class Pace:
    status: str
    weekly_hours: float | None
    window_days: int
    projected_finish: date | None
    plan_finish: date
    logged_minutes: int


def window(start: date, today: date) -> tuple[date, date] | None:
    """The full days measured: from the start or the last 28 days, up to yesterday."""
    lived = (today - start).days
    if lived < 1:
        return None
    first = max(start, today - timedelta(days=WINDOW_DAYS))
    return first, today - timedelta(days=1)


def _study_days(first: date, last: date, weekdays: set[int]) -> int:
    n, d = 0, first
    while d <= last:
        n += d.weekday() in weekdays
        d += timedelta(days=1)
    return n


Piece = tuple[float, date, bool]  # a topic's hours, the first day of its earliest week, done


def remaining(
    work: Sequence[Piece], minutes_by_day: Mapping[date, float], today: date
) -> list[tuple[float, date]]:
    """The unfinished `(hours, earliest)` pieces, less the logged hours no done topic accounts for.

    Those hours go to the topics from the front; a topic takes only hours logged
    since its earliest week began, less what topics done or credited from that
    week on already account for.
    """
    logged_since: dict[date, float] = {}

    def since(d: date) -> float:
        if d not in logged_since:
            logged_since[d] = sum(m for day, m in minutes_by_day.items() if day >= d) / 60
        return logged_since[d]

    done = [(h, e) for h, e, is_done in work if is_done]
    extra = since(date.min) - sum(h for h, _ in done)
    taken: list[tuple[float, date]] = []
    out = []
    for h, earliest, is_done in work:
        if is_done:
            continue
        used = 0.0
        if earliest <= today:
            held = sum(x for x, e in done + taken if e >= earliest)
            used = max(0.0, min(h, extra, since(earliest) - held))
        extra -= used
        taken.append((used, earliest))
        if h - used > plan_dates.EPS:
            out.append((h - used, earliest))
    return out


def measure(
    start: date,
    today: date,
    plan_finish: date,
    work: Sequence[Piece],
    minutes_by_day: Mapping[date, int],
    study_weekdays: set[int],
) -> Pace:
    """`work`: the plan's topics (skipped ones aside) in plan order."""
    weekdays = study_weekdays or set(range(7))
    since_start = {d: m for d, m in minutes_by_day.items() if d >= start}
    logged = sum(since_start.values())
    rest = remaining(work, since_start, today)

    def result(status: str, weekly: float | None, days: int, projected: date | None) -> Pace:
        return Pace(status, weekly, days, projected, plan_finish, logged)

    if not rest:
        return result(DONE, None, 0, today)
    win = window(start, today)
    studied_days = _study_days(*win, weekdays) if win else 0
    if win is None or studied_days == 0:
        return result(JUST_STARTED, None, 0, plan_finish)
    first, last = win
    minutes = sum(m for d, m in minutes_by_day.items() if first <= d <= last)
    weekly = minutes / 60 / studied_days * len(weekdays)
    days = (last - first).days + 1
    if weekly <= 0:
        return result(NO_STUDY, 0.0, days, None)
    projected = plan_dates.span_from(today, weekly, rest).finish
    slack = timedelta(days=max(SLACK_DAYS, round(SLACK_SHARE * (plan_finish - today).days)))
    if projected < plan_finish - slack:
        status = AHEAD
    elif projected > plan_finish + slack:
        status = BEHIND
    else:
        status = ON_PACE
    return result(status, weekly, days, projected)

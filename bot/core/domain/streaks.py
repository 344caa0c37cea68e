"""The streak rule, on the member's own calendar, derived from their check-in days.

Nothing about a streak is stored: it is replayed from the logs day by day, in
order, so what the bot said on any day stays true later. The rule (docs/rules.md):
- a day counts when the member logged study on it (twice is still one day);
- today not logged yet does not break the streak: the day isn't over;
- days outside the member's study days are rest days and paused days are held:
  neither counts nor breaks (study logged on one still counts);
- a missed study day is covered by a freeze if the streak is running and the
  freeze of that day's ISO week is unused; the freeze is spent on that day, when
  the miss happens, and is never moved;
- any other missed study day ends the streak;
- the best streak is the highest value this same replay ever reaches, so it is
  never lower than a streak the member was shown.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class Streak:
    current: int
    frozen_days: tuple[date, ...] = field(default=())  # freezes in the current run, latest first
    best: int = 0
    safe_if_back_tomorrow: bool = True  # a day's gap now (today missed) would be covered


def weekdays_of(study_weekdays: str) -> set[int]:
    return {int(c) for c in study_weekdays if c.isdigit()} or set(range(7))


def compute(
    days: Collection[date],
    today: date,
    study_weekdays: str = "0123456",
    paused: Collection[date] = (),
    skipped_today: bool = False,
) -> Streak:
    """`skipped_today`: the member said today is a rest day, so today is decided now (a miss,
    covered by a freeze or not) instead of open until it ends."""
    return replay(days, today, study_weekdays, paused, skipped_today)[0]


def freeze_days(
    days: Collection[date],
    today: date,
    study_weekdays: str = "0123456",
    paused: Collection[date] = (),
    skipped_today: bool = False,
) -> tuple[date, ...]:
    """Every day a freeze covered, in any run, oldest first (the heatmap marks them)."""
    return replay(days, today, study_weekdays, paused, skipped_today)[1]


def replay(
    days: Collection[date],
    today: date,
    study_weekdays: str = "0123456",
    paused: Collection[date] = (),
    skipped_today: bool = False,
) -> tuple[Streak, tuple[date, ...]]:
    """The streak today, and every freeze spent on the way."""
    weekdays = weekdays_of(study_weekdays)
    logged = set(days)
    held = set(paused)
    count = best = 0
    frozen: list[date] = []
    spent: list[date] = []
    used: set[tuple[int, int]] = set()
    d = min((x for x in logged if x <= today), default=today)
    while d <= today:
        if d in logged:
            count += 1
            best = max(best, count)
        elif (d == today and not skipped_today) or d in held or d.weekday() not in weekdays:
            pass
        elif count > 0 and _week(d) not in used:
            used.add(_week(d))
            frozen.append(d)
            spent.append(d)
        else:
            count, frozen = 0, []
        d += timedelta(days=1)
    today_open = (
        not skipped_today and today not in logged and today not in held and today.weekday() in weekdays
    )
    safe = not today_open or count == 0 or _week(today) not in used
    return Streak(count, tuple(reversed(frozen)), best, safe), tuple(spent)


def starts_afresh(
    days: Collection[date],
    today: date,
    since: date,
    study_weekdays: str = "0123456",
    paused: Collection[date] = (),
) -> bool:
    """True when today's streak does not depend on anything logged before `since`.

    That holds once a whole ISO week, on or after `since` and over before today, has nothing
    logged and two or more study days that no pause holds: its first miss spends the week's
    freeze at most, the second ends any run, so the replay leaves that week with nothing
    running and no freeze of a later week spent, whatever came before it."""
    weekdays = weekdays_of(study_weekdays)
    logged = set(days)
    held = set(paused)
    monday = since + timedelta(days=(7 - since.weekday()) % 7)
    while monday + timedelta(days=6) < today:
        week = [monday + timedelta(days=i) for i in range(7)]
        if not logged.intersection(week):
            misses = [d for d in week if d.weekday() in weekdays and d not in held]
            if len(misses) >= 2:
                return True
        monday += timedelta(days=7)
    return False


def _week(d: date) -> tuple[int, int]:
    iso = d.isocalendar()
    return iso[0], iso[1]

"""The heatmap's freeze marks come from the streak rule's own replay (`streaks.replay`)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain.streaks import compute, freeze_days, replay

MON = date(2026, 11, 23)


def d(n: int) -> date:
    return MON + timedelta(days=n)


def test_a_freeze_in_a_run_that_later_ended_is_still_marked():
    logs = {d(0), d(1), d(3), d(5)}  # Wed covered by the week's freeze, Fri not: the run ends
    assert compute(logs, d(6)).frozen_days == ()
    assert freeze_days(logs, d(6)) == (d(2),)


@settings(max_examples=150, deadline=None)
@given(
    studied=st.sets(st.integers(0, 60), max_size=40),
    paused=st.sets(st.integers(0, 60), max_size=15),
    weekdays=st.sets(st.integers(0, 6), min_size=1),
    today=st.integers(0, 60),
    skipped=st.booleans(),
)
def test_freeze_days_agree_with_the_streak(studied, paused, weekdays, today, skipped):
    logs = {d(i) for i in studied}
    held = {d(i) for i in paused}
    days = "".join(str(w) for w in sorted(weekdays))
    streak, spent = replay(logs, d(today), days, held, skipped)
    assert streak == compute(logs, d(today), days, held, skipped)
    # Every freeze in the current run is among the marked ones, each on a missed study day,
    # at most one a week, never on a logged or paused day.
    assert set(streak.frozen_days) <= set(spent)
    assert all(x not in logs and x not in held and x.weekday() in weekdays for x in spent)
    weeks = [x.isocalendar()[:2] for x in spent]
    assert len(weeks) == len(set(weeks))
    assert all(x <= d(today) for x in spent)

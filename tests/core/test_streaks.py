"""Streak rules, with properties checked over random logs."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain.streaks import compute, starts_afresh

TODAY = date(2026, 11, 26)  # a Thursday


def days_ago(*offsets: int) -> set[date]:
    return {TODAY - timedelta(days=o) for o in offsets}


def test_consecutive_days_count():
    assert compute(days_ago(0, 1, 2), TODAY).current == 3


def test_today_not_logged_yet_keeps_yesterdays_streak():
    assert compute(days_ago(1, 2), TODAY).current == 2


def test_one_missed_day_a_week_is_frozen():
    s = compute(days_ago(0, 1, 3, 4), TODAY)
    assert s.current == 4
    assert s.frozen_days == (TODAY - timedelta(days=2),)


def test_two_missed_days_in_one_week_break_the_streak():
    # Sun 22 logged; Mon 23 missed (this week's freeze, spent when it happened);
    # Tue 24 logged; Wed 25 missed with the freeze gone: broken. Thu 26 starts again.
    assert compute(days_ago(0, 2, 4), TODAY).current == 1


def test_missed_days_in_different_weeks_each_use_that_weeks_freeze():
    # Thu 26 Nov: missed Tue 24 (this week) and Sat 21 (last week).
    s = compute(days_ago(0, 1, 3, 4, 6, 7), TODAY)
    assert s.current == 6 and len(s.frozen_days) == 2


def test_rest_days_neither_count_nor_break():
    weekdays = "01234"  # Mon-Fri
    monday = date(2026, 11, 30)
    logs = {monday, date(2026, 11, 27), date(2026, 11, 26)}  # Mon, Fri, Thu
    assert compute(logs, monday, weekdays).current == 3


def test_no_logs_no_streak():
    assert compute(set(), TODAY).current == 0


@settings(max_examples=300, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=60), max_size=61))
def test_streak_properties(offsets):
    logs = {TODAY - timedelta(days=o) for o in offsets}
    s = compute(logs, TODAY)
    assert 0 <= s.current <= len(logs)
    assert s.best >= s.current
    for d in s.frozen_days:
        assert d not in logs
    weeks = [d.isocalendar()[:2] for d in s.frozen_days]
    assert len(weeks) == len(set(weeks)), "at most one freeze per week"
    # Logging twice on a day changes nothing: sets already collapse repeats,
    # and adding today can only lengthen the streak.
    assert compute(logs | {TODAY}, TODAY).current >= s.current


@settings(max_examples=400, deadline=None)
@given(
    offsets=st.sets(st.integers(0, 140), max_size=100),
    weekdays=st.sets(st.integers(0, 6), min_size=1).map(lambda s: "".join(map(str, sorted(s)))),
    paused=st.sets(st.integers(0, 140), max_size=20),
    since_back=st.integers(0, 120),
    skipped_today=st.booleans(),
)
def test_starts_afresh_needs_no_older_days(offsets, weekdays, paused, since_back, skipped_today):
    days = days_ago(*offsets)
    held = days_ago(*paused)
    since = TODAY - timedelta(days=since_back)
    if not starts_afresh(days, TODAY, since, weekdays, held):
        return
    recent = {d for d in days if d >= since}
    whole = compute(days, TODAY, weekdays, held, skipped_today)
    assert compute(recent, TODAY, weekdays, held, skipped_today).current == whole.current


def test_starts_afresh_needs_a_quiet_week_with_two_missed_study_days():
    # Every day for 40 days, except the week of Mon 2 Nov to Sun 8 Nov.
    quiet = {date(2026, 11, 2) + timedelta(days=i) for i in range(7)}
    days = {TODAY - timedelta(days=o) for o in range(40)} - quiet
    assert starts_afresh(days, TODAY, TODAY - timedelta(days=35))
    assert not starts_afresh(days, TODAY, date(2026, 11, 3)), "the quiet week starts before since"
    # With Mondays as the only study day, a quiet week has one miss: its freeze may carry a run.
    assert not starts_afresh(days, TODAY, TODAY - timedelta(days=35), study_weekdays="0")
    # A pause that holds all but one of the quiet week's days leaves one miss.
    held = {date(2026, 11, 2) + timedelta(days=i) for i in range(1, 7)}
    assert not starts_afresh(days, TODAY, TODAY - timedelta(days=35), paused=held)

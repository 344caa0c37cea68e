"""Pace is measured over days the plan has lived through, and its verdict agrees with its dates."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain import pace, plan_dates

START = date(2026, 11, 30)
TOTAL = 185.0
HPW = 5.0
PLAN = plan_dates.span(START, HPW, [(TOTAL, 1)])
ALL_DAYS = set(range(7))


def measure(today, by_day, done=0.0, weekdays=ALL_DAYS):
    return pace.measure(START, today, PLAN.finish, [(done, START, True), (TOTAL - done, START, False)], by_day, weekdays)


def test_one_hour_on_day_one_does_not_throw_the_finish_years_out():
    p = measure(START, {START: 60})
    assert p.status == pace.JUST_STARTED
    assert p.projected_finish == PLAN.finish
    nxt = measure(START + timedelta(days=1), {START: 60})
    # 1 h in one day is 7 h a week: earlier than the plan, not later.
    assert nxt.weekly_hours == 7
    assert nxt.projected_finish is not None and nxt.projected_finish < PLAN.finish
    assert nxt.status == pace.AHEAD


def test_nothing_says_behind_before_a_full_study_day_has_passed():
    assert measure(START, {}).status == pace.JUST_STARTED
    saturday = date(2026, 12, 5)
    weekdays = {0, 1, 2, 3, 4}
    early = pace.measure(saturday, saturday + timedelta(days=2), PLAN.finish, [(TOTAL, saturday, False)], {}, weekdays)
    assert early.status == pace.JUST_STARTED  # Sat and Sun are rest days
    later = pace.measure(saturday, saturday + timedelta(days=3), PLAN.finish, [(TOTAL, saturday, False)], {}, weekdays)
    assert later.status == pace.NO_STUDY


def test_studying_at_the_plan_pace_lands_on_the_plans_date():
    today = START + timedelta(days=14)
    by_day = {START + timedelta(days=i): 60 * HPW / 7 for i in range(14)}
    p = measure(today, by_day)
    assert p.weekly_hours is not None and abs(p.weekly_hours - HPW) < 1e-9
    assert p.status == pace.ON_PACE
    assert abs((p.projected_finish - PLAN.finish).days) <= 1


def test_the_window_is_the_last_28_days_once_the_plan_is_that_old():
    today = START + timedelta(days=60)
    old = {START + timedelta(days=i): 600 for i in range(10)}  # busy at first, idle lately
    p = measure(today, old)
    assert p.window_days == 28 and p.status == pace.NO_STUDY


days = st.integers(min_value=0, max_value=120)
logs = st.dictionaries(days, st.integers(min_value=1, max_value=300), max_size=40)


def _key(p):
    return date.max if p.projected_finish is None else p.projected_finish


@settings(max_examples=300, deadline=None)
@given(logs, days, days, st.integers(1, 300), st.sets(st.integers(0, 6), min_size=1))
def test_more_study_never_moves_the_finish_later(offsets, age, extra_day, extra, weekdays):
    today = START + timedelta(days=age)
    by_day = {START + timedelta(days=o): m for o, m in offsets.items() if o <= age}
    more = dict(by_day)
    d = START + timedelta(days=min(extra_day, age))
    more[d] = more.get(d, 0) + extra
    assert _key(measure(today, more, weekdays=weekdays)) <= _key(measure(today, by_day, weekdays=weekdays))


@settings(max_examples=300, deadline=None)
@given(logs, days, st.floats(0, TOTAL), st.sets(st.integers(0, 6), min_size=1))
def test_ahead_never_comes_with_a_later_date(offsets, age, done, weekdays):
    today = START + timedelta(days=age)
    p = measure(today, {START + timedelta(days=o): m for o, m in offsets.items() if o <= age}, done, weekdays)
    if p.status == pace.AHEAD:
        assert p.projected_finish is not None and p.projected_finish <= p.plan_finish
    if p.status == pace.BEHIND:
        assert p.projected_finish is not None and p.projected_finish > p.plan_finish
    if age == 0:
        assert p.status in (pace.JUST_STARTED, pace.DONE)

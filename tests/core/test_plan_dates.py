"""One function dates a plan; the planner, the stored plan and the pace all agree with it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain import plan_dates, planner
from bot.core.domain.logged import logged
from content.loader import load_default_catalog

CATALOG = load_default_catalog()
ALL_IDS = sorted(CATALOG.roadmaps) + sorted(CATALOG.paths)
START = date(2026, 11, 30)  # a Monday


def test_ml_engineer_at_5_hours_runs_140_weeks():
    draft = planner.build_plan(CATALOG, "ml-engineer", 5, START)
    assert draft.study_hours == 700
    assert draft.weeks == 140
    assert draft.finish == START + timedelta(days=140 * 7 - 1)


def test_a_whole_number_of_weeks_ends_on_the_day_before_the_start_weekday():
    s = plan_dates.span(START, 5, [(185, 1)])
    assert (s.weeks, s.finish) == (37, date(2027, 8, 15))
    assert s.finish.strftime("%a") == "Sun"


class _Row:
    def __init__(self, week, position, hours, state):
        self.week, self.position, self.hours, self.state = week, position, hours, state


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(ALL_IDS), st.floats(min_value=0.5, max_value=80), st.booleans())
def test_a_stored_plan_has_the_dates_it_was_enrolled_with(ref, hours, placed):
    levels = {a: 2 for a in CATALOG.areas} if placed else {}
    draft = planner.build_plan(CATALOG, ref, hours, START, levels)
    rows = [
        _Row(i.week, pos, i.hours, "skipped" if i.skipped else "todo") for pos, i in enumerate(draft.items)
    ]
    stored = planner.stored_span(START, hours, rows)
    assert (stored.weeks, stored.finish) == (draft.weeks, draft.finish)
    assert max(i.week for i in draft.items if not i.skipped) <= draft.weeks


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0.1, 50), st.integers(1, 60)), min_size=1, max_size=12),
    st.floats(0.5, 40),
    st.floats(1.01, 4),
)
def test_a_faster_pace_never_finishes_later(work, pace, factor):
    work.sort(key=lambda w: w[1])
    assert plan_dates.span(START, pace * factor, work).finish <= plan_dates.span(START, pace, work).finish


def test_pace_to_fit_is_the_least_whole_pace_that_fits():
    path = CATALOG.paths["ml-expert"]
    draft = planner.build_plan(CATALOG, path.id, 5, START)
    need = plan_dates.pace_to_fit(path.weeks, draft.work())
    assert need is not None
    assert plan_dates.span(START, need, draft.work()).weeks <= path.weeks
    assert plan_dates.span(START, need - 1, draft.work()).weeks > path.weeks


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [(45, "45 min"), (59, "59 min"), (60, "1 h"), (95, "1 h 35 min"), (599, "9 h 59 min"), (630, "10.5 h")],
)
def test_logged_time_is_shown_as_logged(minutes, shown):
    assert logged(minutes) == shown


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0.1, 50), st.integers(1, 60)), min_size=1, max_size=12),
    st.floats(0.5, 40),
)
def test_work_dated_by_its_weeks_start_lays_out_like_its_weeks(work, pace):
    """The projection's dated work and the plan's weekly work follow one cursor rule."""
    work.sort(key=lambda w: w[1])
    dated = [(h, plan_dates.week_start(START, w)) for h, w in work]
    assert plan_dates.span_from(START, pace, dated) == plan_dates.span(START, pace, work)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 50), st.integers(1, 60)), max_size=15), st.floats(0.5, 40))
def test_the_burn_up_s_planned_line_is_each_prefix_of_the_plan_dated_alone(work, pace):
    assert plan_dates.prefix_finishes(START, pace, work) == [
        plan_dates.span(START, pace, work[:n]).finish for n in range(1, len(work) + 1)
    ]

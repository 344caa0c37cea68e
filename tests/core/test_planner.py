"""The plan generator turns any roadmap or path into a dated weekly plan."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain import plan_dates, planner
from bot.core.errors import UserError
from content.loader import load_default_catalog

START = date(2026, 11, 30)
CATALOG = load_default_catalog()
ALL_IDS = sorted(CATALOG.roadmaps) + sorted(CATALOG.paths)


@pytest.mark.parametrize("ref", ALL_IDS)
def test_every_roadmap_and_path_becomes_a_dated_plan(ref):
    draft = planner.build_plan(CATALOG, ref, 10, START)
    assert draft.items and draft.weeks >= 1
    assert draft.finish >= START
    weeks = [i.week for i in draft.items]
    assert weeks == sorted(weeks), "topics stay in learning order"
    assert len({(i.roadmap_id, i.topic_id) for i in draft.items}) == len(draft.items)


def test_roadmap_plan_matches_its_hours():
    r = CATALOG.roadmaps["prompt-engineering"]
    draft = planner.build_plan(CATALOG, r.id, 5, START)
    assert draft.study_hours == r.hours
    assert draft.weeks == pytest.approx(r.hours / 5, abs=1.5)


def test_path_phases_do_not_start_before_their_week():
    path = CATALOG.paths["developer-fast-track"]
    draft = planner.build_plan(CATALOG, path.id, 80, START)
    first_week = {}
    for phase in path.phases:
        for ref in phase.topics:
            first_week.setdefault(ref, phase.start_week)
    for item in draft.items:
        assert item.week >= first_week[f"{item.roadmap_id}/{item.topic_id}"]


def test_known_topics_are_skipped_and_take_no_time():
    full = planner.build_plan(CATALOG, "ml-engineer", 10, START)
    levels = {a: 3 for a in CATALOG.areas}
    fitted = planner.build_plan(CATALOG, "ml-engineer", 10, START, levels)
    assert any(i.skipped for i in fitted.items)
    assert fitted.study_hours < full.study_hours
    assert fitted.weeks < full.weeks


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ALL_IDS), st.floats(min_value=0.5, max_value=80))
def test_more_hours_never_mean_more_weeks(ref, hours):
    slow = planner.build_plan(CATALOG, ref, hours, START)
    fast = planner.build_plan(CATALOG, ref, hours * 2, START)
    assert fast.weeks <= slow.weeks


def test_unknown_plan_is_a_friendly_error():
    with pytest.raises(UserError, match="no roadmap or path"):
        planner.build_plan(CATALOG, "underwater-basket-weaving", 5, START)


class _Item:
    def __init__(self, roadmap_id, topic_id, week, position, hours, state):
        self.roadmap_id, self.topic_id, self.week = roadmap_id, topic_id, week
        self.position, self.hours, self.state = position, hours, state


def _stored(draft):
    return [
        _Item(i.roadmap_id, i.topic_id, i.week, pos, i.hours, "skipped" if i.skipped else "todo")
        for pos, i in enumerate(draft.items)
    ]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ALL_IDS), st.sampled_from([3, 5, 10, 15, 25]))
def test_dated_work_of_a_stored_plan_lays_out_to_its_own_finish(ref, hpw):
    """What the pace projection lays out from the start at the plan's pace ends on the plan's date."""
    draft = planner.build_plan(CATALOG, ref, hpw, START)
    items = _stored(draft)
    work = planner.dated_work(CATALOG, draft.ref_id, START, items)
    assert len(work) == len([i for i in draft.items if not i.skipped])
    expected = [plan_dates.week_start(START, i.earliest_week) for i in draft.items if not i.skipped]
    assert [e for _h, e, _d in work] == expected
    span = plan_dates.span_from(START, hpw, [(h, e) for h, e, _d in work])
    assert span.finish == planner.stored_span(START, hpw, items).finish == draft.finish


def test_dated_work_keeps_a_stored_week_earlier_than_the_phase_and_a_removed_topics_week():
    draft = planner.build_plan(CATALOG, "no-code-to-code", 25, START)
    items = _stored(draft)
    last = items[-1]
    phase_week = draft.items[-1].earliest_week
    assert phase_week > 1
    last.week = 2  # a change of pace re-laid it from an earlier week, phases aside
    items.append(_Item("gone", "removed-topic", 9, len(items), 3.0, "learning"))
    items[0].state = "done"
    work = planner.dated_work(CATALOG, draft.ref_id, START, items)
    assert work[0][2] is True and not any(d for _h, _e, d in work[1:])
    assert work[-2][1] == planner.week_start(START, 2)
    assert work[-1] == (3.0, planner.week_start(START, 9), False)

"""The plan generator turns any roadmap or path into a dated weekly plan."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import planner
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

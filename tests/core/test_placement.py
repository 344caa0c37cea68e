"""Placement marks only what the member already knows, and never most of a roadmap."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain import placement, planner
from content.loader import load_default_catalog

CATALOG = load_default_catalog()
START = date(2026, 11, 30)


def _skipped(draft):
    return [i for i in draft.items if i.skipped]


def test_only_topics_strictly_below_the_placed_level_are_skipped():
    draft = planner.build_plan(CATALOG, "prompt-engineering", 5, START, {"llm-prompting": 2})
    for item in _skipped(draft):
        topic = CATALOG.roadmaps[item.roadmap_id].topic(item.topic_id)
        assert topic.level < 2
    level_two = [t for t in CATALOG.roadmaps["prompt-engineering"].topics if t.level == 2]
    assert level_two and not any(i.skipped for i in draft.items if i.topic_id in {t.id for t in level_two})


def test_mlops_at_level_3_keeps_at_least_half_its_hours():
    draft = planner.build_plan(CATALOG, "mlops", 5, START, {"mlops": 3, "python": 3})
    assert CATALOG.roadmaps["mlops"].hours == 250
    assert draft.study_hours >= 125
    assert any(i.topic_id == "mlops-capstone" and not i.skipped for i in draft.items)


def test_prompt_engineering_at_level_2_keeps_at_least_half_its_hours():
    draft = planner.build_plan(CATALOG, "prompt-engineering", 5, START, {"llm-prompting": 2})
    assert draft.study_hours >= 65 / 2


def test_studying_known_topics_anyway_skips_nothing():
    levels = {a: 3 for a in CATALOG.areas}
    draft = planner.build_plan(CATALOG, "mlops", 5, START, levels, study_known=True)
    assert not _skipped(draft) and draft.study_hours == 250


IDS = sorted(CATALOG.roadmaps) + sorted(CATALOG.paths)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(IDS), st.dictionaries(st.sampled_from(sorted(CATALOG.areas)), st.integers(0, 3)))
def test_placement_properties(ref, levels):
    full = planner.build_plan(CATALOG, ref, 5, START)
    draft = planner.build_plan(CATALOG, ref, 5, START, levels)
    per_roadmap: dict[str, list[float]] = {}
    for item, base in zip(draft.items, full.items, strict=True):
        topic = CATALOG.roadmaps[item.roadmap_id].topic(item.topic_id)
        kept, total = per_roadmap.setdefault(item.roadmap_id, [0.0, 0.0])
        per_roadmap[item.roadmap_id] = [kept + (0 if item.skipped else item.hours), total + base.hours]
        if item.skipped:
            assert topic.level < 3 and not placement.is_capstone(topic.id, topic.title)
            assert topic.area is not None and levels.get(topic.area, 0) > topic.level
    for kept, total in per_roadmap.values():
        assert kept >= total / 2 - 1e-9


@pytest.mark.parametrize("level", [0, 1])
def test_low_placements_skip_nothing_at_their_level(level):
    draft = planner.build_plan(CATALOG, "ml-engineer", 5, START, {a: level for a in CATALOG.areas})
    for item in _skipped(draft):
        assert CATALOG.roadmaps[item.roadmap_id].topic(item.topic_id).level < level

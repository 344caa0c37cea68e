"""A change of pace re-lays a stored plan with one rule (planner.relayout, used by the /learn
pace menu and /settings hours_per_week): every topic waits for its path phase's week, a topic
not done yet never lands in a week that is over, and the stored weeks re-date to the same
finish as laying the plan's work out with those limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain import plan_dates, planner
from content.loader import load_default_catalog

START = date(2026, 11, 30)
CATALOG = load_default_catalog()
REFS = [*sorted(CATALOG.paths), "ai-engineer"]


@dataclass
class Item:
    roadmap_id: str
    topic_id: str
    hours: float
    week: int
    position: int
    state: str


def _stored(ref: str, old_pace: float, states: list[str]) -> list[Item]:
    draft = planner.build_plan(CATALOG, ref, old_pace, START, study_known=True)
    return [
        Item(t.roadmap_id, t.topic_id, t.hours, t.week, n, states[n % len(states)])
        for n, t in enumerate(draft.items)
    ]


@settings(max_examples=60, deadline=None)
@given(
    ref=st.sampled_from(REFS),
    old_pace=st.sampled_from([3.0, 7.0, 12.0, 25.0]),
    new_pace=st.sampled_from([0.5, 2.0, 5.0, 9.5, 15.0, 40.0]),
    from_week=st.integers(1, 60),
    states=st.lists(st.sampled_from(["todo", "learning", "done", "skipped"]), min_size=1, max_size=9),
)
def test_a_change_of_pace_keeps_phases_and_never_schedules_undone_work_in_the_past(
    ref, old_pace, new_pace, from_week, states
):
    items = _stored(ref, old_pace, states)
    skipped = {(i.roadmap_id, i.topic_id) for i in items if i.state == "skipped"}
    weeks = planner.relayout(CATALOG, ref, new_pace, items, skipped, from_week)
    phase = planner.earliest_weeks(CATALOG, ref)
    for i in items:
        week = weeks[(i.roadmap_id, i.topic_id)]
        if i.state != "skipped":
            assert week >= phase[(i.roadmap_id, i.topic_id)], "no topic before its phase's week"
        if i.state in ("todo", "learning"):
            assert week >= from_week, "nothing left undone lands in a week that is over"
    for i in items:
        i.week = weeks[(i.roadmap_id, i.topic_id)]
    work = [
        (i.hours, max(phase[(i.roadmap_id, i.topic_id)], 1 if i.state == "done" else from_week))
        for i in items
        if i.state != "skipped"
    ]
    expected = plan_dates.span(START, new_pace, work)
    assert planner.stored_span(START, new_pace, items).finish == expected.finish
    stored_weeks = [i.week for i in items if i.state != "skipped"]
    assert stored_weeks == sorted(stored_weeks), "topics keep their learning order"


def test_at_week_one_with_nothing_done_a_change_of_pace_is_a_fresh_plan():
    for ref in REFS:
        items = _stored(ref, 12, ["todo"])
        weeks = planner.relayout(CATALOG, ref, 25, items, set(), 1)
        fresh = planner.build_plan(CATALOG, ref, 25, START, study_known=True)
        assert [weeks[(t.roadmap_id, t.topic_id)] for t in fresh.items] == [t.week for t in fresh.items]


@settings(max_examples=80, deadline=None)
@given(
    ref=st.sampled_from(REFS),
    pace=st.sampled_from([3.0, 12.0, 25.0, 60.0]),
    week_no=st.integers(1, 80),
    states=st.lists(st.sampled_from(["todo", "learning", "done", "skipped"]), min_size=1, max_size=9),
)
def test_the_weeks_topics_never_reach_into_a_phase_that_has_not_opened(ref, pace, week_no, states):
    from types import SimpleNamespace

    from bot.core.services import plan_weeks

    items = _stored(ref, pace, states)
    for n, i in enumerate(items):
        i.id = n
    plan = SimpleNamespace(ref_id=ref, start_date=START)
    call = SimpleNamespace(catalog=CATALOG, cache={})
    week = plan_weeks.week_topics(call, plan, items, week_no)  # type: ignore[arg-type]
    phase = planner.earliest_weeks(CATALOG, ref)
    open_items = [i for i in items if i.state in ("todo", "learning")]
    opened = [i for i in open_items if phase[(i.roadmap_id, i.topic_id)] <= week_no]
    for i in week.opened:
        assert phase[(i.roadmap_id, i.topic_id)] <= week_no and i.state in ("todo", "learning")
    assert {i.id for i in week.opened} == {i.id for i in opened}, "every opened topic can be studied"
    assert week.opened[: len(week.topics)] == week.topics, "/today starts with the topic /checkin credits"
    assert bool(week.topics) == bool(opened)
    if open_items and not opened:
        assert week.waiting is not None and week.opens_on is not None
        assert week.opens_on > plan_dates.week_start(START, week_no)
        assert week.opens_on == plan_dates.week_start(
            START, phase[(week.waiting.roadmap_id, week.waiting.topic_id)]
        )
    else:
        assert week.waiting is None

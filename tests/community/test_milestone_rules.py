"""The milestone thresholds as pure rules: streak lengths, and plan shares on the /progress figure."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from bot.core.community import milestones

STATES = st.sampled_from(("todo", "learning", "done", "skipped"))
ITEMS = st.lists(
    st.builds(SimpleNamespace, hours=st.sampled_from((0.5, 1.0, 2.0, 3.5)), state=STATES), max_size=30
)


@given(st.integers(0, 400))
def test_streak_milestones_are_every_step_reached(days):
    assert milestones.from_streak(days) == [
        k for n, k in ((7, "streak-7"), (30, "streak-30"), (100, "streak-100")) if days >= n
    ]


@given(ITEMS)
def test_plan_milestones_follow_the_progress_bar(items):
    done, total = milestones.plan_hours(items)
    assert done == sum(i.hours for i in items if i.state == "done")
    assert total == sum(i.hours for i in items if i.state != "skipped")
    earned = milestones.from_plan(items)
    assert ("first-topic" in earned) == any(i.state == "done" for i in items)
    for share, kind in ((0.25, "plan-quarter"), (0.5, "plan-half"), (1.0, "plan-all")):
        assert (kind in earned) == (total > 0 and done >= share * total - 1e-9)

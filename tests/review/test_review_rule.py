"""The review rule's own statements, as properties: cards queued on a local day fall due at the
start of the next local day in every zone (DST included), and ratings are FSRS's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from fsrs import Card, Rating, Scheduler
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain import review as rule

ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("posix/", "right/")))
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@settings(max_examples=300, deadline=None)
@given(now=instants, zone=st.sampled_from(ZONES))
def test_queued_cards_fall_due_at_the_start_of_the_next_local_day(now, zone):
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    due = rule.new_card(today, tz).due
    local = due.astimezone(tz)
    assert due > now, "never due on the day the topic was finished"
    assert local.date() == today + timedelta(days=1)
    # The first instant of that local day: a minute earlier is still `today` there.
    assert (due - timedelta(minutes=1)).astimezone(tz).date() == today
    assert due.tzinfo is not None and due.utcoffset() == timedelta(0)


@settings(max_examples=100, deadline=None)
@given(
    ratings=st.lists(st.sampled_from(list(rule.RATINGS)), min_size=1, max_size=8),
    retention=st.floats(rule.RETENTION_MIN, rule.RETENTION_MAX),
    gaps=st.lists(st.integers(0, 72), min_size=8, max_size=8),
)
def test_a_rating_history_schedules_exactly_as_fsrs_does(ratings, retention, gaps):
    start = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    ours = rule.CardState(rule.NEW_STATE, 0, None, None, start, None)
    theirs = Card(card_id=1, due=start)
    direct = Scheduler(
        desired_retention=retention, learning_steps=(), relearning_steps=(), enable_fuzzing=False
    )
    now = start
    for name, gap in zip(ratings, gaps, strict=False):
        ours = rule.rate(ours, rule.RATINGS[name], now, retention)
        theirs, _ = direct.review_card(theirs, Rating[name.title()], now)
        assert ours.due == theirs.due and ours.stability == theirs.stability
        assert ours.due >= now + timedelta(days=1), "whole days only: no minute-long learning steps"
        now = ours.due + timedelta(hours=gap)

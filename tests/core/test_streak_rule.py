"""The streak rule as properties: replayed in order, so what was shown stays true."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain.streaks import compute

MON = date(2026, 11, 23)  # a Monday
ZONES = ["America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Kiritimati", "Europe/London"]


def d(n: int) -> date:
    return MON + timedelta(days=n)


def test_mon_tue_thu_fri_then_next_tuesday_best_is_4():
    logs = {d(0), d(1), d(3), d(4)}
    assert compute(logs, d(4)).current == 4
    nxt = compute(logs, d(8))
    assert (nxt.current, nxt.best) == (0, 4)


def test_a_streak_shrinks_only_after_a_missed_day():
    # Mon, Tue logged; Wed skipped; Thu logged; Fri skipped; Sat logged.
    logs = {d(0), d(1), d(3), d(5)}
    shown = [compute({x for x in logs if x <= d(i)}, d(i)).current for i in range(6)]
    assert shown == [1, 2, 2, 3, 3, 1]  # Wed is covered by the week's freeze; Fri is not
    assert compute(logs, d(3)).frozen_days == (d(2),)


def test_a_five_day_pause_holds_a_ten_day_streak():
    logs = {d(i) for i in range(10)}
    paused = {d(i) for i in range(10, 15)}
    assert compute(logs, d(15), paused=paused).current == 10
    assert compute(logs | {d(15)}, d(15), paused=paused).current == 11


def test_safe_if_back_tomorrow_is_false_once_the_weeks_freeze_is_spent():
    logs = {d(0), d(1), d(3)}  # Wed's miss used this week's freeze
    st_thu = compute(logs, d(4))  # Fri, not logged yet
    assert not st_thu.safe_if_back_tomorrow
    assert compute(logs | {d(5)}, d(5)).current == 1


history = st.lists(st.booleans(), min_size=1, max_size=45)
weekday_sets = st.sets(st.integers(0, 6), min_size=1).map(lambda s: "".join(str(x) for x in sorted(s)))


def _logs(flags, offset=0):
    return {d(i + offset) for i, f in enumerate(flags) if f}


@settings(max_examples=300, deadline=None)
@given(history, weekday_sets, st.sets(st.integers(0, 44), max_size=10))
def test_what_was_shown_stays_true(flags, weekdays, paused_offsets):
    logs = _logs(flags)
    paused = {d(i) for i in paused_offsets}
    days = range(len(flags))
    states = [compute({x for x in logs if x <= d(t)}, d(t), weekdays, paused) for t in days]
    for t in days:
        s = states[t]
        assert s.best >= s.current
        # the best streak later is never lower than any streak shown earlier
        for later in states[t:]:
            assert later.best >= s.current
        # a freeze reported stays on the day it was reported, on a missed study day
        for f in s.frozen_days:
            assert f not in logs and f < d(t)
        weeks = [f.isocalendar()[:2] for f in s.frozen_days]
        assert len(weeks) == len(set(weeks))
        if t + 1 < len(flags):
            nxt = states[t + 1]
            unbroken = nxt.current >= s.current + (d(t + 1) in logs)
            if s.current and unbroken:
                assert set(s.frozen_days) <= set(nxt.frozen_days)
            # "safe if you're back tomorrow" is true: back tomorrow means one more day
            if s.safe_if_back_tomorrow and d(t + 1) in logs and s.current:
                assert nxt.current == s.current + 1
            # a streak only shrinks after a missed study day
            if nxt.current < s.current:
                missed = d(t)
                assert missed not in logs and missed not in paused
                assert int(missed.weekday()) in {int(c) for c in weekdays}


@settings(max_examples=200, deadline=None)
@given(history, st.integers(1, 10))
def test_a_pause_neither_breaks_nor_grows(flags, length):
    logs = _logs(flags)
    end = len(flags) - 1
    before = compute(logs, d(end))
    if d(end) not in logs:
        return
    paused = {d(end + i) for i in range(1, length + 1)}
    assert compute(logs, d(end + length), paused=paused).current == before.current


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.integers(1, 40),
    st.lists(st.integers(0, 24 * 60 - 1), min_size=40, max_size=40),
    st.integers(-3, 3),
)
def test_one_log_each_local_day_counts_every_day_across_dst(zone, n, minute_of_day, extra_hours):
    tz = ZoneInfo(zone)
    first = date(2026, 3, 1)  # spans the northern and Lord Howe DST changes
    stamps = []
    for i in range(n):
        local_day = first + timedelta(days=i)
        local = datetime(local_day.year, local_day.month, local_day.day, tzinfo=tz) + timedelta(
            minutes=minute_of_day[i]
        )
        stamps.append(local.astimezone(UTC))
    # the bot stores each log on the member's local day of the moment it was made
    local_days = {s.astimezone(tz).date() for s in stamps}
    today = first + timedelta(days=n - 1)
    assert compute(local_days, today).current == n
    # logging again on a day already logged (a few hours later, same local day) adds nothing
    again = {(s + timedelta(hours=extra_hours)).astimezone(tz).date() for s in stamps[-1:]}
    if again <= local_days:
        assert compute(local_days | again, today).current == n


@given(history, weekday_sets)
def test_a_skip_today_decides_today_as_tomorrow_would(flags, weekdays):
    """Marking today skipped shows at once the streak the member will see tomorrow, so no
    surface keeps showing a streak the skip has already ended (or a freeze it already spent)."""
    days = _logs(flags)
    today = d(len(flags))
    days = {x for x in days if x < today}
    now = compute(days, today, weekdays, skipped_today=True)
    tomorrow = compute(days, today + timedelta(days=1), weekdays)
    assert now.current == tomorrow.current
    assert now.best == tomorrow.best
    assert now.frozen_days == tomorrow.frozen_days

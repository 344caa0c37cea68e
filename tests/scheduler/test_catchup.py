"""Outage catch-up: only slots that can no longer be delivered sensibly are dropped.

The rule lives in bot/core/domain/schedule.py (`catch_up`); the claim pass applies it inside the
database. The properties pin the schedule maths across zones, DST and quiet hours; the
scenarios drive the real claim pass and dispatcher.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain import schedule
from bot.core.replies import render_text
from storage.models import Member
from tests.scheduler.conftest import add_member, outbox_rows, schedule_row, step

ZONES = (
    "UTC",
    "Asia/Kolkata",
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Asia/Kathmandu",
    "America/Sao_Paulo",
)
# Spans the 2026 DST changes in both hemispheres.
INSTANTS = st.datetimes(min_value=datetime(2026, 3, 1), max_value=datetime(2026, 11, 30)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@st.composite
def members(draw: st.DrawFn) -> Member:
    hhmm = st.tuples(st.integers(0, 23), st.sampled_from((0, 15, 30, 45))).map(
        lambda t: f"{t[0]:02d}:{t[1]:02d}"
    )
    quiet = draw(st.one_of(st.none(), st.tuples(hhmm, hhmm).filter(lambda q: q[0] != q[1])))
    days = draw(st.sets(st.integers(0, 6), min_size=1)) if draw(st.booleans()) else set(range(7))
    return Member(
        id=1,
        timezone=draw(st.sampled_from(ZONES)),
        checkin_time=draw(hhmm),
        checkin_days="".join(str(d) for d in sorted(days)),
        nudge_weekday=draw(st.integers(0, 6)),
        quiet_start=quiet[0] if quiet else None,
        quiet_end=quiet[1] if quiet else None,
        paused_until=None,
    )


STREAMS = st.sampled_from(("checkin", "nudge", "paper"))


@settings(max_examples=300, deadline=None)
@given(members(), STREAMS, INSTANTS)
def test_previous_and_next_slot_bracket_every_instant(m, stream, now):
    """No slot lies strictly between the latest one at or before `now` and the next one after it."""
    nxt = schedule.next_due(m, stream, now, None)
    prev = schedule.previous_due(m, stream, now)
    assert nxt is not None and nxt > now
    assert schedule.previous_due(m, stream, nxt) == nxt
    if prev is not None:
        assert prev <= now
        assert schedule.next_due(m, stream, prev, None) == nxt
        assert schedule.slot_key(stream, 1, prev, m) != schedule.slot_key(stream, 1, nxt, m)


@settings(max_examples=300, deadline=None)
@given(members(), STREAMS, INSTANTS, st.integers(1, 60 * 24 * 9))
def test_catch_up_sends_the_latest_slot_only_while_it_can_be_delivered(m, stream, start, minutes):
    """An outage from `start` (just before a due slot) until `now`: the latest slot at or before
    `now` is delivered iff it is still fresh; a stale first slot never comes back."""
    due = schedule.next_due(m, stream, start, None)
    now = due + timedelta(minutes=minutes)
    later = schedule.catch_up(stream, due, m, now)
    latest = schedule.previous_due(m, stream, now)
    assert latest is not None and latest >= due
    fresh = now < schedule.slot_expiry(stream, latest, m)
    if now < schedule.slot_expiry(stream, due, m):
        assert later is None, "the slot itself is still sent"
    elif latest > due and fresh:
        assert later == latest
        assert schedule.slot_key(stream, 1, later, m) != schedule.slot_key(stream, 1, due, m)
    else:
        assert later is None


@settings(max_examples=300, deadline=None)
@given(members(), INSTANTS)
def test_a_checkin_is_about_the_day_it_was_set_for(m, after):
    """Every check-in falls on a chosen day, and quiet hours move it at most to the next morning."""
    due = schedule.next_daily(m, after)
    own = schedule.slot_day("checkin", due, m)
    assert own.weekday() in {int(c) for c in m.checkin_days}
    assert schedule.local_day(due, m) - own in (timedelta(0), timedelta(days=1))
    assert not schedule.quiet_now(m, due)
    nominal = datetime.fromisoformat(schedule.slot_payload("checkin", due, m)["due"])
    assert schedule.local_day(nominal, m) == own


def test_a_23_00_checkin_in_quiet_hours_is_for_its_own_day():
    m = Member(
        id=1, timezone="Europe/Berlin", checkin_time="23:00", checkin_days="0123456",
        nudge_weekday=6, quiet_start="22:00", quiet_end="07:00", paused_until=None,
    )  # fmt: skip
    due = schedule.next_daily(m, datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert due == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)  # 07:00 CET on Tue 3 Mar
    assert schedule.slot_key("checkin", 1, due, m) == "checkin:1:2026-03-02"


def kolkata(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 3, day, hour, minute).replace(tzinfo=UTC) - timedelta(hours=5, minutes=30)


async def test_an_outage_sends_todays_checkin_and_drops_only_the_missed_day(sapp, messenger):
    sapp.clock.set(kolkata(2, 12, 0))
    member = await add_member(sapp, "in", timezone="Asia/Kolkata", checkin_time="19:00")
    await step(sapp, messenger, kolkata(2, 19, 1))  # day 0
    await step(sapp, messenger, kolkata(4, 19, 1))  # day 2, after a day and a half down
    checkins = {r.key: (r.status, r.last_error) for r in await outbox_rows(sapp) if r.stream == "checkin"}
    assert checkins == {
        f"checkin:{member}:2026-03-02": ("sent", None),
        f"checkin:{member}:2026-03-03": ("dropped", "stale"),
        f"checkin:{member}:2026-03-04": ("sent", None),
    }
    [today] = [s for s in messenger.sent if s.key == f"checkin:{member}:2026-03-04"]
    assert "Wed 4 Mar" in render_text(today.reply)
    assert (await schedule_row(sapp, member, "checkin")).next_due_at == kolkata(5, 19, 0)


async def test_after_local_midnight_nothing_old_is_sent(sapp, messenger):
    sapp.clock.set(kolkata(2, 12, 0))
    member = await add_member(sapp, "in", timezone="Asia/Kolkata", checkin_time="19:00")
    await step(sapp, messenger, kolkata(4, 18, 0))  # down through day 0 and 1; today's not due yet
    assert [s.key for s in messenger.sent if s.key.startswith("checkin")] == []
    await step(sapp, messenger, kolkata(4, 19, 0))
    assert [s.key for s in messenger.sent if s.key.startswith("checkin")] == [f"checkin:{member}:2026-03-04"]


async def test_catch_up_respects_study_days(sapp, messenger):
    # Mon/Wed only; down from Mon noon until Tue evening: Tuesday has no check-in to catch up.
    sapp.clock.set(kolkata(2, 12, 0))
    await add_member(sapp, "in", timezone="Asia/Kolkata", checkin_time="19:00", checkin_days="mon,wed")
    await step(sapp, messenger, kolkata(3, 20, 0))
    assert [s.key for s in messenger.sent if s.key.startswith("checkin")] == []


async def test_a_moved_checkin_still_caught_up_the_morning_after(sapp, messenger):
    # 23:00 with quiet hours 22:00-07:00: the check-in for Mon goes out Tue 07:00 Berlin.
    sapp.clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    member = await add_member(
        sapp, "de", timezone="Europe/Berlin", checkin_time="23:00", quiet_hours="22:00-07:00"
    )
    await step(sapp, messenger, datetime(2026, 3, 4, 9, 0, tzinfo=UTC))  # Wed 10:00 Berlin
    checkins = {r.key: r.status for r in await outbox_rows(sapp) if r.stream == "checkin"}
    assert checkins == {f"checkin:{member}:2026-03-02": "dropped", f"checkin:{member}:2026-03-03": "sent"}
    assert date(2026, 3, 3).strftime("%a") in render_text(messenger.sent[-1].reply)

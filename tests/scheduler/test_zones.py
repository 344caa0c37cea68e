"""Next-due instants across DST gaps and folds, odd offsets and UTC+14."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.domain import schedule
from storage.models import Member
from tests.scheduler.conftest import add_member, outbox_rows, step


def member(tz: str, at: str = "19:00", **kw) -> Member:
    return Member(
        id=7,
        timezone=tz,
        checkin_time=at,
        checkin_days=kw.pop("days", "0123456"),
        nudge_weekday=kw.pop("nudge", 6),
        quiet_start=kw.pop("quiet_start", None),
        quiet_end=kw.pop("quiet_end", None),
        paused_until=kw.pop("paused_until", None),
    )


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def test_dst_gap_moves_to_the_next_valid_instant():
    # 2026-03-08: New York skips 02:00-03:00. 02:30 does not exist; 03:00 EDT is 07:00 UTC.
    m = member("America/New_York", "02:30")
    due = schedule.next_daily(m, utc(2026, 3, 8, 5, 0))
    assert due == utc(2026, 3, 8, 7, 0)
    assert schedule.next_daily(m, due) == utc(2026, 3, 9, 6, 30)  # 02:30 EDT the day after


def test_lord_howe_half_hour_dst_gap():
    # 2026-10-04: Lord Howe moves 02:00 -> 02:30 (+10:30 -> +11). 02:15 is skipped to 02:30 = 15:30 UTC.
    m = member("Australia/Lord_Howe", "02:15")
    assert schedule.next_daily(m, utc(2026, 10, 3, 12, 0)) == utc(2026, 10, 3, 15, 30)


def test_kathmandu_quarter_hour_offset():
    m = member("Asia/Kathmandu", "07:00")  # +05:45
    assert schedule.next_daily(m, utc(2026, 3, 2, 0, 0)) == utc(2026, 3, 2, 1, 15)


def test_kiritimati_utc_plus_14_uses_the_local_date():
    m = member("Pacific/Kiritimati", "08:00")  # +14: 08:00 on the 3rd is 18:00 UTC on the 2nd
    due = schedule.next_daily(m, utc(2026, 3, 2, 12, 0))
    assert due == utc(2026, 3, 2, 18, 0)
    assert schedule.slot_key("checkin", 7, due, m) == "checkin:7:2026-03-03"
    assert schedule.slot_expiry("checkin", due, m) == utc(2026, 3, 3, 10, 0)  # local midnight


def test_quiet_hours_move_the_checkin_to_their_end():
    m = member("Europe/Berlin", "23:00", quiet_start="22:00", quiet_end="07:00")
    assert schedule.next_daily(m, utc(2026, 3, 2, 12, 0)) == utc(2026, 3, 3, 6, 0)  # 07:00 CET


def test_only_chosen_days_and_weekly_day():
    m = member("UTC", "09:00", days="024", nudge=6)  # Mon, Wed, Fri; nudge on Sunday
    assert schedule.next_daily(m, utc(2026, 3, 3, 0, 0)) == utc(2026, 3, 4, 9, 0)  # Tue -> Wed
    assert schedule.next_weekly(m, utc(2026, 3, 3, 0, 0), 6) == utc(2026, 3, 8, 9, 0)


async def test_fall_back_fold_sends_once(sapp, messenger):
    # 2026-11-01: New York repeats 01:00-02:00. A 01:30 check-in goes out at the first 01:30 only.
    sapp.clock.set(datetime(2026, 11, 1, 3, 0, tzinfo=UTC))
    await add_member(sapp, "ny", timezone="America/New_York", checkin_time="01:30")
    t = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 00:00 EDT
    while t <= datetime(2026, 11, 1, 8, 0, tzinfo=UTC):  # through 03:00 EST
        await step(sapp, messenger, t)
        t += timedelta(minutes=10)
    assert [s.key for s in messenger.sent if s.key.startswith("checkin")] == ["checkin:1:2026-11-01"]
    rows = [r for r in await outbox_rows(sapp) if r.stream == "checkin"]
    assert [r.sent_at for r in rows] == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]  # 01:30 EDT


async def test_spring_forward_gap_is_sent_at_three(sapp, messenger):
    sapp.clock.set(datetime(2026, 3, 8, 5, 0, tzinfo=UTC))
    await add_member(sapp, "ny", timezone="America/New_York", checkin_time="02:30")
    await step(sapp, messenger, datetime(2026, 3, 8, 6, 59, tzinfo=UTC))
    assert messenger.sent == []
    await step(sapp, messenger, datetime(2026, 3, 8, 7, 0, tzinfo=UTC))
    assert [s.key for s in messenger.sent if s.key.startswith("checkin")] == ["checkin:1:2026-03-08"]


async def test_odd_offsets_deliver_on_their_own_local_day(sapp, messenger):
    await add_member(sapp, "ktm", timezone="Asia/Kathmandu", checkin_time="07:00")
    await add_member(sapp, "lhi", timezone="Australia/Lord_Howe", checkin_time="07:00")
    await add_member(sapp, "kir", timezone="Pacific/Kiritimati", checkin_time="07:00")
    t = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    while t <= datetime(2026, 3, 3, 2, 0, tzinfo=UTC):
        await step(sapp, messenger, t)
        t += timedelta(minutes=15)
    rows = {r.key: r for r in await outbox_rows(sapp) if r.stream == "checkin"}
    assert rows["checkin:3:2026-03-03"].sent_at == datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # +14
    assert rows["checkin:2:2026-03-03"].sent_at == datetime(2026, 3, 2, 20, 0, tzinfo=UTC)  # +11 (DST)
    assert rows["checkin:1:2026-03-03"].sent_at == datetime(2026, 3, 3, 1, 15, tzinfo=UTC)  # +5:45

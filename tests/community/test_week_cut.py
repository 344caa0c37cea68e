"""How a week is cut: a check-in counts in exactly one week, that of its member's local date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.community import study_totals
from bot.core.community.leaderboard import period_key
from bot.core.services.studylog import week_bounds
from storage.models import CheckIn, StudyTotal
from tests.community.test_leaderboard import driver, log

ZONES = (
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Asia/Kolkata",
    "America/St_Johns",
    "Europe/London",
    "UTC",
)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(ZONES),
)
def test_a_check_in_counts_in_exactly_one_week_of_its_members_calendar(instant, zone):
    local = instant.astimezone(ZoneInfo(zone)).date()
    weeks = {local - timedelta(days=local.weekday()) + timedelta(days=7 * k) for k in range(-3, 4)}
    holding = [m for m in weeks if week_bounds(m)[0] <= local <= week_bounds(m)[1]]
    assert len(holding) == 1
    # Every day of that week, read as "this week" by a caller, names the same period as the check-in.
    start, _ = week_bounds(holding[0])
    keys = {period_key("week", start + timedelta(days=i)) for i in range(7)}
    assert keys == {study_totals.periods_of(local)[2]}
    assert study_totals.periods_of(local)[1] == period_key("month", local)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)))
def test_iso_years_cut_weeks_not_calendar_years(d):
    key = study_totals.week_key(d)
    monday = week_bounds(d)[0]
    assert key == study_totals.week_key(monday) == study_totals.week_key(monday + timedelta(days=6))


async def test_totals_over_weeks_add_up_to_all_time_across_zones(app, clock):
    clock.set(datetime(2026, 12, 27, 23, 0, tzinfo=UTC))  # a Sunday night that is Monday east of UTC
    for i, zone in enumerate(ZONES):
        d = driver(app, f"u{i}", tz=zone)
        for step in range(3):
            await log(d, 10 + i + step)
            clock.advance(timedelta(hours=17))
        clock.set(datetime(2026, 12, 27, 23, 0, tzinfo=UTC))
    async with app.sessions() as s:
        logged = (await s.execute(select(func.sum(CheckIn.minutes)))).scalar_one()
        rows = (await s.execute(select(StudyTotal.period, StudyTotal.minutes))).all()
    weekly = sum(m for p, m in rows if "-W" in p)
    monthly = sum(m for p, m in rows if len(p) == 7 and "-W" not in p)
    everything = sum(m for p, m in rows if p == "all")
    assert weekly == monthly == everything == logged

"""One date format everywhere; /admin shows readable defaults and takes a channel as typed."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.adapters.memory import MemberDriver
from bot.core.call import Context
from bot.core.display import day, day_time
from bot.core.identity import MemberKey
from storage.models import Community

ROOT = Path(__file__).resolve().parents[2]
ADMIN = Context(is_admin=True)
KEY = MemberKey("test", "guild-1", "hana")
DAY = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [1-9][0-9]? (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}$"
)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_a_date_always_reads_one_way(d):
    shown = day(d)
    assert DAY.match(shown), shown
    assert datetime.strptime(shown, "%a %d %b %Y").date() == d


def test_day_time_is_the_date_then_the_clock():
    assert day_time(datetime(2027, 3, 2, 7, 5)) == "Tue 2 Mar 2027 07:05"


def test_no_service_formats_dates_on_its_own():
    offenders = []
    for path in (ROOT / "bot").rglob("*.py"):
        if path == ROOT / "bot" / "core" / "display.py":
            continue
        if re.search(r"%a|%b|strftime", path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


async def test_settings_shows_the_next_reminder_in_the_shared_format(app):
    member = MemberDriver(app.engine, KEY)
    await member.say("/settings checkin_time 07:30")
    found = re.search(r"next (\w{3} \d{1,2} \w{3} \d{4}) 07:30", member.text)
    assert found, member.text
    assert DAY.match(found.group(1))


async def test_admin_defaults_show_labels_not_keys(app):
    admin = MemberDriver(app.engine, KEY, ADMIN)
    await admin.say("/admin defaults timezone:Asia/Kolkata checkin_time:08:00 hours_per_week:6")
    assert "Time zone: Asia/Kolkata" in admin.text
    assert "Check-in time: 08:00" in admin.text
    assert "Study hours per week: 6 h" in admin.text
    await admin.say("/admin defaults")
    assert "checkin_time" not in admin.text and "hours_per_week" not in admin.text
    assert "Check-in time: 08:00" in admin.text


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("#reading-group", "reading-group", "#reading-group"),
        ("<#C0READING|reading-group>", "C0READING", "<#C0READING>"),
        ("C0READING1", "C0READING1", "<#C0READING1>"),
        ("123456789012345678", "123456789012345678", "<#123456789012345678>"),
    ],
)
async def test_paper_channel_as_the_hint_shows(app, typed, stored, shown):
    admin = MemberDriver(app.engine, KEY, ADMIN)
    await admin.say(f"/admin paper-channel {typed}")
    assert not admin.last.error, admin.text
    assert f"in {shown} " in admin.text
    async with app.sessions() as s:
        community = (await s.execute(select(Community))).scalar_one()
    assert community.paper_channel_id == stored


async def test_a_bad_channel_changes_nothing(app):
    admin = MemberDriver(app.engine, KEY, ADMIN)
    await admin.say("/admin paper-channel #bad!name")
    assert admin.last.error
    assert "doesn't look like a channel" in admin.text
    async with app.sessions() as s:
        community = (await s.execute(select(Community))).scalar_one_or_none()
    assert community is None or community.paper_channel_id is None


async def test_admin_defaults_say_how_to_set_them_and_take_them_as_shown(app):
    admin = MemberDriver(app.engine, KEY, ADMIN)
    await admin.say("/admin defaults")
    assert "None set yet." in admin.text and "/admin defaults Europe/Berlin 08:00 6" in admin.text
    await admin.say("/admin defaults Europe/Berlin 08:00 6")
    assert not admin.last.error, admin.text
    assert "Check-in time: 08:00" in admin.text and "Study hours per week: 6 h" in admin.text

"""Slack slash-command text: notes kept as typed, options by name, channels as typed."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import CheckIn, Community, Member
from tests.slack.conftest import SlackHarness
from tests.slack.test_commands import answered


async def test_note_with_quotes_and_semicolons_is_stored_as_typed(slack: SlackHarness):
    await slack.command("checkin", "1h30 I can't focus; it's \"hard\"", user="U7")
    assert "Logged 1 h 30 min" in str(await answered(slack.fake, "checkin"))
    async with slack.app.sessions() as s:
        (row,) = (await s.execute(select(CheckIn))).scalars().all()
    assert (row.minutes, row.note) == (90, "I can't focus; it's \"hard\"")


async def test_settings_timezone_by_name(slack: SlackHarness):
    await slack.command("settings", "timezone Asia/Kolkata", user="U8")
    reply = str(await answered(slack.fake, "settings"))
    assert "Asia/Kolkata (UTC+05:30 now)" in reply
    async with slack.app.sessions() as s:
        member = (await s.execute(select(Member).where(Member.user_id == "U8"))).scalar_one()
    assert member.timezone == "Asia/Kolkata" and member.checkin_time != "Asia/Kolkata"


async def test_paper_channel_typed_as_the_hint_shows(slack: SlackHarness):
    slack.fake.set_user("U0OWNER", is_admin=True)
    await slack.command("admin", "paper-channel #reading-group", user="U0OWNER")
    assert "#reading-group" in str(await answered(slack.fake, "admin"))
    async with slack.app.sessions() as s:
        community = (await s.execute(select(Community))).scalar_one()
    assert community.paper_channel_id == "reading-group"

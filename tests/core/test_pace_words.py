"""The pace line when nothing is measured yet reads as a true sentence on every day."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.memory import MemberDriver
from bot.core.identity import MemberKey

KEY = MemberKey("test", "guild-1", "noor")


def _pace(reply) -> str:
    return {f.name: f.value for c in reply.cards for f in c.fields}["Pace"]


async def test_a_quiet_first_day_then_a_log_today(app, clock):
    start = clock.now()
    member = MemberDriver(app.engine, KEY)
    await member.act("learn:enrol:prompt-engineering")
    clock.set(start + timedelta(days=1))
    await member.command("progress")
    assert _pace(member.last) == "nothing logged since your plan started"
    await member.say("/checkin 30")
    await member.command("progress")
    pace = _pace(member.last)
    assert "before today" in pace and "1 days" not in pace


async def test_a_month_without_study_names_the_28_days(app, clock):
    start = clock.now()
    member = MemberDriver(app.engine, KEY)
    await member.act("learn:enrol:prompt-engineering")
    clock.set(start + timedelta(days=40))
    await member.command("progress")
    assert _pace(member.last) == "nothing logged in the 28 days before today"

"""A member's first week, read day by day: every date agrees and no verdict is premature."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.memory import MemberDriver
from bot.adapters.slack.home import build_home
from bot.core.identity import MemberKey
from tests.core.numbers_support import fields, weekly_nudge

ALICE = MemberKey("test", "guild-1", "alice")


async def test_a_first_week_reads_true_every_day(app, clock):
    start = clock.now().replace(hour=18, minute=0)
    clock.set(start)
    m = MemberDriver(app.engine, ALICE)
    await m.act("learn:enrol:ai-agents")
    finish = m.text.split("finishing around **")[1].split("**")[0]
    await m.command("progress")
    day0 = fields(m.last)
    assert day0["Plan finish"] == finish
    assert day0["Pace"].startswith("just started")
    assert day0["Streak"] == "starts with your first logged day"
    await m.say("/checkin 45 first session")
    await m.command("progress")
    assert fields(m.last)["Hours logged"] == "45 min of 200 h"
    assert fields(m.last)["Pace"].startswith("just started"), "one day in, no verdict yet"
    minutes = [60, 0, 30, 50, 0, 40]
    for i, mins in enumerate(minutes, start=1):
        clock.set(start + timedelta(days=i))
        if mins:
            await m.say(f"/checkin {mins} day {i}")
        await m.command("progress")
        f = fields(m.last)
        assert f["Plan finish"] == finish
        if "Projected finish" in f and f["Pace"].startswith("ahead"):
            assert "years" not in f["Projected finish"]
        assert "0 days" not in f["Streak"]
    logged = 45 + sum(minutes)
    assert fields(m.last)["Hours logged"] == f"{logged // 60} h {logged % 60} min of 200 h"
    nudge = await weekly_nudge(app, clock, ALICE)
    nf = fields(nudge)
    assert nf["Plan finish"] == finish
    assert nf["Pace"].startswith(("ahead", "on pace", "behind"))
    home = str(await build_home(app.engine, ALICE))
    assert finish in home

"""A member on a learning path whose phases wait for their weeks, studying at the planned pace."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.memory import MemberDriver
from bot.adapters.slack.home import build_home
from bot.core.identity import MemberKey
from bot.core.replies import choices_of
from tests.core.numbers_support import fields, weekly_nudge

ALICE = MemberKey("test", "guild-1", "alice")


async def test_a_path_studied_at_its_planned_pace_is_on_pace_to_its_own_date_everywhere(app, clock):
    start = clock.now().replace(hour=18, minute=0)
    clock.set(start)
    m = MemberDriver(app.engine, ALICE)
    await m.act("learn:enrol:no-code-to-code")
    fast = next(a for label, a in choices_of(m.last) if label == "25 h a week")
    await m.act(fast)
    # 281 h at 25 h a week would take 12 weeks end to end; the phases make the plan 20
    assert "At **25 h a week** this plan runs **20 weeks**" in m.text
    finish = m.text.split("finishing around **")[1].split("**")[0]
    for i in range(28):  # four weeks at 25 h a week: 3 h 34 min every day
        clock.set(start + timedelta(days=i))
        await m.say(f"/checkin {25 * 60 // 7} day {i + 1}")
    clock.set(start + timedelta(days=28))
    await m.command("progress")
    f = fields(m.last)
    assert f["Plan finish"] == finish
    assert f["Pace"].startswith("on pace"), f["Pace"]
    assert f["Projected finish"] == finish
    nf = fields(await weekly_nudge(app, clock, ALICE))
    assert (nf["Plan finish"], nf["Projected finish"]) == (finish, finish)
    assert nf["Pace"] == f["Pace"]
    home = str(await build_home(app.engine, ALICE))
    assert finish in home and "ahead" not in home

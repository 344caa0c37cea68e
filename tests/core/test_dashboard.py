"""Engine.dashboard: the Home tab's three replies in one read, the same as asking for each."""

from __future__ import annotations

from bot.adapters.memory import MemberDriver
from bot.core.call import Context
from bot.core.identity import MemberKey

ALICE = MemberKey("test", "guild-1", "alice")
NEW = MemberKey("test", "guild-1", "newcomer")


async def test_the_dashboard_is_the_week_today_and_progress_replies(app):
    m = MemberDriver(app.engine, ALICE)
    await m.act("learn:enrol:ai-agents")
    await m.say("/checkin 45 first session")
    board = await app.engine.dashboard(ALICE)
    assert board is not None
    assert board.week == await app.engine.action(ALICE, "plan:week")
    assert board.today == await app.engine.command(ALICE, "today")
    assert board.progress == await app.engine.command(ALICE, "progress", ctx=Context(text_only=True))
    assert "This week's focus" in board.week.cards[0].title


async def test_someone_new_gets_no_dashboard_and_is_not_created(app):
    assert await app.engine.dashboard(NEW) is None
    assert not await app.engine.knows(NEW)

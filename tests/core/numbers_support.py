"""What a member reads, gathered for the numbers journeys: a reply's fields, and the check-in
DM and weekly nudge built as the scheduler builds them, at the frozen clock's time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy import select

from bot.core.call import Call
from bot.core.clock import FrozenClock
from bot.core.features.reminders import handlers as reminders
from bot.core.identity import MemberKey
from bot.core.replies import Reply
from storage.models import Member


def fields(reply: Reply) -> dict[str, str]:
    return {f.name: f.value for c in reply.cards for f in c.fields}


async def _built(app: Any, clock: Any, key: MemberKey, build: Callable[..., Awaitable[Reply]]) -> Reply:
    async with app.engine.sessions() as s:
        member = (await s.execute(select(Member).where(Member.user_id == key.user_id))).scalar_one()
        call = Call(s, app.engine.catalog, FrozenClock(clock.now()), key, _member=member)
        today: date = clock.now().date()
        return await build(call, member, today)


async def weekly_nudge(app: Any, clock: Any, key: MemberKey) -> Reply:
    return await _built(app, clock, key, reminders.nudge_reply)


async def checkin_dm(app: Any, clock: Any, key: MemberKey) -> Reply:
    return await _built(app, clock, key, reminders.checkin_reply)

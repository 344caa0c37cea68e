"""Shared steps for the community tests: members, check-in runs, opt-ins and one drain."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.adapters.memory.messenger import MemoryMessenger
from bot.core.call import Context
from bot.core.identity import MemberKey
from bot.runtime import App
from bot.scheduler.dispatcher import DrainStats
from bot.scheduler.ratelimit import RateLimiter
from bot.scheduler.service import make_dispatcher
from storage import repo
from storage.models import Member, OutboxMessage

ADMIN = Context(is_admin=True, display_name="Admin")


def ctx(name: str) -> Context:
    return Context(display_name=name)


async def member_id(app: App, key: MemberKey) -> int:
    async with app.sessions() as session:
        member = await repo.find_member(session, key)
        assert member is not None
        return member.id


async def opt_in_public(app: App, key: MemberKey) -> None:
    """The community opt-in (members.community_opt_in), as /settings sets it."""
    mid = await member_id(app, key)
    async with app.sessions() as session, session.begin():
        await session.execute(update(Member).where(Member.id == mid).values(community_opt_in=True))


async def check_in_days(app: App, clock, key: MemberKey, days: int, name: str = "Alice") -> list:
    """One check-in a day for `days` days, starting today; the replies."""
    replies = []
    for i in range(days):
        if i:
            clock.advance(timedelta(days=1))
        replies.append(await app.engine.command(key, "checkin", {"minutes": "30"}, ctx(name)))
        assert not replies[-1].error, replies[-1]
    return replies


async def outbox_rows(app: App, prefix: str = "") -> list[OutboxMessage]:
    async with app.sessions() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.key.like(prefix + "%")).order_by(OutboxMessage.id)
        return list((await session.execute(stmt)).scalars())


async def drain(app: App, messenger: MemoryMessenger) -> DrainStats:
    return await make_dispatcher(app, messenger, RateLimiter(lambda _key: None)).drain()

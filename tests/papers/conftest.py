"""Helpers for the papers suite: members with plans and assessed levels, driven through the core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from bot.core.call import Call, Context
from bot.core.identity import MemberKey
from bot.runtime import App
from storage import repo
from storage.models import Assessment, Member

T = TypeVar("T")


def key(user: str = "ada", workspace: str = "w1", platform: str = "test") -> MemberKey:
    return MemberKey(platform, workspace, user)


async def in_call(app: App, who: MemberKey, fn: Callable[[Call], Awaitable[T]]) -> T:
    """Run `fn` inside one transaction, as the engine does for a command."""
    async with app.sessions() as session, session.begin():
        return await fn(Call(session, app.catalog, app.clock, who, Context()))


async def enrol(app: App, who: MemberKey, ref: str) -> None:
    reply = await app.engine.action(who, f"learn:enrol:{ref}")
    assert not reply.error, reply


async def set_levels(app: App, who: MemberKey, levels: dict[str, int], at: datetime | None = None) -> None:
    """Record a completed assessment, as /assess does when it finishes."""
    when = at or app.clock.now()

    async def add(call: Call) -> None:
        member = await call.member()
        call.session.add(
            Assessment(
                member_id=member.id,
                scope="all",
                status="complete",
                state={},
                result={"scope": "all", "levels": levels},
                started_at=when,
                completed_at=when,
            )
        )

    await in_call(app, who, add)


async def member_row(app: App, who: MemberKey) -> Member:
    async with app.sessions() as session:
        found = await repo.find_member(session, who)
        assert found is not None
        return found

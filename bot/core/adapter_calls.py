"""What the platform adapters need from the database besides commands, so that no adapter imports storage."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.call import Call
from bot.core.errors import UserError
from bot.core.features.progress.handlers import progress_command, today_command, week_focus
from bot.core.identity import MemberKey
from bot.core.replies import Reply, error_reply
from storage.models import AppState, Member, SeenEvent

DM_WORKSPACE = "dm"


async def first_time(
    sessions: async_sessionmaker[AsyncSession], platform: str, event_id: str, now: datetime
) -> bool:
    """Record `event_id`; False when it was already recorded (a retry or a duplicate)."""
    try:
        async with sessions() as session, session.begin():
            session.add(SeenEvent(platform=platform, event_id=event_id[:128], seen_at=now))
    except IntegrityError:
        return False
    return True


async def read_state(sessions: async_sessionmaker[AsyncSession], key: str) -> str | None:
    async with sessions() as session:
        row = await session.get(AppState, key)
        return None if row is None else row.value


async def write_state(
    sessions: async_sessionmaker[AsyncSession], key: str, value: str, now: datetime
) -> None:
    async with sessions() as session, session.begin():
        row = await session.get(AppState, key)
        if row is None:
            session.add(AppState(key=key, value=value, updated_at=now))
        else:
            row.value, row.updated_at = value, now


async def dm_member(
    sessions: async_sessionmaker[AsyncSession], platform: str, user_id: str, channel_id: str, scope: str
) -> MemberKey:
    """The membership a direct message belongs to, since a DM carries no workspace.

    The workspace the pressed button names, when the user is a member there; else the
    member row whose cached DM channel is this channel; else the most recently active
    one. Someone who has never used the bot in a workspace gets the "dm" workspace.
    """
    stmt = (
        select(Member.workspace_id)
        .where(Member.platform == platform, Member.user_id == user_id)
        .order_by(
            case((Member.workspace_id == scope, 0), else_=1),
            case((Member.dm_channel_id == channel_id, 0), else_=1),
            Member.last_active_at.desc(),
            Member.id.desc(),
        )
        .limit(1)
    )
    async with sessions() as session:
        workspace = (await session.execute(stmt)).scalar_one_or_none()
    return MemberKey(platform, workspace or DM_WORKSPACE, user_id)


@dataclass(frozen=True, slots=True)
class Dashboard:
    """What the Slack Home tab shows: this week's focus, /today and /progress."""

    week: Reply
    today: Reply
    progress: Reply


async def dashboard(call: Call, found: list[Dashboard]) -> Reply:
    """Fill `found` with the member's dashboard, unless they are new here (a read never creates them).

    Returns the week reply, which the engine's transaction decorates (a notice that DMs failed),
    as it did when the week was read on its own. A refusal in one part shows in that part only.
    """
    if await call.existing_member() is None:
        return Reply()

    async def part(read: Callable[[], Awaitable[Reply]]) -> Reply:
        try:
            return await read()
        except UserError as exc:
            return error_reply(exc.message, exc.hint)

    week = await part(lambda: week_focus(call, [], {}))
    found.append(
        Dashboard(week, await part(lambda: today_command(call)), await part(lambda: progress_command(call)))
    )
    return week

"""Who is talking: build MemberKeys from Discord interactions.

In a server the key is ("discord", guild id, user id). A DM carries no guild. The
buttons of DMs the bot sends carry their server (bot/core/ids.py), so a click on one
resolves to that server's member row of the clicking user; the engine refuses it if
that user has no such membership. Anything else in a DM (an older button, a slash
command) resolves to the member row whose cached DM channel is this channel, else the
most recently active one. Someone who has never used the bot in a server gets the
"dm" workspace.
"""

from __future__ import annotations

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.identity import MemberKey
from storage.models import Member

PLATFORM = "discord"
DM_WORKSPACE = "dm"


async def dm_member_key(
    sessions: async_sessionmaker[AsyncSession],
    user_id: int | str,
    channel_id: int | str | None,
    scope: str | None = None,
) -> MemberKey:
    uid = str(user_id)
    channel = str(channel_id) if channel_id is not None else ""
    stmt = (
        select(Member.workspace_id)
        .where(Member.platform == PLATFORM, Member.user_id == uid)
        .order_by(
            # The server the pressed button belongs to, when this user is a member there.
            case((Member.workspace_id == (scope or ""), 0), else_=1),
            case((Member.dm_channel_id == channel, 0), else_=1),
            Member.last_active_at.desc(),
            Member.id.desc(),
        )
        .limit(1)
    )
    async with sessions() as session:
        workspace = (await session.execute(stmt)).scalar_one_or_none()
    return MemberKey(PLATFORM, workspace or DM_WORKSPACE, uid)


def guild_member_key(guild_id: int | str, user_id: int | str) -> MemberKey:
    return MemberKey(PLATFORM, str(guild_id), str(user_id))

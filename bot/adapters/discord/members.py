"""Who is talking: build MemberKeys from Discord interactions.

In a server the key is ("discord", guild id, user id). A DM carries no guild. The
buttons of DMs the bot sends carry their server (bot/core/ids.py), so a click on one
resolves to that server's member row of the clicking user; the engine refuses it if
that user has no such membership. Which membership any other DM belongs to is the
engine's rule (Engine.dm_member).
"""

from __future__ import annotations

from bot.core.engine import Engine
from bot.core.identity import MemberKey

PLATFORM = "discord"


async def dm_member_key(
    engine: Engine, user_id: int | str, channel_id: int | str | None, scope: str | None = None
) -> MemberKey:
    channel = str(channel_id) if channel_id is not None else ""
    return await engine.dm_member(PLATFORM, str(user_id), channel, scope or "")


def guild_member_key(guild_id: int | str, user_id: int | str) -> MemberKey:
    return MemberKey(PLATFORM, str(guild_id), str(user_id))

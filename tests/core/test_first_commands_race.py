"""A new member's first commands arriving together all get real answers: the one that loses
the race to create the member row runs again instead of failing."""

from __future__ import annotations

import asyncio

from bot.core.identity import MemberKey
from bot.core.replies import render_text
from storage import repo


async def test_a_new_members_first_commands_at_once_all_succeed(any_app):
    key = MemberKey("slack", "T1", "UNEW")
    names = ["today", "progress", "learn", "settings", "checkin", "help", "leaderboard", "review"]
    opts = {"checkin": {"minutes": 20}}
    replies = await asyncio.gather(*(any_app.engine.command(key, n, opts.get(n, {})) for n in names))
    for name, reply in zip(names, replies, strict=True):
        assert not reply.error, (name, render_text(reply))
    async with any_app.sessions() as s:
        assert await repo.find_member(s, key) is not None

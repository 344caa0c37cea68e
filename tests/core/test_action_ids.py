"""Buttons the bot posts carry bare `namespace:verb` ids; ids posted before, padded with `:x`, still work."""

from __future__ import annotations

import pytest

from bot.adapters.memory import MemberDriver
from bot.core.identity import MemberKey

ALICE = MemberKey("test", "guild-1", "alice")


def _ids(reply) -> list[str]:
    return [b.action for b in reply.buttons]


async def test_posted_buttons_carry_no_filler_argument(app):
    m = MemberDriver(app.engine, ALICE)
    await m.act("learn:enrol:ai-agents")
    reply = await app.engine.command(ALICE, "today")
    ids = _ids(reply)
    assert "checkin:open" in ids
    assert not [i for i in ids if i.endswith(":x")]


@pytest.mark.parametrize("old", ["today:show:x", "progress:show:x", "learn:plan:x", "settings:show:x"])
async def test_an_old_padded_id_gives_the_same_reply_as_the_bare_one(app, old):
    m = MemberDriver(app.engine, ALICE)
    await m.act("learn:enrol:ai-agents")
    bare = old.removesuffix(":x")
    assert await app.engine.action(ALICE, old) == await app.engine.action(ALICE, bare)

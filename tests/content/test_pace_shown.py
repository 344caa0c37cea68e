"""The pace a learning path assumes is part of what /learn shows before a member enrols."""

from __future__ import annotations

from bot.core.identity import MemberKey
from bot.core.replies import render_text
from bot.runtime import App


async def test_learn_shows_the_pace_of_every_path(app: App) -> None:
    who = MemberKey("test", "w1", "pacer")
    for path in app.catalog.path_list():
        reply = await app.engine.action(who, f"learn:view:{path.id}")
        fields = {f.name: f.value for f in reply.cards[0].fields}
        assert fields["Pace"] == f"about {path.hours_per_week:g} h a week", path.id
        assert "Pace" in render_text(reply)

"""/privacy and the community side: the opt-in is exported, delete takes the member off future
boards and digests, and a digest already posted is left as it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from bot.core.replies import render_text
from bot.scheduler.service import claim_pass
from storage.models import OutboxMessage
from tests.community.test_digest import who
from tests.community.test_leaderboard import driver, log


async def test_export_has_the_opt_in_and_delete_leaves_past_digests(app, clock):
    await who(app, "boss", admin=True).say("/admin digest-channel <#C1>")
    ada, bob = driver(app, "ada", "Ada"), driver(app, "bob", "Bob")
    for d in (ada, bob):
        await log(d, 60)
        await d.say("/settings leaderboard:on")
    intro = render_text(await ada.say("/privacy"))
    assert "already posted stay as they were" in intro and "leaderboard" in intro

    export = await ada.say("/privacy export")
    data = json.loads(export.attachment.content)
    assert data["member"]["community_opt_in"] is True and data["member"]["display_name"] == "Ada"
    assert {r["period"] for r in data["study_totals"]} == {"all", "2026-11", "2026-W45"}

    clock.set(datetime(2026, 11, 8, 18, 0, tzinfo=UTC))
    await claim_pass(app)
    async with app.sessions() as s:
        posted = (await s.execute(select(OutboxMessage).where(OutboxMessage.stream == "digest"))).scalar_one()
    assert "Ada" in json.dumps(posted.payload)

    asked = render_text(await ada.say("/privacy delete"))
    assert "already posted stay as they were" in asked
    await ada.press("Yes, delete everything")
    board = await bob.say("/leaderboard")
    assert "Ada" not in board.cards[0].body and "**1.** Bob" in board.cards[0].body
    async with app.sessions() as s:
        kept = (await s.execute(select(OutboxMessage).where(OutboxMessage.stream == "digest"))).scalar_one()
    assert kept.payload == posted.payload, "a digest already posted is left alone"


async def test_opting_out_forgets_the_display_name(app):
    ada = driver(app, "ada", "Ada")
    await log(ada, 30)
    await ada.say("/settings leaderboard:on")
    await ada.say("/settings leaderboard:off")
    data = json.loads((await ada.say("/privacy export")).attachment.content)
    assert data["member"]["display_name"] is None
    assert all(r["opted_in"] is False for r in data["study_totals"])

"""The paper program through Discord: the weekly post with its thread, and the paper buttons."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.identity import MemberKey
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.ratelimit import RateLimiter
from bot.scheduler.service import claim_pass
from storage.models import CommunityPaper, CommunityPaperRead, MemberPaper
from tests.discord.helpers import answer, components, original, text_of
from tests.fakes.discord_fake import GUILD_ID, FakeDiscord

USER = "940000000000000001"
CHANNEL = "920000000000000007"


async def test_weekly_post_opens_a_thread_and_read_it_is_recorded(bot, fake: FakeDiscord) -> None:
    _, call = await answer(
        fake, fake.slash("admin", {"action": "paper-channel", "channel": CHANNEL}, admin=True)
    )
    assert "Weekly paper channel set" in text_of(call.body["data"])
    await bot.app.engine.action(MemberKey("discord", GUILD_ID, USER), "learn:enrol:ai-agents")

    await claim_pass(bot.app)
    messenger = bot.app.platform.messenger
    stats = await Dispatcher(bot.app.sessions, bot.app.clock, messenger, RateLimiter(lambda _k: None)).drain()
    assert stats.sent == 1

    (post,) = [m for m in fake.messages.values() if m["channel_id"] == CHANNEL]
    (thread,) = fake.calls_to("POST", rf"/channels/{CHANNEL}/messages/\d+/threads$")
    assert thread.body["name"]
    async with bot.app.sessions() as s:
        row = (await s.execute(select(CommunityPaper))).scalar_one()
    assert row.message_id == post["id"] and row.thread_id
    paper = bot.app.catalog.papers[row.paper_id]
    (in_thread,) = fake.calls_to("POST", rf"/channels/{row.thread_id}/messages$")
    assert paper.questions[0][:40] in text_of(in_thread.body), "the thread carries the discussion questions"

    read_it = next(c["custom_id"] for c in components(post) if c["custom_id"].startswith("paper:groupread:"))
    _, click = await answer(fake, fake.click(post, read_it))
    assert "went wrong" not in text_of(click.body["data"])
    await answer(fake, fake.click(post, read_it))
    async with bot.app.sessions() as s:
        reads = (await s.execute(select(CommunityPaperRead))).scalars().all()
    assert len(reads) == 1, "pressing twice records one reader"


async def test_paper_buttons_record_reading(bot, fake: FakeDiscord) -> None:
    interaction, _ = await answer(fake, fake.slash("paper"))
    message = original(fake, interaction)
    read = next(
        c["custom_id"] for c in components(message) if c.get("custom_id", "").startswith("paper:read:")
    )
    _, click = await answer(fake, fake.click(message, read))
    assert "marked as read" in text_of(click.body["data"]).lower()
    rated = original(fake, interaction) if click.body["type"] == 7 else None
    async with bot.app.sessions() as s:
        row = (await s.execute(select(MemberPaper))).scalar_one()
    assert row.status == "read" and read.endswith(row.paper_id)
    if rated is not None:
        stars = [
            c["custom_id"] for c in components(rated) if c.get("custom_id", "").startswith("paper:rate:")
        ]
        assert len(stars) == 5

"""A Discord user in two servers shares one DM channel with the bot: the DM's buttons say
which server they belong to, act for that server, and /privacy from the DM covers both."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.call import Context
from bot.core.identity import MemberKey
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.ratelimit import RateLimiter
from bot.scheduler.service import claim_pass
from storage.models import CheckIn, Member
from tests.discord.helpers import answer, components, original, text_of
from tests.fakes.discord_fake import GUILD_ID, FakeDiscord

USER = "940000000000000001"
OTHER_GUILD = "910000000000000042"
HOME = MemberKey("discord", GUILD_ID, USER)
AWAY = MemberKey("discord", OTHER_GUILD, USER)


async def two_memberships(bot, fake: FakeDiscord) -> None:
    _, call = await answer(
        fake, fake.slash("settings", {"timezone": "UTC", "checkin_time": "10:00"}, user_id=USER)
    )
    assert "10:00" in text_of(call.body["data"])
    # The same user in a second server, which has a plan: its check-in is the one that comes.
    await bot.app.engine.command(AWAY, "today", {}, Context(community_name="Second Server"))
    await bot.app.engine.action(AWAY, "learn:enrol:ai-agents")


async def deliver(bot) -> int:
    bot.app.clock.advance(timedelta(hours=1, minutes=1))  # 10:01 UTC on the fixture's Monday
    await claim_pass(bot.app)
    messenger = bot.app.platform.messenger
    return (
        await Dispatcher(bot.app.sessions, bot.app.clock, messenger, RateLimiter(lambda _k: None)).drain()
    ).sent


async def minutes_of(bot, workspace: str) -> list[int]:
    async with bot.app.sessions() as s:
        stmt = (
            select(CheckIn.minutes)
            .join(Member, Member.id == CheckIn.member_id)
            .where(Member.workspace_id == workspace)
        )
        return list((await s.execute(stmt)).scalars())


async def test_one_checkin_whose_buttons_log_to_its_server(bot, fake: FakeDiscord) -> None:
    await two_memberships(bot, fake)
    sent = await deliver(bot)
    dms = [
        m
        for m in fake.messages.values()
        if any("checkin:done:" in c.get("custom_id", "") for c in components(m))
    ]
    assert len(dms) == 1, "one check-in a day, not one per server"
    assert sent >= 1
    [dm] = dms
    assert "Second Server" in text_of(dm)
    ids = [c["custom_id"] for c in components(dm) if c.get("custom_id")]
    assert ids and all(i.endswith(f"~{OTHER_GUILD}") and len(i) <= 100 for i in ids)
    done = next(c["custom_id"] for c in components(dm) if c.get("label") == "Done: 30 min")
    # The home server's member was active last; the button still logs to the server it names.
    await answer(fake, fake.slash("today", user_id=USER))
    _, call = await answer(fake, fake.click(dm, done, user_id=USER, guild=False))
    assert "Logged 30 min" in text_of(call.body["data"])
    assert (await minutes_of(bot, OTHER_GUILD), await minutes_of(bot, GUILD_ID)) == ([30], [])
    _, again = await answer(fake, fake.click(dm, done, user_id=USER, guild=False))
    assert "already logged" in text_of(again.body["data"])
    assert await minutes_of(bot, OTHER_GUILD) == [30]


async def test_privacy_from_a_dm_covers_every_membership(bot, fake: FakeDiscord) -> None:
    await two_memberships(bot, fake)
    _, call = await answer(fake, fake.slash("privacy", user_id=USER, guild=False))
    text = text_of(call.body["data"])
    assert "2 communities" in text and "Study Guild" in text and "Second Server" in text
    asked, call = await answer(fake, fake.slash("privacy", {"action": "delete"}, user_id=USER, guild=False))
    assert "Second Server" in text_of(call.body["data"])
    message = original(fake, asked)
    _, done = await answer(fake, fake.click(message, "privacy:delete:confirm", user_id=USER, guild=False))
    assert "Study Guild" in text_of(done.body["data"]) and "Second Server" in text_of(done.body["data"])
    async with bot.app.sessions() as s:
        assert (await s.execute(select(Member).where(Member.user_id == USER))).scalars().all() == []


async def test_privacy_in_a_server_covers_that_server_only(bot, fake: FakeDiscord) -> None:
    await two_memberships(bot, fake)
    _, call = await answer(fake, fake.slash("privacy", user_id=USER))
    assert "Second Server" not in text_of(call.body["data"])

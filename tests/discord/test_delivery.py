"""The Messenger: DMs and channel posts, and how Discord's errors map to delivery errors."""

from __future__ import annotations

import pytest

from bot.adapters.discord.messenger import nonce_for
from bot.core.identity import CommunityKey, MemberKey
from bot.core.ports import PermanentDeliveryError, RetryableDeliveryError
from bot.core.replies import Button, Card, Reply
from tests.discord.helpers import answer, text_of
from tests.fakes.discord_fake import GUILD_ID, FakeDiscord

USER = "940000000000000009"
MEMBER = MemberKey("discord", GUILD_ID, USER)
CHECKIN = Reply(
    cards=(Card(title="Daily check-in", body="Did you study today? @everyone"),),
    buttons=(
        Button("Log time", "checkin:done:2026-11-02", "primary"),
        Button("Rest day", "checkin:skip:2026-11-02"),
    ),
)


async def test_dm_opens_channel_and_sends_with_nonce(bot, fake: FakeDiscord) -> None:
    messenger = bot.app.platform.messenger
    key = "checkin:discord:910000000000000001:940000000000000009:2026-11-02"
    delivery = await messenger.send_dm(MEMBER, CHECKIN, key=key)
    (opened,) = fake.calls_to("POST", r"/users/@me/channels$")
    assert opened.body == {"recipient_id": int(USER)} or opened.body == {"recipient_id": USER}
    (sent,) = fake.calls_to("POST", r"/channels/\d+/messages$")
    assert sent.path == f"/channels/{delivery.channel_id}/messages"
    assert sent.body["nonce"] == nonce_for(key) and len(sent.body["nonce"]) <= 25
    assert sent.body["enforce_nonce"] is True
    assert sent.body["allowed_mentions"] == {"parse": []}
    assert delivery.message_id in fake.messages


async def test_cached_dm_channel_is_reused(bot, fake: FakeDiscord) -> None:
    messenger = bot.app.platform.messenger
    delivery = await messenger.send_dm(MEMBER, CHECKIN, key="k1", dm_channel_id="960000000000000123")
    assert delivery.channel_id == "960000000000000123"
    assert not fake.calls_to("POST", r"/users/@me/channels$")


async def test_closed_dms_are_permanent(bot, fake: FakeDiscord) -> None:
    fake.cannot_dm()
    with pytest.raises(PermanentDeliveryError) as err:
        await bot.app.platform.messenger.send_dm(MEMBER, CHECKIN, key="k2")
    assert err.value.reason.startswith("dm_closed")


async def test_unknown_user_is_permanent(bot, fake: FakeDiscord) -> None:
    fake.fail("POST", r"/users/@me/channels$", 404, {"message": "Unknown User", "code": 10013})
    with pytest.raises(PermanentDeliveryError) as err:
        await bot.app.platform.messenger.send_dm(MEMBER, CHECKIN, key="k3")
    assert err.value.reason.startswith("unknown_user")


async def test_long_rate_limit_is_retryable_with_retry_after(bot, fake: FakeDiscord) -> None:
    fake.rate_limit("POST", r"/channels/\d+/messages$", retry_after=120)
    with pytest.raises(RetryableDeliveryError) as err:
        await bot.app.platform.messenger.send_dm(
            MEMBER, CHECKIN, key="k4", dm_channel_id="960000000000000001"
        )
    assert err.value.retry_after == 120


async def test_short_rate_limit_is_waited_out(bot, fake: FakeDiscord) -> None:
    fake.rate_limit("POST", r"/channels/\d+/messages$", retry_after=0.01)
    delivery = await bot.app.platform.messenger.send_dm(
        MEMBER, CHECKIN, key="k5", dm_channel_id="960000000000000001"
    )
    assert delivery.message_id
    assert len(fake.calls_to("POST", r"/channels/\d+/messages$")) == 2


async def test_server_errors_are_retryable(bot, fake: FakeDiscord) -> None:
    fake.fail("POST", r"/channels/\d+/messages$", 503, {"message": "unavailable", "code": 0})
    with pytest.raises(RetryableDeliveryError):
        await bot.app.platform.messenger.send_dm(
            MEMBER, CHECKIN, key="k6", dm_channel_id="960000000000000001"
        )


async def test_dm_button_click_finds_the_member(bot, fake: FakeDiscord) -> None:
    # The member exists in the guild first.
    await answer(fake, fake.slash("today", user_id=USER))
    delivery = await bot.app.platform.messenger.send_dm(MEMBER, CHECKIN, key="k7")
    message = fake.messages[delivery.message_id]
    _, call = await answer(fake, fake.click(message, "checkin:skip:2026-11-02", user_id=USER, guild=False))
    assert call.body["type"] == 4
    assert "Rest day noted" in text_of(call.body["data"])
    from storage import repo

    async with bot.app.sessions() as s:
        member = await repo.find_member(s, MEMBER)
        assert member is not None
        checkins = await repo.all_checkins(s, member.id)
    assert [c.kind for c in checkins] == ["skip"]


async def test_channel_post_with_thread(bot, fake: FakeDiscord) -> None:
    thread_reply = Reply(text="What did you think of it?")
    delivery = await bot.app.platform.messenger.post_channel(
        CommunityKey("discord", GUILD_ID),
        "920000000000000005",
        Reply(cards=(Card(title="Paper of the week", body="Attention Is All You Need"),), private=False),
        key="paper:week",
        thread_name="Discussion: Attention Is All You Need",
        thread_reply=thread_reply,
    )
    assert delivery.thread_id
    (thread,) = fake.calls_to("POST", r"/channels/\d+/messages/\d+/threads$")
    assert thread.body["name"].startswith("Discussion")
    posts = fake.calls_to("POST", r"/channels/\d+/messages$")
    assert [p.path for p in posts] == [
        "/channels/920000000000000005/messages",
        f"/channels/{delivery.thread_id}/messages",
    ]


async def test_open_messenger_for_one_off_runs(db_url, fake: FakeDiscord, clock, catalog) -> None:
    from bot.adapters.discord.messenger import open_messenger
    from tests.discord.conftest import discord_app

    app = discord_app(db_url, fake, clock, catalog)
    try:
        async with open_messenger(app) as messenger:
            delivery = await messenger.send_dm(MEMBER, CHECKIN, key="tick-1")
        assert delivery.channel_id
        assert not fake.identifies  # REST only, no gateway
    finally:
        await app.close()

"""The leaderboard and the weekly digest through the real discord.py against the fake Discord."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.ratelimit import RateLimiter
from bot.scheduler.service import claim_pass
from tests.discord.helpers import EPHEMERAL, answer, components, original, text_of
from tests.fakes.discord_fake import FakeDiscord

ADA = "940000000000000001"
BOB = "940000000000000002"
CHANNEL = "920000000000000007"
PNG = b"\x89PNG\r\n\x1a\n"


async def test_leaderboard_opt_in_button_and_names_that_never_ping(bot, fake: FakeDiscord) -> None:
    for user_id, name, minutes in ((ADA, "@everyone Ada", "90"), (BOB, "Bob", "30")):
        await answer(fake, fake.slash("checkin", {"minutes": minutes}, user_id=user_id, display_name=name))
    interaction, call = await answer(
        fake, fake.slash("leaderboard", user_id=ADA, display_name="@everyone Ada")
    )
    data = call.body["data"]
    assert data["flags"] & EPHEMERAL
    assert "would be **#1**" in text_of(data), "not opted in: the caller still hears their rank"
    board = original(fake, interaction)
    join = next(c["custom_id"] for c in components(board) if c.get("label") == "Show me here")
    assert join == "leaderboard:join:week"
    _, click = await answer(fake, fake.click(board, join, user_id=ADA, display_name="@everyone Ada"))
    shown = text_of(click.body["data"])
    assert "You're on this community's leaderboard now" in shown
    assert "@\u200beveryone Ada · 1.5 h" in shown and "@everyone" not in shown
    assert click.body["data"]["allowed_mentions"]["parse"] == []
    assert "Bob" not in shown, "Bob did not opt in"
    labels = [c.get("label") for c in components(click.body["data"])]
    assert "Hide me" in labels and "This month" in labels


async def test_weekly_digest_is_posted_once_in_the_chosen_channel(bot, fake: FakeDiscord, clock) -> None:
    _, call = await answer(
        fake, fake.slash("admin", {"action": "digest-channel", "channel": CHANNEL}, admin=True)
    )
    assert "Digest channel set" in text_of(call.body["data"])
    await answer(fake, fake.slash("checkin", {"minutes": "45"}, user_id=ADA, display_name="Ada"))
    await answer(fake, fake.slash("settings", {"leaderboard": "on"}, user_id=ADA, display_name="Ada"))
    clock.set(datetime(2026, 11, 8, 18, 5, tzinfo=UTC))
    messenger = bot.app.platform.messenger
    for _ in range(2):
        await claim_pass(bot.app)
        await Dispatcher(bot.app.sessions, bot.app.clock, messenger, RateLimiter(lambda _k: None)).drain()
    posts = fake.calls_to("POST", rf"/channels/{CHANNEL}/messages$")
    assert len(posts) == 1
    body = posts[0].body
    text = text_of(body)
    assert "This week in the community" in text and "Active learners 1" in text
    assert "**1.** Ada · 45 min" in text
    assert body["allowed_mentions"]["parse"] == []
    assert not (body.get("flags") or 0) & EPHEMERAL
    # The community card rides in the same message: one files[n] part, shown as an embed's image.
    [(name, _)] = [f for f in posts[0].files if f[1].startswith(PNG)]
    assert name == "community.png"
    [attached] = body["attachments"]
    assert attached["filename"] == "community.png" and attached["description"].startswith("Community card")
    assert [e["image"]["url"] for e in body["embeds"] if "image" in e] == ["attachment://community.png"]


async def test_a_digest_retried_after_a_5xx_is_posted_once_with_its_card(bot, fake: FakeDiscord, clock):
    await answer(fake, fake.slash("admin", {"action": "digest-channel", "channel": CHANNEL}, admin=True))
    await answer(fake, fake.slash("checkin", {"minutes": "45"}, user_id=ADA, display_name="Ada"))
    clock.set(datetime(2026, 11, 8, 18, 5, tzinfo=UTC))
    await claim_pass(bot.app)
    fake.fail("POST", rf"/channels/{CHANNEL}/messages$", 503, {"message": "unavailable", "code": 0})
    messenger = bot.app.platform.messenger
    for minutes in (0, 30, 60):
        clock.set(datetime(2026, 11, 8, 18, 5, tzinfo=UTC) + timedelta(minutes=minutes))
        await Dispatcher(bot.app.sessions, bot.app.clock, messenger, RateLimiter(lambda _k: None)).drain()
    tries = fake.calls_to("POST", rf"/channels/{CHANNEL}/messages$")
    assert len(tries) == 2, "the 503, then the one post"
    cards = [blob for call in tries for _, blob in call.files if blob.startswith(PNG)]
    assert len(cards) == 2 and cards[0] == cards[1], "the retry carries the same picture"
    assert len([m for m in fake.messages.values() if m["channel_id"] == CHANNEL]) == 1

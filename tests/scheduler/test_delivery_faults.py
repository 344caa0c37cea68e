"""Platform faults through the real clients: discord.py against the fake Discord, slack_sdk
(the client Bolt uses) against the fake Slack. Nobody is switched off by a platform-wide
error, no message is lost, and no member sees a message twice."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import discord
import pytest
import yarl
from sqlalchemy import select

from bot.adapters.discord.client import DEFAULT_API_BASE
from bot.adapters.discord.messenger import open_messenger as open_discord
from bot.adapters.slack.client import make_client
from bot.adapters.slack.messenger import SlackMessenger
from bot.core.clock import FrozenClock
from bot.core.identity import MemberKey
from bot.ops.health import readiness
from bot.ops.metrics import install as install_metrics
from bot.ops.metrics import refresh_from_db
from bot.runtime import App, PlatformHandle
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.ratelimit import platform_limiter
from bot.scheduler.service import claim_pass, pauses_of
from storage.models import Member, OutboxMessage, Schedule
from tests.fakes.discord_fake import FakeDiscord
from tests.fakes.slack_fake import BOT_TOKEN, TEAM_ID, FakeSlack
from tests.scheduler.conftest import T0, make_app

DUE = T0.replace(hour=19)


def discord_user(i: int) -> str:
    return str(940000000000000100 + i)


async def add(app: App, platform: str, workspace: str, user: str) -> None:
    reply = await app.engine.command(
        MemberKey(platform, workspace, user), "settings", {"timezone": "UTC", "checkin_time": "19:00"}
    )
    assert not reply.error, reply


class FakeTime:
    """The limiter's clock and sleep, tied to the app's FrozenClock: waits cost no real time."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock

    def monotonic(self) -> float:
        return self.clock.now().timestamp()

    async def sleep(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    yield server
    await server.stop()
    discord.http.Route.BASE = DEFAULT_API_BASE
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL("wss://gateway.discord.gg/")


@pytest.fixture
async def dapp(db_url, shared_catalog, discord_fake) -> AsyncIterator[App]:
    app = make_app(
        db_url,
        FrozenClock(T0),
        shared_catalog,
        discord_token=discord_fake.token,
        discord_api_base=discord_fake.api_base,
        scheduler_enabled=False,
    )
    yield app
    await app.close()


async def members_state(app: App) -> tuple[list[str | None], list[bool]]:
    async with app.sessions() as s:
        blocked = list((await s.execute(select(Member.dm_blocked_reason))).scalars())
        enabled = list((await s.execute(select(Schedule.enabled))).scalars())
    return blocked, enabled


async def statuses(app: App) -> dict[str, str]:
    async with app.sessions() as s:
        rows = (await s.execute(select(OutboxMessage.key, OutboxMessage.status))).all()
    return dict(rows)  # type: ignore[arg-type]


def dispatcher(app: App, messenger, time: FakeTime | None = None, **kw) -> Dispatcher:  # type: ignore[no-untyped-def]
    limiter = (
        platform_limiter(messenger.platform, 46, 1, time.monotonic, time.sleep)
        if time is not None
        else platform_limiter(messenger.platform, 1000, 1000)
    )
    kw.setdefault("lease_seconds", 120)
    return Dispatcher(
        app.sessions, app.clock, messenger, limiter, catalog=app.catalog, pauses=pauses_of(app), **kw
    )


async def test_a_401_burst_pauses_discord_and_switches_nobody_off(dapp, discord_fake, caplog):
    for i in range(10):
        await add(dapp, "discord", "g1", discord_user(i))
    dapp.clock.set(DUE)
    await claim_pass(dapp)
    unauthorized = {"message": "401: Unauthorized", "code": 0}
    discord_fake.fail("POST", r"/channels/\d+/messages$", 401, unauthorized, times=3)
    metrics = install_metrics(dapp)
    dapp.platform = PlatformHandle(
        "discord", ready=lambda: True
    )  # the gateway is up; only delivery is paused
    async with open_discord(dapp) as messenger:
        discord_fake.fail("GET", r"/users/@me$", 401, unauthorized, times=1)  # after logging in
        d = dispatcher(dapp, messenger, concurrency=4)
        with caplog.at_level(logging.ERROR, logger="bot.scheduler.pauses"):
            first = await d.drain()
        assert first.paused >= 1 and first.failed == 0
        assert any("delivery paused for discord" in r.getMessage() for r in caplog.records)
        assert set((await statuses(dapp)).values()) <= {"pending", "sent"}
        assert "delivery paused" in (await readiness(dapp) or "")
        await refresh_from_db(dapp, metrics)
        assert b'bot_delivery_paused{platform="discord",scope=""} 1.0' in metrics.render()
        # Probed every 30 s; the first probe still gets a 401, a later one works again.
        for _ in range(12):
            dapp.clock.advance(timedelta(seconds=31))
            await d.drain()
            if set((await statuses(dapp)).values()) == {"sent"}:
                break
    assert set((await statuses(dapp)).values()) == {"sent"}
    blocked, enabled = await members_state(dapp)
    assert blocked == [None] * 10 and all(enabled)
    assert sorted(discord_fake.visible_by_channel().values()) == [1] * 10
    assert await readiness(dapp) is None
    await refresh_from_db(dapp, metrics)
    assert b'bot_delivery_paused{platform="discord",scope=""} 0.0' in metrics.render()


async def test_a_400_burst_fails_those_rows_only(dapp, discord_fake, caplog):
    for i in range(6):
        await add(dapp, "discord", "g1", discord_user(i))
    dapp.clock.set(DUE)
    await claim_pass(dapp)
    discord_fake.fail(
        "POST", r"/channels/\d+/messages$", 400, {"message": "Invalid Form Body", "code": 50035}, times=3
    )
    async with open_discord(dapp) as messenger:
        with caplog.at_level(logging.WARNING, logger="bot.scheduler.dispatcher"):
            stats = await dispatcher(dapp, messenger).drain()
    assert (stats.sent, stats.failed) == (3, 3)
    assert sorted((await statuses(dapp)).values()) == ["failed"] * 3 + ["sent"] * 3
    shapes = [r.getMessage() for r in caplog.records if "Payload shape" in r.getMessage()]
    assert len(shapes) == 3 and all("'reply'" in m for m in shapes)
    blocked, enabled = await members_state(dapp)
    assert blocked == [None] * 6 and all(enabled)


async def test_closed_dms_still_switch_that_member_off(dapp, discord_fake):
    for i in range(2):
        await add(dapp, "discord", "g1", discord_user(i))
    dapp.clock.set(DUE)
    await claim_pass(dapp)
    discord_fake.cannot_dm(times=1)
    async with open_discord(dapp) as messenger:
        stats = await dispatcher(dapp, messenger).drain()
    assert (stats.sent, stats.failed) == (1, 1)
    blocked, _ = await members_state(dapp)
    assert sorted(blocked, key=str) == sorted([None, blocked[0] or blocked[1]], key=str)
    assert sum(1 for b in blocked if b and b.startswith("dm_closed")) == 1


async def test_a_330_second_retry_after_never_sends_a_row_twice(dapp, discord_fake):
    users = 60
    for i in range(users):
        await add(dapp, "discord", "g1", discord_user(i))
    dapp.clock.set(DUE)
    await claim_pass(dapp)
    discord_fake.rate_limit("POST", r"/channels/\d+/messages$", retry_after=330, times=1)
    time = FakeTime(dapp.clock)  # type: ignore[arg-type]
    async with open_discord(dapp) as messenger:
        d = dispatcher(dapp, messenger, time, concurrency=8)
        first = await d.drain()
        assert first.rate_limited == 1 and first.handed_back >= 1
        states = await statuses(dapp)
        assert "sending" not in states.values()
        async with dapp.sessions() as s:
            waiting = list(
                (await s.execute(select(OutboxMessage).where(OutboxMessage.status == "pending"))).scalars()
            )
        assert waiting and all(r.not_before >= DUE + timedelta(seconds=300) for r in waiting)
        dapp.clock.advance(timedelta(seconds=331))
        for _ in range(5):
            await d.drain()
            dapp.clock.advance(timedelta(seconds=30))
    assert set((await statuses(dapp)).values()) == {"sent"}
    assert sorted(discord_fake.visible_by_channel().values()) == [1] * users


async def test_invalid_auth_answers_pause_the_workspace_and_switch_nobody_off(sapp):
    fake = await FakeSlack().start()
    client = make_client(BOT_TOKEN, fake.api_url)
    try:
        for i in range(20):
            await add(sapp, "slack", TEAM_ID, f"U{i:03d}")
        sapp.clock.set(DUE)  # type: ignore[attr-defined]
        await claim_pass(sapp)
        fake.fail("chat.postMessage", "invalid_auth", times=20)
        fake.fail("auth.test", "invalid_auth", times=2)
        d = dispatcher(sapp, SlackMessenger.single(client), concurrency=4)
        for _ in range(80):
            await d.drain()
            if set((await statuses(sapp)).values()) == {"sent"}:
                break
            sapp.clock.advance(timedelta(seconds=31))  # type: ignore[attr-defined]
        assert set((await statuses(sapp)).values()) == {"sent"}
        blocked, enabled = await members_state(sapp)
        assert blocked == [None] * 20 and all(enabled)
        assert sorted(fake.posts_by_key().values()) == [1] * 20
        assert len(fake.find("auth.test")) >= 3  # probed, and refused twice before it worked
    finally:
        if client.session is not None:
            await client.session.close()
        await fake.close()


async def test_accept_then_reset_on_slack_posts_once(sapp):
    fake = await FakeSlack().start()
    client = make_client(BOT_TOKEN, fake.api_url)
    try:
        for i in range(10):
            await add(sapp, "slack", TEAM_ID, f"U{i:03d}")
        sapp.clock.set(DUE)  # type: ignore[attr-defined]
        await claim_pass(sapp)
        fake.reset_after_accept("chat.postMessage", times=10)
        d = dispatcher(sapp, SlackMessenger.single(client))
        first = await d.drain()
        assert first.retried == 10 and first.sent == 0
        for _ in range(10):
            sapp.clock.advance(timedelta(minutes=2))  # type: ignore[attr-defined]
            await d.drain()
        assert set((await statuses(sapp)).values()) == {"sent"}
        assert sorted(fake.posts_by_key().values()) == [1] * 10  # every post was seen once
        assert len(fake.find("conversations.history")) == 10
    finally:
        if client.session is not None:
            await client.session.close()
        await fake.close()


async def test_discord_finds_an_earlier_channel_post_only_past_the_nonce_window(dapp, discord_fake):
    from bot.core.identity import CommunityKey
    from bot.core.replies import Card, Reply

    community = CommunityKey("discord", "g1")
    post = Reply(cards=(Card(title="Paper of the week", body="Attention"),), private=False)
    async with open_discord(dapp) as messenger:
        sent = await messenger.post_channel(community, "920000000000000001", post, key="paper:1:W10")
        kw = {"key": "paper:1:W10", "reply": post, "community": community, "channel_id": "920000000000000001"}
        assert await messenger.find_sent(since_seconds=30, **kw) is None  # the nonce covers it
        found = await messenger.find_sent(since_seconds=600, **kw)
        assert found is not None and found.message_id == sent.message_id
        assert await messenger.find_sent(since_seconds=600, **(kw | {"key": "paper:1:W11"})) is None


async def test_slack_without_im_history_posts_again_rather_than_pausing(sapp):
    fake = await FakeSlack().start()
    client = make_client(BOT_TOKEN, fake.api_url)
    try:
        await add(sapp, "slack", TEAM_ID, "U001")
        sapp.clock.set(DUE)  # type: ignore[attr-defined]
        await claim_pass(sapp)
        fake.fail("chat.postMessage", "internal_error", status=503)  # unclear: may have posted
        fake.fail("conversations.history", "missing_scope")
        d = dispatcher(sapp, SlackMessenger.single(client))
        await d.drain()
        sapp.clock.advance(timedelta(minutes=2))  # type: ignore[attr-defined]
        stats = await d.drain()
        assert stats.sent == 1 and stats.paused == 0
        assert not pauses_of(sapp).active()
    finally:
        if client.session is not None:
            await client.session.close()
        await fake.close()

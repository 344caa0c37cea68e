"""Sends stay under the configured rate against a fake that answers 429 above it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.clock import FrozenClock
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.ratelimit import TokenBucket, platform_limiter
from bot.scheduler.service import claim_pass
from tests.fakes.messenger_fake import HttpMessenger, RecorderServer
from tests.scheduler.conftest import add_member, outbox_rows

DUE = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)


async def test_token_bucket_never_exceeds_rate_in_any_window():
    now = [0.0]
    sends: list[float] = []

    async def sleep(dt: float) -> None:
        now[0] += dt

    bucket = TokenBucket(40.0, monotonic=lambda: now[0], sleep=sleep)
    for _ in range(400):
        await bucket.acquire()
        sends.append(now[0])
    worst = max(sum(1 for t in sends if s <= t < s + 1.0) for s in sends)
    assert worst <= 46  # 40/s plus a burst of 5: under Discord's 50/s
    assert sends[-1] >= 9.5  # 400 sends took ~10 s, not a burst


async def test_retry_after_blocks_the_bucket():
    now = [0.0]

    async def sleep(dt: float) -> None:
        now[0] += dt

    bucket = TokenBucket(10.0, monotonic=lambda: now[0], sleep=sleep)
    bucket.block(2.5)
    await bucket.acquire()
    assert now[0] >= 2.5


async def _members(app, n: int) -> None:
    for i in range(n):
        await add_member(app, f"u{i}", timezone="UTC", checkin_time="19:00")


async def test_configured_rate_never_trips_the_fakes_limit(sapp):
    server = RecorderServer(limit_per_second=12)
    await server.start()
    messenger = HttpMessenger(server.url, "discord")
    try:
        await _members(sapp, 16)
        sapp.clock.set(DUE)
        await claim_pass(sapp)
        limiter = platform_limiter("discord", discord_rate=10.0, slack_rate=1.0)
        stats = await Dispatcher(sapp.sessions, sapp.clock, messenger, limiter).drain()
    finally:
        await messenger.close()
        await server.stop()
    checkins = [r for r in await outbox_rows(sapp) if r.stream == "checkin"]
    assert stats.sent == len(checkins) == 16 and server.too_many == 0
    assert all(len(keys) == 1 for keys in server.per_user().values())


async def test_429_storm_and_5xx_are_retried_without_duplicates(sapp):
    """The fake allows 6/s while we are (mis)configured for 30/s, and fails with 502 three times."""
    server = RecorderServer(limit_per_second=6, fail_5xx_times=3)
    await server.start()
    messenger = HttpMessenger(server.url, "discord")
    clock: FrozenClock = sapp.clock  # type: ignore[assignment]
    try:
        await _members(sapp, 20)
        clock.set(DUE)
        await claim_pass(sapp)
        limiter = platform_limiter("discord", discord_rate=30.0, slack_rate=1.0)
        dispatcher = Dispatcher(sapp.sessions, clock, messenger, limiter, max_attempts=20)
        for _ in range(40):
            await dispatcher.drain()
            if all(r.status == "sent" for r in await outbox_rows(sapp)):
                break
            clock.advance(timedelta(minutes=2))
    finally:
        await messenger.close()
        await server.stop()
    rows = await outbox_rows(sapp)
    assert [r.status for r in rows if r.status != "sent"] == []
    per_user = server.per_user()
    assert len(per_user) == 20 and all(len(k) == 1 for k in per_user.values())
    # Every 429 blocks the bucket for its Retry-After, so a storm stays small: far below
    # Discord's 10,000 invalid requests per 10 minutes.
    assert server.too_many < 30 and server.requests < 60

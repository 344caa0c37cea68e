"""The Discord bucket's worst one-second window, on a fake clock: the default rate and burst
stay under Discord's 50 requests/s with room for jitter, and still give >= 90% of it."""

from __future__ import annotations

import random

import pytest

from bot.config import Settings
from bot.scheduler.ratelimit import (
    DISCORD_GLOBAL_LIMIT,
    WINDOW_MARGIN,
    TokenBucket,
    discord_burst,
    platform_limiter,
)


def worst_window(times: list[float]) -> int:
    """The most requests in any half-open 1 s window (the fake platform's rule)."""
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


async def take_tokens(
    bucket: TokenBucket, now: list[float], n: int, rng: random.Random, idle: bool
) -> list[float]:
    """`n` tokens through a fake clock; sleeps overshoot by up to 5 ms like a busy event loop,
    and with `idle` the caller sometimes pauses long enough for the bucket to fill again."""
    taken: list[float] = []
    for _ in range(n):
        if idle and rng.random() < 0.05:
            now[0] += rng.uniform(0.0, 0.5)
        await bucket.acquire()
        taken.append(now[0])
    return taken


def fake_clock(rng: random.Random) -> tuple[list[float], object]:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds + rng.uniform(0.0, 0.005)

    return now, sleep


@pytest.mark.parametrize("idle", [False, True])
async def test_default_discord_rate_stays_under_the_limit_in_every_one_second_window(idle):
    settings = Settings(_env_file=None)
    rng = random.Random(7)
    now, sleep = fake_clock(rng)
    limiter = platform_limiter(
        "discord",
        settings.discord_rate_per_second,
        settings.slack_rate_per_second,
        monotonic=lambda: now[0],
        sleep=sleep,  # type: ignore[arg-type]
    )
    bucket = limiter.bucket(("global",))
    assert bucket is not None
    assert bucket.burst >= 2  # a bucket that cannot hold a second token loses every oversleep
    assert bucket.burst + bucket.rate <= DISCORD_GLOBAL_LIMIT - WINDOW_MARGIN
    taken = await take_tokens(bucket, now, 2000, rng, idle)
    assert worst_window(taken) <= DISCORD_GLOBAL_LIMIT - WINDOW_MARGIN
    if not idle:
        # Back to back, the bucket gives at least 90% of the limit, oversleeping included.
        assert (len(taken) - 1) / (taken[-1] - taken[0]) >= 0.9 * DISCORD_GLOBAL_LIMIT


@pytest.mark.parametrize("rate", [10.0, 40.0, 45.0, 46.0, 47.0])
async def test_discord_burst_keeps_burst_plus_rate_under_the_limit(rate):
    rng = random.Random(int(rate))
    now, sleep = fake_clock(rng)
    bucket = TokenBucket(rate, discord_burst(rate), monotonic=lambda: now[0], sleep=sleep)  # type: ignore[arg-type]
    assert 1.0 <= bucket.burst <= max(1.0, rate / 8)
    taken = await take_tokens(bucket, now, 1000, rng, idle=True)
    assert worst_window(taken) <= min(DISCORD_GLOBAL_LIMIT - WINDOW_MARGIN, bucket.burst + rate)

"""Token buckets that keep scheduled sends under each platform's published limits.

A bucket of rate r and burst b admits at most b + r requests in any one-second
window (b at once, then r more as it refills). The bucket is kept shallow (at most
an eighth of a second's worth of tokens), and Discord's global bucket shallower
still: its burst is whatever keeps b + r at least `WINDOW_MARGIN` under Discord's
50 requests/s (`discord_burst`), so the default 46/s runs with a burst of 2 and no
one-second window sees more than 48 tokens taken. The margin covers requests that
reach the platform later than their token was taken (a DM's message goes out after
the request that opens its channel): the platform refuses the 51st request in a
window, so the spread of those delays may reach (51 - 48) / 46 s, about 65 ms.
A burst below 2 would cost throughput instead, since a bucket that cannot hold a
second token loses whatever its waiter oversleeps.
Slack allows about one message per second per channel. A 429's Retry-After blocks
the bucket until it has passed. A caller that must not wait that long (its rows'
claim would outlive the lease) passes `max_wait` and gets `WaitTooLong` instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Slack's chat.postMessage also has a workspace-wide budget of a few hundred a minute.
SLACK_WORKSPACE_RATE = 4.0
# Discord's global limit: requests per bot token in any one second.
DISCORD_GLOBAL_LIMIT = 50
# Requests of room left under a platform's per-second limit for timing jitter.
WINDOW_MARGIN = 2.0

# Float rounding can leave a bucket a hair short of a whole token; never spin on that.
_EPSILON = 1e-9
_MIN_WAIT = 1e-4


class WaitTooLong(Exception):
    """The bucket is blocked for longer than the caller may wait; `seconds` is how long."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"blocked for {seconds:.1f} s")
        self.seconds = seconds


class TokenBucket:
    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else shallow_burst(rate)
        self._monotonic = monotonic
        self._sleep = sleep
        self._tokens = self.burst
        self._updated = monotonic()
        self._blocked_until = 0.0
        self._lock = asyncio.Lock()

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def blocked_for(self) -> float:
        return max(0.0, self._blocked_until - self._monotonic())

    async def acquire(self, max_wait: float | None = None) -> None:
        """Wait for one token; callers are served in arrival order.

        With `max_wait`, a Retry-After block longer than that raises `WaitTooLong` rather
        than sleeping (checked again each time the caller wakes).
        """
        async with self._lock:
            while True:
                now = self._monotonic()
                self._refill(now)
                wait = self._blocked_until - now
                if max_wait is not None and wait > max_wait:
                    raise WaitTooLong(wait)
                if wait <= 0:
                    if self._tokens >= 1 - _EPSILON:
                        self._tokens = max(0.0, self._tokens - 1)
                        return
                    wait = max((1 - self._tokens) / self.rate, _MIN_WAIT)
                await self._sleep(wait)

    def block(self, seconds: float) -> None:
        """Send nothing for `seconds` (a 429's Retry-After), then start from an empty bucket."""
        now = self._monotonic()
        self._blocked_until = max(self._blocked_until, now + seconds)
        self._tokens = 0.0
        self._updated = max(self._updated, now)


def shallow_burst(rate: float) -> float:
    """An eighth of a second's worth of tokens, and never less than one."""
    return max(1.0, rate / 8)


def discord_burst(rate: float) -> float:
    """The burst for Discord's global bucket: shallow, and small enough that burst + rate
    stays `WINDOW_MARGIN` under `DISCORD_GLOBAL_LIMIT` (one token at the least, so a rate
    configured at or above the limit still sends, and draws the 429s it asked for)."""
    return max(1.0, min(shallow_burst(rate), DISCORD_GLOBAL_LIMIT - WINDOW_MARGIN - rate))


class RateLimiter:
    """Buckets by key, created on first use with the rate the key's kind calls for.

    `rate_for` gives a key's rate, or a (rate, burst) pair, or None for no limit.
    """

    def __init__(
        self,
        rate_for: Callable[[Hashable], float | tuple[float, float] | None],
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._rate_for = rate_for
        self._monotonic = monotonic
        self._sleep = sleep
        self._buckets: dict[Hashable, TokenBucket | None] = {}

    def bucket(self, key: Hashable) -> TokenBucket | None:
        if key not in self._buckets:
            spec = self._rate_for(key)
            rate, burst = spec if isinstance(spec, tuple) else (spec, None)
            self._buckets[key] = (
                TokenBucket(rate, burst, monotonic=self._monotonic, sleep=self._sleep) if rate else None
            )
        return self._buckets[key]

    async def acquire(self, keys: Iterable[Hashable], max_wait: float | None = None) -> None:
        for key in keys:
            b = self.bucket(key)
            if b is not None:
                await b.acquire(max_wait)

    def blocked_for(self, keys: Iterable[Hashable]) -> float:
        """The longest Retry-After block left on any of `keys`, in seconds."""
        waits = [b.blocked_for() for k in keys if (b := self.bucket(k)) is not None]
        return max(waits, default=0.0)

    def block(self, keys: Iterable[Hashable], seconds: float) -> None:
        for key in keys:
            b = self.bucket(key)
            if b is not None:
                b.block(seconds)


def platform_limiter(
    platform: str,
    discord_rate: float,
    slack_rate: float,
    monotonic: Monotonic = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> RateLimiter:
    """Keys are ("global",), ("workspace", id) and ("channel", id); see `keys_for`."""

    def rate_for(key: Hashable) -> float | tuple[float, float] | None:
        kind = key[0] if isinstance(key, tuple) else key
        if platform == "discord":
            return (discord_rate, discord_burst(discord_rate)) if kind == "global" else None
        if platform == "slack":
            if kind == "channel":
                return slack_rate
            if kind == "workspace":
                return max(slack_rate, SLACK_WORKSPACE_RATE)
        return None

    return RateLimiter(rate_for, monotonic, sleep)


def keys_for(workspace_id: str, channel: str) -> tuple[tuple[str, ...], ...]:
    return (("global",), ("workspace", workspace_id), ("channel", channel))

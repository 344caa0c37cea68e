"""Wrappers the runner puts around scheduled delivery: metrics and a gate for shutdown.

`GuardedMessenger` counts sends and failures by platform and reason, times each
send, and on `close()` stops new sends while letting the ones in flight finish.
A send attempted after closing raises `DeliveryStopped`, a CancelledError, so the
dispatcher's drain ends right there instead of recording a retry for every row it
had claimed; the caller then returns those rows to the outbox (see `bot.ops.shutdown`).

`CountingLimiter` wraps the dispatcher's RateLimiter to count token waits and
Retry-After blocks. Neither wrapper changes what is sent or when.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import TypeVar

from bot.core.identity import CommunityKey, MemberKey
from bot.core.ports import (
    Delivery,
    Messenger,
    PausedDeliveryError,
    PermanentDeliveryError,
    RejectedDeliveryError,
    RetryableDeliveryError,
)
from bot.core.replies import Reply
from bot.ops.metrics import Metrics
from bot.scheduler.ratelimit import RateLimiter

T = TypeVar("T")

# Waits shorter than this are the token bucket's normal pacing noise, not worth a sample.
MIN_WAIT = 0.001


class DeliveryStopped(asyncio.CancelledError):
    """Raised into the drain when a send is attempted after shutdown began."""


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, PermanentDeliveryError):
        return "permanent"
    if isinstance(exc, PausedDeliveryError):
        return "paused"
    if isinstance(exc, RejectedDeliveryError):
        return "rejected"
    if isinstance(exc, RetryableDeliveryError):
        return "rate_limited" if exc.retry_after is not None else "retryable"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    return "error"


class GuardedMessenger:
    def __init__(
        self,
        inner: Messenger,
        metrics: Metrics | None = None,
        monotonic: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.inner = inner
        self.platform = inner.platform
        self.metrics = metrics
        self._monotonic = monotonic
        self._closed = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._callers: set[asyncio.Task[object]] = set()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def send_dm(
        self, member: MemberKey, reply: Reply, *, key: str, dm_channel_id: str | None = None
    ) -> Delivery:
        return await self._guarded(
            "dm", lambda: self.inner.send_dm(member, reply, key=key, dm_channel_id=dm_channel_id)
        )

    async def post_channel(
        self,
        community: CommunityKey,
        channel_id: str,
        reply: Reply,
        *,
        key: str,
        thread_name: str | None = None,
        thread_reply: Reply | None = None,
    ) -> Delivery:
        return await self._guarded(
            "channel",
            lambda: self.inner.post_channel(
                community, channel_id, reply, key=key, thread_name=thread_name, thread_reply=thread_reply
            ),
        )

    async def probe(self, scope: str | None = None) -> bool:
        """The platform's own probe; True when it has none (the pause then lifts on its next try)."""
        probe = getattr(self.inner, "probe", None)
        return True if probe is None else bool(await probe(scope))

    async def find_sent(self, **kwargs: object) -> Delivery | None:
        """Look for an earlier attempt's message; None when the platform cannot tell."""
        if self._closed:
            raise DeliveryStopped("shutting down")
        find = getattr(self.inner, "find_sent", None)
        return None if find is None else await find(**kwargs)

    async def _guarded(self, target: str, send: Callable[[], Awaitable[T]]) -> T:
        if self._closed:
            raise DeliveryStopped("shutting down")
        task = asyncio.current_task()
        if task is not None:
            self._callers = {t for t in self._callers if not t.done()}
            self._callers.add(task)
        self._in_flight += 1
        self._idle.clear()
        started = self._monotonic()
        try:
            result = await send()
        except BaseException as exc:
            if self.metrics is not None:
                self.metrics.send_failures.labels(self.platform, failure_reason(exc)).inc()
            raise
        else:
            if self.metrics is not None:
                self.metrics.sends.labels(self.platform, target).inc()
            return result
        finally:
            if self.metrics is not None:
                self.metrics.send_seconds.labels(self.platform).observe(self._monotonic() - started)
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def close(self, grace: float) -> bool:
        """Refuse new sends; wait up to `grace` seconds for those in flight, then cancel them.

        Also waits (within the same budget) for the tasks that were sending to finish their
        bookkeeping, so nothing writes to the outbox after this returns. True if all finished.
        """
        self._closed = True
        deadline = asyncio.get_running_loop().time() + grace
        me = asyncio.current_task()
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            pass
        callers = {t for t in self._callers if not t.done() and t is not me}
        if not callers:
            return self._in_flight == 0
        remaining = max(0.0, deadline - asyncio.get_running_loop().time())
        _, pending = await asyncio.wait(callers, timeout=remaining) if remaining else (set(), callers)
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1.0)
        return not pending


class CountingLimiter:
    """A RateLimiter look-alike that records how long sends waited for tokens."""

    def __init__(
        self,
        inner: RateLimiter,
        metrics: Metrics,
        platform: str,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.metrics = metrics
        self.platform = platform
        self._monotonic = monotonic

    def bucket(self, key: Hashable):  # type: ignore[no-untyped-def]
        return self.inner.bucket(key)

    def blocked_for(self, keys: Iterable[Hashable]) -> float:
        return self.inner.blocked_for(keys)

    async def acquire(self, keys: Iterable[Hashable], max_wait: float | None = None) -> None:
        started = self._monotonic()
        await self.inner.acquire(keys, max_wait)
        waited = self._monotonic() - started
        if waited >= MIN_WAIT:
            self.metrics.ratelimit_waits.labels(self.platform).observe(waited)

    def block(self, keys: Iterable[Hashable], seconds: float) -> None:
        self.metrics.ratelimit_blocks.labels(self.platform).inc()
        self.inner.block(keys, seconds)

"""Delivery metrics and the shutdown gate: counting by reason, in-flight sends finishing,
claimed rows going back to the outbox, and a stop in the middle of a real scheduler run."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.adapters.memory.messenger import MemoryMessenger
from bot.core.identity import MemberKey
from bot.core.ports import PermanentDeliveryError, RetryableDeliveryError
from bot.core.replies import Reply
from bot.ops import metrics as ops_metrics
from bot.ops.delivery import CountingLimiter, DeliveryStopped, GuardedMessenger
from bot.ops.shutdown import release_claims, start_delivery
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.ratelimit import RateLimiter, platform_limiter
from bot.scheduler.service import claim_pass
from storage.models import OutboxMessage, Schedule

ADA = MemberKey("console", "local", "ada")


def value(metrics: ops_metrics.Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


class Gate(MemoryMessenger):
    """Sends wait until released; `started` says one is in flight."""

    def __init__(self, hold_from: int = 1) -> None:
        super().__init__(platform="console")
        self.hold_from = hold_from
        self.calls = 0
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def send_dm(self, member, reply, *, key, dm_channel_id=None):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls >= self.hold_from:
            self.started.set()
            await self.release.wait()
        return await super().send_dm(member, reply, key=key, dm_channel_id=dm_channel_id)


async def test_sends_and_failures_are_counted_by_platform_and_reason():
    metrics = ops_metrics.Metrics()
    inner = MemoryMessenger(platform="slack")
    inner.fail_next = [
        PermanentDeliveryError("50007"),
        RetryableDeliveryError("rate limited", retry_after=2.0),
        RetryableDeliveryError("HTTP 502"),
    ]
    guarded = GuardedMessenger(inner, metrics)
    assert guarded.platform == "slack"
    for _ in range(3):
        with pytest.raises((PermanentDeliveryError, RetryableDeliveryError)):
            await guarded.send_dm(ADA, Reply(text="hi"), key="k")
    await guarded.send_dm(ADA, Reply(text="hi"), key="k1")
    await guarded.post_channel(MemberKey("slack", "T", "x").community, "C1", Reply(text="p"), key="k2")

    class Slow:
        platform = "slack"

        async def send_dm(self, *a, **k):  # type: ignore[no-untyped-def]
            raise TimeoutError

    with pytest.raises(TimeoutError):
        await GuardedMessenger(Slow(), metrics).send_dm(ADA, Reply(text="x"), key="t")  # type: ignore[arg-type]
    for reason in ("permanent", "rate_limited", "retryable", "timeout"):
        assert value(metrics, "bot_delivery_failures_total", platform="slack", reason=reason) == 1
    assert value(metrics, "bot_deliveries_sent_total", platform="slack", target="dm") == 1
    assert value(metrics, "bot_deliveries_sent_total", platform="slack", target="channel") == 1
    assert value(metrics, "bot_delivery_duration_seconds_count", platform="slack") == 6


async def test_close_lets_the_send_in_flight_finish_and_refuses_new_ones():
    inner = Gate()
    guarded = GuardedMessenger(inner)
    sending = asyncio.create_task(guarded.send_dm(ADA, Reply(text="hi"), key="a"))
    await inner.started.wait()
    closing = asyncio.create_task(guarded.close(grace=30))
    await asyncio.sleep(0)
    assert guarded.closed and not closing.done()
    inner.release.set()
    assert (await sending).channel_id == "D-ada"
    assert await closing is True
    with pytest.raises(DeliveryStopped):
        await guarded.send_dm(ADA, Reply(text="late"), key="b")
    assert [s.key for s in inner.sent] == ["a"]


async def test_close_cancels_a_send_that_outlives_the_grace_period():
    inner = Gate()
    guarded = GuardedMessenger(inner)
    sending = asyncio.create_task(guarded.send_dm(ADA, Reply(text="hi"), key="a"))
    await inner.started.wait()
    assert await guarded.close(grace=0.05) is False
    assert sending.cancelled()
    assert guarded.in_flight == 0


async def test_rate_limit_waits_and_retry_after_blocks_are_counted():
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    metrics = ops_metrics.Metrics()
    inner = platform_limiter("discord", 4.0, 1.0, monotonic=lambda: now[0], sleep=sleep)
    limiter = CountingLimiter(inner, metrics, "discord", monotonic=lambda: now[0])
    for _ in range(3):
        await limiter.acquire([("global",)])
    limiter.block([("global",)], 2.0)
    await limiter.acquire([("global",)])
    assert value(metrics, "bot_ratelimit_wait_seconds_count", platform="discord") == 3
    assert value(metrics, "bot_ratelimit_wait_seconds_sum", platform="discord") == pytest.approx(2.5)
    assert value(metrics, "bot_ratelimit_blocks_total", platform="discord") == 1


async def due_checkins(app, users: list[str]) -> None:  # type: ignore[no-untyped-def]
    for user in users:
        reply = await app.engine.command(MemberKey("console", "local", user), "settings", {"timezone": "UTC"})
        assert not reply.error
    async with app.sessions() as s, s.begin():
        await s.execute(update(Schedule).values(next_due_at=app.clock.now() + timedelta(days=7)))
        await s.execute(
            update(Schedule)
            .where(Schedule.stream == "checkin")
            .values(next_due_at=app.clock.now() - timedelta(minutes=1))
        )


async def statuses(app) -> dict[str, tuple[str, int]]:  # type: ignore[no-untyped-def]
    async with app.sessions() as s:
        rows = (await s.execute(select(OutboxMessage))).scalars()
        return {r.key: (r.status, r.attempts) for r in rows}


async def test_a_drain_stopped_mid_chunk_returns_unsent_claims_and_they_go_out_once(app):
    await due_checkins(app, ["a", "b", "c", "d"])
    await claim_pass(app)
    inner = Gate(hold_from=2)
    guarded = GuardedMessenger(inner)
    dispatcher = Dispatcher(app.sessions, app.clock, guarded, RateLimiter(lambda _k: None), worker="w1")
    drain = asyncio.create_task(dispatcher.drain())
    await inner.started.wait()  # one sent, the second in flight, two more claimed
    assert sorted(s for s, _ in (await statuses(app)).values()) == ["sending"] * 3 + ["sent"]
    assert await guarded.close(grace=0.05) is False
    assert drain.done()
    assert await release_claims(app.sessions, "w1") == 3
    assert sorted((await statuses(app)).values()) == [("pending", 0)] * 3 + [("sent", 1)]

    again = MemoryMessenger(platform="console")
    await Dispatcher(app.sessions, app.clock, again, RateLimiter(lambda _k: None), worker="w2").drain()
    assert len(inner.sent) + len(again.sent) == 4
    assert {s.key for s in inner.sent} | {s.key for s in again.sent} == set(await statuses(app))
    assert {s for s, _ in (await statuses(app)).values()} == {"sent"}


async def test_stopping_a_running_scheduler_finishes_the_send_in_flight_and_releases_the_rest(app):
    ops_metrics.install(app)
    app.settings.delivery_concurrency = 1  # one send in flight, so the gate is seen mid-delivery
    await due_checkins(app, ["a", "b", "c"])
    inner = Gate(hold_from=1)
    handle = start_delivery(app, inner, grace=30)
    await inner.started.wait()
    stopping = asyncio.create_task(handle.stop())
    await asyncio.sleep(0.01)
    inner.release.set()  # the send in flight completes inside the grace period
    await stopping
    assert not handle.scheduler.scheduler.running
    got = await statuses(app)
    assert sorted(s for s, _ in got.values()) == ["pending", "pending", "sent"]
    assert [s.key for s in inner.sent] == [k for k, (s, _) in got.items() if s == "sent"]
    metrics = ops_metrics.of(app)
    assert metrics is not None
    assert value(metrics, "bot_deliveries_sent_total", platform="console", target="dm") == 1

"""Dispatch throughput without giving up safety: sends' outcomes written together, the next
chunk claimed while one is sent, and what a failed write or a permanent failure in the
middle of a drain leaves behind."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.adapters.memory.messenger import MemoryMessenger
from bot.core import outbox
from bot.core.ports import Delivery, PermanentDeliveryError
from bot.core.replies import Reply
from bot.scheduler import dispatcher as dispatcher_module
from bot.scheduler.dispatcher import Dispatcher
from storage.models import Member
from tests.scheduler.conftest import add_member, no_limits, outbox_rows

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


async def queue_dms(app, users: list[str], streams: tuple[str, ...] = ("checkin",)) -> None:  # type: ignore[no-untyped-def]
    """One DM per user and stream, due now, with its content already built."""
    for user in users:
        await add_member(app, user, timezone="UTC")
    async with app.sessions() as s, s.begin():
        members = (await s.execute(select(Member).order_by(Member.id))).scalars().all()
        for member in members:
            for stream in streams:
                await outbox.add_dm(
                    s,
                    member,
                    key=f"{stream}:{member.id}:test",
                    stream=stream,
                    reply=Reply(text=f"hello {member.user_id}"),
                    now=NOW,
                    not_before=NOW - timedelta(minutes=1),
                    expires_at=NOW + timedelta(hours=1),
                )
    app.clock.set(NOW)


class Together(MemoryMessenger):
    """Holds each send until `n` are in flight, then lets them all finish at once."""

    def __init__(self, n: int) -> None:
        super().__init__(platform="discord")
        self.n = n
        self.in_flight = 0
        self.all_in = asyncio.Event()

    async def send_dm(self, member, reply, *, key, dm_channel_id=None) -> Delivery:  # type: ignore[no-untyped-def]
        self.in_flight += 1
        if self.in_flight >= self.n:
            self.all_in.set()
        await self.all_in.wait()
        return await super().send_dm(member, reply, key=key, dm_channel_id=dm_channel_id)


async def test_outcomes_of_sends_that_finish_together_are_written_in_one_transaction(sapp):
    users = [f"u{i}" for i in range(8)]
    await queue_dms(sapp, users)
    batches: list[int] = []

    class Spy(Dispatcher):
        async def _write_sent(self, outcomes):  # type: ignore[no-untyped-def]
            batches.append(len(outcomes))
            await super()._write_sent(outcomes)

    messenger = Together(4)
    stats = await Spy(sapp.sessions, sapp.clock, messenger, no_limits(), concurrency=4).drain()
    assert stats.sent == 8 and sum(batches) == 8
    assert max(batches) >= 2 and len(batches) < 8
    rows = await outbox_rows(sapp)
    assert all(r.status == "sent" and r.message_id and r.sent_at == NOW for r in rows)
    async with sapp.sessions() as s:
        channels = (await s.execute(select(Member.user_id, Member.dm_channel_id))).all()
    assert sorted(channels) == sorted((u, f"D-{u}") for u in users)


async def test_no_transaction_writes_more_than_its_share_of_outcomes(sapp, monkeypatch):
    users = [f"u{i}" for i in range(8)]
    await queue_dms(sapp, users)
    monkeypatch.setattr(dispatcher_module, "SENT_PER_TRANSACTION", 3)
    batches: list[int] = []

    class Spy(Dispatcher):
        async def _write_sent(self, outcomes):  # type: ignore[no-untyped-def]
            batches.append(len(outcomes))
            await super()._write_sent(outcomes)

    stats = await Spy(sapp.sessions, sapp.clock, Together(8), no_limits(), concurrency=8).drain()
    assert stats.sent == 8 and sum(batches) == 8
    assert max(batches) == 3
    assert all(r.status == "sent" for r in await outbox_rows(sapp))


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_the_next_chunk_is_claimed_while_the_current_one_is_being_sent(sapp, monkeypatch, concurrency):
    monkeypatch.setattr(dispatcher_module, "CLAIM_CHUNK", 3)
    await queue_dms(sapp, [f"u{i}" for i in range(7)])
    claims_done = 0
    second_claim = asyncio.Event()

    class Counting(Dispatcher):
        async def _claim(self, limit, stats):  # type: ignore[no-untyped-def]
            nonlocal claims_done
            result = await super()._claim(limit, stats)
            claims_done += 1
            if claims_done == 2:
                second_claim.set()
            return result

    class WaitsForTheNextClaim(MemoryMessenger):
        seen_during_first_send = 0

        async def send_dm(self, member, reply, *, key, dm_channel_id=None) -> Delivery:  # type: ignore[no-untyped-def]
            if not self.sent:
                # Deadlock guard only: a drain that claimed after sending would never set it.
                await asyncio.wait_for(second_claim.wait(), 30)
                self.seen_during_first_send = claims_done
            return await super().send_dm(member, reply, key=key, dm_channel_id=dm_channel_id)

    messenger = WaitsForTheNextClaim(platform="discord")
    dispatcher = Counting(sapp.sessions, sapp.clock, messenger, no_limits(), concurrency=concurrency)
    stats = await dispatcher.drain()
    assert messenger.seen_during_first_send == 2
    assert stats.sent == 7 and claims_done == 3
    assert sorted(s.key for s in messenger.sent) == sorted(r.key for r in await outbox_rows(sapp))
    assert {r.status for r in await outbox_rows(sapp)} == {"sent"}


async def test_a_failed_outcome_write_leaves_rows_to_the_lease_and_they_go_out_with_the_same_key(sapp):
    await queue_dms(sapp, ["a", "b", "c"])
    messenger = MemoryMessenger(platform="discord")

    class RecordingFails(Dispatcher):
        async def _write_sent(self, outcomes):  # type: ignore[no-untyped-def]
            raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        await RecordingFails(sapp.sessions, sapp.clock, messenger, no_limits(), concurrency=4).drain()
    first = [s.key for s in messenger.sent]
    assert first  # sent, but the outcome was never written
    assert {r.status for r in await outbox_rows(sapp) if r.key in first} == {"sending"}

    sapp.clock.set(NOW + timedelta(minutes=6))  # past the 5-minute lease
    await Dispatcher(sapp.sessions, sapp.clock, messenger, no_limits(), concurrency=4).drain()
    rows = await outbox_rows(sapp)
    assert {r.status for r in rows} == {"sent"}
    # Sent again under the same key, which the platform's nonce dedupes (as before batching).
    again = [s.key for s in messenger.sent[len(first) :]]
    assert sorted(set(first) - set(again)) == [] and sorted(again) == sorted(r.key for r in rows)


async def test_a_permanent_failure_stops_the_members_other_dms_already_claimed_in_this_drain(
    sapp, monkeypatch
):
    monkeypatch.setattr(dispatcher_module, "CLAIM_CHUNK", 1)
    await queue_dms(sapp, ["closed"], streams=("checkin", "nudge"))
    second_claim = asyncio.Event()

    class Counting(Dispatcher):
        claims = 0

        async def _claim(self, limit, stats):  # type: ignore[no-untyped-def]
            result = await super()._claim(limit, stats)
            self.claims += 1
            if self.claims == 2:
                second_claim.set()
            return result

    class FailsOnceTheNudgeIsClaimed(MemoryMessenger):
        async def send_dm(self, member, reply, *, key, dm_channel_id=None) -> Delivery:  # type: ignore[no-untyped-def]
            await asyncio.wait_for(second_claim.wait(), 30)  # deadlock guard only
            return await super().send_dm(member, reply, key=key, dm_channel_id=dm_channel_id)

    messenger = FailsOnceTheNudgeIsClaimed(platform="discord")
    messenger.fail_next.append(PermanentDeliveryError("50007: Cannot send messages to this user"))
    stats = await Counting(sapp.sessions, sapp.clock, messenger, no_limits()).drain()
    assert messenger.sent == [] and stats.failed == 1 and stats.dropped == 1
    rows = {r.stream: (r.status, r.last_error) for r in await outbox_rows(sapp)}
    assert rows["checkin"][0] == "failed"
    assert rows["nudge"] == ("dropped", "DMs blocked")

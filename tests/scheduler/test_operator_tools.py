"""Operator tools around delivery: `members unblock`, retention, and a quiet long drain."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import select

from bot.adapters.memory.messenger import MemoryMessenger
from bot.core.ports import PermanentDeliveryError
from bot.ops.unblock import unblock
from bot.scheduler.retention import prune
from bot.scheduler.service import start_scheduler
from storage.models import Member, OutboxMessage, SeenEvent
from tests.scheduler.conftest import T0, add_member, key, outbox_rows, schedule_row, step


async def test_unblock_lists_by_reason_then_turns_the_chosen_members_back_on(sapp):
    ids = [await add_member(sapp, u, timezone="UTC", checkin_time="19:00") for u in ("ada", "bo", "cy")]
    await sapp.engine.command(key("cy"), "settings", {"stream": "nudge", "enabled": "off"})
    messenger = MemoryMessenger(platform="discord")
    messenger.fail_next += [
        PermanentDeliveryError("dm_closed: Cannot send messages to this user"),
        PermanentDeliveryError("dm_closed: Cannot send messages to this user"),
        PermanentDeliveryError("unknown_user: Unknown User"),
    ]
    await step(sapp, messenger, T0.replace(hour=19))
    listed = await unblock(sapp, None)
    assert dict(listed.by_reason) == {
        "dm_closed: Cannot send messages to this user": 2,
        "unknown_user: Unknown User": 1,
    }
    assert listed.unblocked == []  # listing changes nothing
    assert not (await schedule_row(sapp, ids[0], "checkin")).enabled

    done = await unblock(sapp, "dm_closed")
    assert len(done.unblocked) == 2
    async with sapp.sessions() as s:
        members = {m.user_id: m for m in (await s.execute(select(Member))).scalars()}
    still = [u for u, m in members.items() if m.dm_blocked_reason]
    assert len(still) == 1 and members[still[0]].dm_blocked_reason.startswith("unknown_user")
    for user, member in members.items():
        row = await schedule_row(sapp, member.id, "checkin")
        assert row.enabled == (user not in still)
        if row.enabled:
            assert row.next_due_at is not None and row.next_due_at > T0.replace(hour=19)
    if "cy" not in still:  # a stream the member turned off themselves stays off
        assert not (await schedule_row(sapp, members["cy"].id, "nudge")).enabled


async def test_cli_members_unblock_prints_the_reasons(sapp, capsys):
    from bot.cli import _members_unblock

    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    messenger = MemoryMessenger(platform="discord")
    messenger.fail_next.append(PermanentDeliveryError("dm_closed: no"))
    await step(sapp, messenger, T0.replace(hour=19))
    assert await _members_unblock(sapp.settings, None) == 0
    assert "1  dm_closed: no" in capsys.readouterr().out
    assert await _members_unblock(sapp.settings, "dm_closed") == 0
    assert "1 member(s)" in capsys.readouterr().out


async def test_retention_clears_old_payloads_and_old_event_ids(sapp):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    messenger = MemoryMessenger(platform="discord")
    await step(sapp, messenger, T0.replace(hour=19))
    later = T0 + timedelta(days=3)
    async with sapp.sessions() as s, s.begin():
        s.add(SeenEvent(platform="slack", event_id="old", seen_at=T0))
        s.add(SeenEvent(platform="slack", event_id="new", seen_at=later - timedelta(hours=1)))
    stats = await prune(sapp.sessions, later, outbox_days=30, events_days=2)
    assert (stats.payloads_cleared, stats.events_deleted) == (0, 1)
    [row] = await outbox_rows(sapp)
    assert row.payload
    stats = await prune(sapp.sessions, T0 + timedelta(days=31), outbox_days=30, events_days=2)
    assert stats.payloads_cleared == 1
    [row] = await outbox_rows(sapp)
    assert row.payload == {} and row.status == "sent" and row.key  # the key stays: never resent
    async with sapp.sessions() as s:
        assert [e.event_id for e in (await s.execute(select(SeenEvent))).scalars()] == []
    again = await prune(sapp.sessions, T0 + timedelta(days=31), outbox_days=30, events_days=2)
    assert again.payloads_cleared == 0


async def test_a_long_drain_does_not_warn_about_running_instances(sapp, caplog):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    sapp.clock.set(T0.replace(hour=19))
    gate = asyncio.Event()

    class Slow(MemoryMessenger):
        calls = 0

        async def send_dm(self, member, reply, *, key, dm_channel_id=None):  # type: ignore[no-untyped-def]
            Slow.calls += 1
            await gate.wait()
            return await super().send_dm(member, reply, key=key, dm_channel_id=dm_channel_id)

    settings = sapp.settings.model_copy(update={"scheduler_interval_seconds": 0.05})
    object.__setattr__(sapp, "settings", settings)
    with caplog.at_level(logging.WARNING, logger="apscheduler"):
        handle = start_scheduler(sapp, Slow(platform="discord"))
        try:
            for _ in range(200):
                if Slow.calls:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.3)  # several drain intervals pass while the first drain waits
        finally:
            gate.set()
            await asyncio.sleep(0.05)
            await handle.stop()
    assert Slow.calls == 1
    skipped = [
        r.getMessage() for r in caplog.records if "maximum number of running instances" in r.getMessage()
    ]
    assert not [m for m in skipped if "drain_job" in m], skipped
    async with sapp.sessions() as s:
        assert (await s.execute(select(OutboxMessage.status))).scalars().all() == ["sent"]

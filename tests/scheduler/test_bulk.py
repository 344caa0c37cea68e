"""A peak minute: many members due at once are claimed in bulk and delivered concurrently."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from bot.core.replies import render_text
from bot.scheduler.claims import claim_due
from bot.scheduler.dispatcher import Dispatcher
from storage import repo
from storage.models import Member, OutboxMessage, Schedule
from tests.scheduler.conftest import T0, key, no_limits

MEMBERS = 300


async def seed(app, count: int, due: datetime) -> None:
    async with app.sessions() as s, s.begin():
        community = await repo.get_or_create_community(s, key("x").community, T0)
        rows = [
            {"community_id": community.id, "platform": "discord", "workspace_id": "g1",
             "user_id": f"u{i}", "timezone": "UTC", "timezone_source": "member", "hours_per_week": 5.0,
             "checkin_time": "19:00", "checkin_days": "0123456", "nudge_weekday": 6,
             "dm_blocked_notice": False, "created_at": T0}
            for i in range(count)
        ]  # fmt: skip
        await s.execute(insert(Member), rows)
        ids = (await s.execute(select(Member.id))).scalars().all()
        await s.execute(
            insert(Schedule),
            [{"member_id": i, "stream": "checkin", "enabled": True, "next_due_at": due} for i in ids],
        )


async def test_a_peak_minute_is_claimed_in_bulk_and_each_member_gets_one_message(sapp, messenger):
    due = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    await seed(sapp, MEMBERS, due)
    sapp.clock.set(due)
    stats = await claim_due(sapp.sessions, sapp.catalog, due, batch=128)
    assert stats.queued == MEMBERS and stats.duplicate == 0
    async with sapp.sessions() as s:
        pending = (
            await s.execute(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
            )
        ).scalar_one()
        next_due = set((await s.execute(select(Schedule.next_due_at))).scalars())
    assert pending == MEMBERS
    assert next_due == {due + timedelta(days=1)}

    again = await claim_due(sapp.sessions, sapp.catalog, due, batch=128)
    assert again.queued == 0, "claimed slots are not claimed twice"

    drained = await Dispatcher(sapp.sessions, sapp.clock, messenger, no_limits(), concurrency=8).drain()
    assert drained.sent == MEMBERS
    per_user = Counter(s.to for s in messenger.sent)
    assert len(per_user) == MEMBERS and set(per_user.values()) == {1}
    assert all("Streak" in render_text(s.reply) for s in messenger.sent), "messages are built at send time"
    async with sapp.sessions() as s:
        statuses = Counter((await s.execute(select(OutboxMessage.status))).scalars())
    assert statuses == {"sent": MEMBERS}


async def test_a_database_failure_mid_batch_keeps_every_slot_for_the_next_pass(sapp, monkeypatch):
    from sqlalchemy.exc import OperationalError

    import bot.scheduler.claims as claims

    due = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    await seed(sapp, 5, due)
    real = claims._next_due
    calls = {"n": 0}

    async def flaky(session, r, memo):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OperationalError("SELECT", {}, Exception("database is locked"))
        return await real(session, r, memo)

    monkeypatch.setattr(claims, "_next_due", flaky)
    try:
        await claim_due(sapp.sessions, sapp.catalog, due, batch=128)
    except OperationalError:
        pass
    async with sapp.sessions() as s:
        assert (await s.execute(select(func.count()).select_from(OutboxMessage))).scalar_one() == 0
        enabled = set((await s.execute(select(Schedule.enabled))).scalars())
    assert enabled == {True}, "no stream is turned off by a database hiccup"
    monkeypatch.setattr(claims, "_next_due", real)
    stats = await claim_due(sapp.sessions, sapp.catalog, due, batch=128)
    assert stats.queued == 5


async def test_a_retry_sends_the_message_that_was_first_built(sapp, messenger):
    from bot.core.ports import RetryableDeliveryError

    due = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    await seed(sapp, 1, due)
    sapp.clock.set(due)
    await claim_due(sapp.sessions, sapp.catalog, due, batch=10)
    messenger.fail_next.append(RetryableDeliveryError("busy", retry_after=1))
    first = await Dispatcher(sapp.sessions, sapp.clock, messenger, no_limits()).drain()
    assert first.retried == 1 and not messenger.sent
    async with sapp.sessions() as s:
        built = (await s.execute(select(OutboxMessage.payload))).scalar_one()
    assert "reply" in built, "the built message is kept with the retry"

    await sapp.engine.command(key("u0"), "checkin", {"minutes": 20})  # the streak changes meanwhile
    sapp.clock.set(due + timedelta(seconds=30))
    await Dispatcher(sapp.sessions, sapp.clock, messenger, no_limits()).drain()
    (sent,) = messenger.sent
    from bot.core.reply_codec import reply_to_dict

    assert reply_to_dict(sent.reply) == built["reply"]

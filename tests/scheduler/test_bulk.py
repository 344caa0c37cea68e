"""A peak minute: many members due at once are claimed in bulk and delivered concurrently."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update

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
    stats = await claim_due(sapp.sessions, due, batch=128)
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

    again = await claim_due(sapp.sessions, due, batch=128)
    assert again.queued == 0, "claimed slots are not claimed twice"

    drained = await Dispatcher(sapp.sessions, sapp.clock, messenger, no_limits(), concurrency=8).drain()
    assert drained.sent == MEMBERS
    per_user = Counter(s.to for s in messenger.sent)
    assert len(per_user) == MEMBERS and set(per_user.values()) == {1}
    assert all("Streak" in render_text(s.reply) for s in messenger.sent), "messages are built at send time"
    async with sapp.sessions() as s:
        statuses = Counter((await s.execute(select(OutboxMessage.status))).scalars())
    assert statuses == {"sent": MEMBERS}


async def test_a_database_failure_mid_chunk_keeps_every_slot_for_the_next_pass(sapp, monkeypatch):
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError, ProgrammingError

    import bot.scheduler.claims as claims

    due = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    await seed(sapp, 5, due)
    real = claims._advance_statement
    # The outbox rows are written, then the schedule update fails inside the database.
    monkeypatch.setattr(claims, "_advance_statement", lambda *_: text("UPDATE no_such_table SET x = 1"))
    with pytest.raises((OperationalError, ProgrammingError)):  # SQLite's class, PostgreSQL's
        await claim_due(sapp.sessions, due, batch=128)
    async with sapp.sessions() as s:
        assert (await s.execute(select(func.count()).select_from(OutboxMessage))).scalar_one() == 0
        rows = (await s.execute(select(Schedule.enabled, Schedule.next_due_at))).all()
    assert set(rows) == {(True, due)}, "nothing advanced and no stream turned off by a database error"
    monkeypatch.setattr(claims, "_advance_statement", real)
    stats = await claim_due(sapp.sessions, due, batch=128)
    assert stats.queued == 5


async def test_a_pass_is_split_into_transactions_of_bounded_size_even_inside_one_instant(sapp, monkeypatch):
    import bot.scheduler.claims as claims

    due = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    await seed(sapp, 40, due)
    async with sapp.sessions() as s, s.begin():
        ids = (await s.execute(select(Member.id).order_by(Member.id))).scalars().all()
        # 5 members due at 19:00, 5 at 19:01 and 30 at 19:02.
        for minute, group in ((1, ids[5:10]), (2, ids[10:])):
            await s.execute(
                update(Schedule)
                .where(Schedule.member_id.in_(group))
                .values(next_due_at=due + timedelta(minutes=minute))
            )
    chunks = []
    real = claims._claim_chunk

    async def spy(pinned, span, now, wanted):
        done = await real(pinned, span, now, wanted)
        chunks.append(done.queued)
        return done

    monkeypatch.setattr(claims, "CHUNK_ROWS", 12)
    monkeypatch.setattr(claims, "MEMBER_BLOCK", 4)
    monkeypatch.setattr(claims, "_claim_chunk", spy)
    stats = await claim_due(sapp.sessions, due + timedelta(minutes=2), batch=128)
    # Member ids 1-40 in blocks of 4: the two small instants share the first transaction and
    # the 30 members due at 19:02 are split at block boundaries, none over CHUNK_ROWS.
    assert chunks == [11, 12, 12, 5]
    assert stats.queued == 40 and stats.duplicate == 0
    async with sapp.sessions() as s:
        keys = (await s.execute(select(OutboxMessage.key))).scalars().all()
        advanced = set((await s.execute(select(Schedule.next_due_at))).scalars())
    assert sorted(keys) == sorted(f"checkin:{i}:2026-03-02" for i in ids)
    assert advanced == {due + timedelta(days=1)}, "each advances to its member's next 19:00"


async def test_a_retry_sends_the_message_that_was_first_built(sapp, messenger):
    from bot.core.ports import RetryableDeliveryError

    due = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    await seed(sapp, 1, due)
    sapp.clock.set(due)
    await claim_due(sapp.sessions, due, batch=10)
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


@pytest.mark.parametrize("one_row_chunks", [False, True], ids=["default chunks", "one row a chunk"])
async def test_every_kind_of_cohort_is_claimed_the_same_way_on_each_database(
    any_db_url, shared_catalog, monkeypatch, one_row_chunks
):
    """Queued, stale, duplicate, blocked, paused and unschedulable cohorts in one pass;
    cut into one-row chunks, the pass writes and counts exactly the same."""
    import bot.scheduler.claims as claims
    from bot.core.clock import FrozenClock
    from tests.scheduler.conftest import make_app

    if one_row_chunks:
        monkeypatch.setattr(claims, "CHUNK_ROWS", 1)
        monkeypatch.setattr(claims, "MEMBER_BLOCK", 1)

    now = datetime(2026, 3, 3, 19, 30, tzinfo=UTC)
    app = make_app(any_db_url, FrozenClock(now), shared_catalog)
    try:
        await seed(app, 12, now - timedelta(minutes=30))
        groups = {
            "queued": {},
            "stale": {"timezone": "Pacific/Kiritimati"},  # 19:00 UTC was 09:00 the next day there
            "blocked": {"dm_blocked_reason": "50007"},
            "paused": {"paused_until": date(2026, 3, 10)},
            "broken": {"timezone": "Mars/Olympus_Mons"},
            "duplicate": {"checkin_time": "19:00", "nudge_weekday": 2},
        }
        async with app.sessions() as s, s.begin():
            ids = (await s.execute(select(Member.id).order_by(Member.id))).scalars().all()
            for n, values in enumerate(groups.values()):
                if values:
                    await s.execute(
                        update(Member).where(Member.id.in_(ids[n * 2 : n * 2 + 2])).values(**values)
                    )
            stale_ids = ids[2:4]
            await s.execute(
                update(Schedule)
                .where(Schedule.member_id.in_(stale_ids))
                .values(next_due_at=datetime(2026, 3, 2, 19, 0, tzinfo=UTC))
            )
            dup = ids[10]
            await s.execute(
                insert(OutboxMessage).values(
                    key=f"checkin:{dup}:2026-03-03", platform="discord", stream="checkin", member_id=dup,
                    payload={}, status="sent", not_before=now, created_at=now,
                )
            )  # fmt: skip
        stats = await claim_due(app.sessions, now, batch=128)
        assert (stats.queued, stats.stale, stats.duplicate, stats.skipped, stats.errors) == (3, 2, 1, 4, 2)
        async with app.sessions() as s:
            out = {
                r.key: (r.status, r.last_error) for r in (await s.execute(select(OutboxMessage))).scalars()
            }
            sched = {r.member_id: r for r in (await s.execute(select(Schedule))).scalars()}
        assert out[f"checkin:{ids[0]}:2026-03-03"] == ("pending", None)
        assert out[f"checkin:{ids[2]}:2026-03-03"] == ("dropped", "stale")  # Kiritimati's local day
        assert out[f"checkin:{dup}:2026-03-03"] == ("sent", None), "an existing slot is left as it was"
        assert len(out) == 6
        tomorrow = datetime(2026, 3, 4, 19, 0, tzinfo=UTC)
        for i in (0, 1, 4, 5, 10, 11):
            assert (sched[ids[i]].enabled, sched[ids[i]].next_due_at) == (True, tomorrow)
        assert sched[ids[6]].next_due_at == datetime(2026, 3, 10, 19, 0, tzinfo=UTC), (
            "resumes after the pause"
        )
        for i in (8, 9):
            assert (sched[ids[i]].enabled, sched[ids[i]].disabled_reason) == (False, "could not be scheduled")
        again = await claim_due(app.sessions, now, batch=128)
        assert (again.queued, again.stale, again.duplicate, again.skipped, again.errors) == (0, 0, 0, 0, 0)
    finally:
        await app.close()


async def test_a_pass_writes_its_cohorts_once_however_many_chunks_it_takes(sapp, monkeypatch):
    """The schedule maths and the cohort table are per pass, not per chunk: 40 members with
    the same settings are one cohort row, written once, for eleven chunks."""
    from sqlalchemy import event

    import bot.scheduler.claims as claims

    due = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    await seed(sapp, 40, due)
    monkeypatch.setattr(claims, "CHUNK_ROWS", 4)
    monkeypatch.setattr(claims, "MEMBER_BLOCK", 4)
    cohort_rows, chunks = [], []

    def count(_conn, _cursor, statement, parameters, _ctx, many):
        flat = " ".join(statement.split()).lower()
        if flat.startswith("insert into claim_cohorts"):
            cohort_rows.append(len(parameters) if many else 1)
        elif flat.startswith("update schedules") and "claim_cohorts" in flat:
            chunks.append(1)

    event.listen(sapp.db.sync_engine, "before_cursor_execute", count)
    try:
        stats = await claim_due(sapp.sessions, due, batch=128)
    finally:
        event.remove(sapp.db.sync_engine, "before_cursor_execute", count)
    assert stats.queued == 40 and stats.duplicate == 0
    assert len(chunks) == 11, "member ids 1-40 in blocks of 4: ids 1-3, nine blocks of 4, then 40"
    assert sum(cohort_rows) == 1


async def test_a_chunk_inside_one_instant_reads_only_its_own_slice_of_the_due_index(sapp, monkeypatch):
    """SQLite's plan for a chunk cut inside one instant: a range of the due index on the member
    id, not a walk over every member due at that instant."""
    from sqlalchemy import event

    import bot.scheduler.claims as claims

    if sapp.db.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    due = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    await seed(sapp, 40, due)
    monkeypatch.setattr(claims, "CHUNK_ROWS", 8)
    monkeypatch.setattr(claims, "MEMBER_BLOCK", 8)
    plans: dict[str, list[str]] = {}

    def explain(conn, cursor, statement, parameters, _ctx, many):
        flat = " ".join(statement.split()).lower()
        if flat.startswith("insert into outbox") and "claim_cohorts" in flat:
            name = "queue"
        elif flat.startswith("update schedules") and "claim_cohorts" in flat:
            name = "advance"
        else:
            return
        if many or name in plans:
            return
        raw = conn.connection.dbapi_connection.cursor()
        try:
            raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            plans[name] = [str(r[3]) for r in raw.fetchall()]
        finally:
            raw.close()

    event.listen(sapp.db.sync_engine, "before_cursor_execute", explain)
    try:
        stats = await claim_due(sapp.sessions, due, batch=128)
    finally:
        event.remove(sapp.db.sync_engine, "before_cursor_execute", explain)
    assert stats.queued == 40
    for name in ("queue", "advance"):
        searches = [line for line in plans[name] if "schedules USING" in line]
        assert searches, plans[name]
        assert all("member_id>? AND member_id<?" in line for line in searches), plans[name]

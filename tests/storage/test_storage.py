"""Storage behaviour, run against SQLite and (when TEST_POSTGRES_URL is set) PostgreSQL."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from bot.core.identity import MemberKey
from storage import repo
from storage.db import make_engine, make_sessionmaker
from storage.migrate import current_revision, head_revision, upgrade
from storage.models import CheckIn, Member, OutboxMessage, Schedule

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
async def sessions(any_db_url):
    engine = make_engine(any_db_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def test_migrations_build_the_schema_and_are_idempotent(any_db_url):
    engine = make_engine(any_db_url)
    try:
        assert await current_revision(engine) == head_revision()
        await upgrade(any_db_url)
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            indexes = await conn.run_sync(lambda c: {i["name"] for i in inspect(c).get_indexes("schedules")})
        assert {"members", "communities", "schedules", "outbox", "checkins", "plans"} <= tables
        assert "ix_schedules_due" in indexes
    finally:
        await engine.dispose()


async def test_member_identity_is_platform_workspace_user(sessions):
    key = MemberKey("discord", "g1", "u1")
    async with sessions() as s, s.begin():
        community = await repo.get_or_create_community(s, key.community, NOW)
        member = await repo.create_member(s, community, key, NOW, "Asia/Kathmandu")
        same_user_other_guild = MemberKey("discord", "g2", "u1")
        c2 = await repo.get_or_create_community(s, same_user_other_guild.community, NOW)
        other = await repo.create_member(s, c2, same_user_other_guild, NOW)
    assert member.id != other.id
    assert member.timezone == "Asia/Kathmandu" and member.timezone_source == "platform"
    assert other.timezone == "UTC"
    async with sessions() as s:
        found = await repo.find_member(s, key)
        assert found is not None and found.id == member.id
        schedules = await repo.schedules(s, member.id)
        assert set(schedules) == {"checkin", "nudge", "paper", "reassess"}
    with pytest.raises(IntegrityError):
        async with sessions() as s, s.begin():
            s.add(
                Member(
                    community_id=community.id,
                    platform="discord",
                    workspace_id="g1",
                    user_id="u1",
                    created_at=NOW,
                )
            )


async def test_community_get_or_create_is_stable(sessions):
    key = MemberKey("slack", "T1", "U1").community
    async with sessions() as s, s.begin():
        a = await repo.get_or_create_community(s, key, NOW)
    async with sessions() as s, s.begin():
        b = await repo.get_or_create_community(s, key, NOW)
    assert a.id == b.id


async def test_utc_datetimes_round_trip_aware(sessions):
    key = MemberKey("test", "w", "u")
    async with sessions() as s, s.begin():
        c = await repo.get_or_create_community(s, key.community, NOW)
        m = await repo.create_member(s, c, key, NOW)
        sched = (await repo.schedules(s, m.id))["checkin"]
        sched.next_due_at = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    async with sessions() as s:
        row = (await s.execute(select(Schedule).where(Schedule.stream == "checkin"))).scalar_one()
        assert row.next_due_at == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
        assert row.next_due_at.tzinfo is not None


async def test_outbox_keys_are_unique(sessions):
    async with sessions() as s, s.begin():
        s.add(
            OutboxMessage(
                key="checkin:1:2026-11-29",
                platform="test",
                stream="checkin",
                payload={},
                not_before=NOW,
                created_at=NOW,
            )
        )
    with pytest.raises(IntegrityError):
        async with sessions() as s, s.begin():
            s.add(
                OutboxMessage(
                    key="checkin:1:2026-11-29",
                    platform="test",
                    stream="checkin",
                    payload={},
                    not_before=NOW,
                    created_at=NOW,
                )
            )


async def test_deleting_a_member_cascades(sessions):
    key = MemberKey("test", "w", "gone")
    async with sessions() as s, s.begin():
        c = await repo.get_or_create_community(s, key.community, NOW)
        m = await repo.create_member(s, c, key, NOW)
        s.add(
            CheckIn(
                member_id=m.id, local_date=date(2026, 11, 29), minutes=5, note="", topics=[], created_at=NOW
            )
        )
    async with sessions() as s, s.begin():
        await s.delete(await s.get(Member, m.id))
    async with sessions() as s:
        assert (await s.execute(select(func.count()).select_from(CheckIn))).scalar_one() == 0
        assert (await s.execute(select(func.count()).select_from(Schedule))).scalar_one() == 0


async def test_sqlite_uses_wal_and_busy_timeout(sqlite_db_url):
    engine = make_engine(sqlite_db_url)
    try:
        async with engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
            timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
            fks = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar_one()
        assert mode.lower() == "wal" and timeout >= 1000 and fks == 1
    finally:
        await engine.dispose()


async def test_no_commit_checkpoints_the_wal(sqlite_db_url):
    from storage.db import checkpoint

    engine = make_engine(sqlite_db_url)
    sessions = make_sessionmaker(engine)
    try:
        async with engine.connect() as conn:
            mark = (await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar_one()
        assert mark == 0
        async with sessions() as s, s.begin():
            community = await repo.get_or_create_community(s, MemberKey("discord", "g", "u").community, NOW)
            for i in range(300):
                await repo.create_member(s, community, MemberKey("discord", "g", f"u{i}"), NOW)
        in_wal, copied = await checkpoint(engine)
        assert in_wal > 0 and copied == in_wal, "every page the commits left in the WAL is copied back"
    finally:
        await engine.dispose()


async def test_the_database_thread_checkpoints_the_wal_on_its_own(sqlite_db_url):
    from sqlalchemy.engine import make_url

    from storage.dbthread import DatabaseThread

    db_file = make_url(sqlite_db_url).database
    key = MemberKey("discord", "g", "u")
    thread = DatabaseThread(sqlite_db_url, checkpoint_every=0.05)
    try:

        async def write() -> int:
            async with thread.sessions() as s:
                async with s.begin():
                    community = await repo.get_or_create_community(s, key.community, NOW)
                    for i in range(300):
                        await repo.create_member(s, community, MemberKey("discord", "g", f"u{i}"), NOW)
                # Committed, and the thread's loop has not run since: the pages are still in the WAL.
                return os.path.getsize(db_file)  # noqa: ASYNC240 (on the database thread, which may block)

        before = await thread.run(write)
        seen = thread.checkpoints
        for _ in range(250):
            if thread.checkpoints >= seen + 2:
                break
            await asyncio.sleep(0.02)
        after = await asyncio.to_thread(os.path.getsize, db_file)
        assert after > before, "the background checkpoint copied the pages into the file"
    finally:
        await thread.close()

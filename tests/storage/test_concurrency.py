"""The concurrency model: commands on the database thread, one writer at a time (FIFO),
read-only commands without the write lock, activity written behind."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import event, select, text, update

from bot.core.identity import MemberKey
from storage.dbthread import DatabaseThread
from storage.gate import WriteGate
from storage.models import Member
from tests.conftest import make_settings

ALICE = MemberKey("discord", "g1", "alice")


async def test_the_gate_serves_writers_in_arrival_order_across_threads():
    gate = WriteGate()
    other = DatabaseThread("sqlite+aiosqlite:///:memory:", name="other-loop")
    order: list[str] = []
    try:
        await gate.acquire()  # held: everyone below queues

        async def writer(name: str) -> None:
            await gate.acquire()
            order.append(name)
            await asyncio.sleep(0.002)
            gate.release()

        first = asyncio.ensure_future(writer("here-1"))
        await asyncio.sleep(0.01)
        second = asyncio.ensure_future(other.run(lambda: writer("thread-2")))
        await asyncio.sleep(0.01)
        third = asyncio.ensure_future(writer("here-3"))
        await asyncio.sleep(0.01)
        assert gate.queued == 3 and order == []
        gate.release()
        await asyncio.gather(first, second, third)
        assert order == ["here-1", "thread-2", "here-3"]
        assert gate.queued == 0
        assert gate.waits.longest >= 0.02  # the first waiter queued behind the holder
    finally:
        await other.close()


async def test_a_cancelled_waiter_does_not_keep_the_gate():
    gate = WriteGate()
    await gate.acquire()
    waiter = asyncio.ensure_future(gate.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    gate.release()
    await asyncio.sleep(0.01)
    await asyncio.wait_for(gate.acquire(), 1)  # free again


def _statements(app) -> tuple[list[tuple[str, str]], object]:
    """(thread, first line) of each statement on the command and read threads' engines."""
    seen: list[tuple[str, str]] = []

    def before(_conn, _cursor, statement, *_args):
        seen.append((threading.current_thread().name, statement.strip().split("\n")[0]))

    engines = [t.engine.sync_engine for t in (app.command_db, app.read_db)]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", before)

    def stop() -> None:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", before)

    return seen, stop


async def test_writes_run_on_the_database_thread(sqlite_app):
    seen, stop = _statements(sqlite_app)
    try:
        first = await sqlite_app.engine.command(ALICE, "checkin", {"minutes": 20})
        assert not first.error
    finally:
        stop()
    assert seen and {thread for thread, _ in seen} == {"database"}
    assert any(s.upper().startswith("INSERT INTO CHECKINS") for _, s in seen)


async def test_sqlite_runs_in_place_on_database_threads_and_never_on_the_platform_loop(sqlite_app):
    """The thread that executes each SQL statement, seen from inside SQLite.

    On a database thread the statement runs on that very thread (no second driver thread to
    hand it to); the platform loop's own engine hands its statements to aiosqlite's thread.
    """
    app = sqlite_app

    def add_probe(dbapi_conn, _record) -> None:
        dbapi_conn.create_function("running_thread", 0, lambda: threading.current_thread().name)

    for engine in (app.command_db.engine, app.read_db.engine, app.db):
        event.listen(engine.sync_engine, "connect", add_probe)
    probe = text("SELECT running_thread()")

    def whose(thread: DatabaseThread):
        async def run() -> str:
            async with thread.sessions() as s:
                return (await s.execute(probe)).scalar_one()

        return run

    assert await app.command_db.run(whose(app.command_db)) == "database"
    assert await app.read_db.run(whose(app.read_db)) == "database-read"
    async with app.sessions() as s:
        on_loop_engine = (await s.execute(probe)).scalar_one()
    assert on_loop_engine not in ("database", "database-read", threading.current_thread().name)


async def test_reads_run_on_their_own_thread_and_take_no_write_lock(sqlite_app):
    app = sqlite_app
    assert app.read_db is not None
    first = await app.engine.command(ALICE, "checkin", {"minutes": 20})
    assert not first.error
    seen, stop = _statements(app)
    try:
        today = await app.engine.command(ALICE, "today")
        assert not today.error
    finally:
        stop()
    assert seen and {thread for thread, _ in seen} == {"database-read"}
    begins = [s for _, s in seen if s.upper().startswith("BEGIN")]
    assert begins == ["BEGIN"], begins  # deferred: no BEGIN IMMEDIATE for a read-only command
    assert not any(s.upper().startswith(("UPDATE", "INSERT", "DELETE")) for _, s in seen)


async def test_a_read_only_command_that_must_write_runs_again_as_a_writer(app):
    reply = await app.engine.command(MemberKey("discord", "g1", "newcomer"), "today")
    assert not reply.error
    async with app.sessions() as s:
        found = (await s.execute(select(Member).where(Member.user_id == "newcomer"))).scalar_one_or_none()
    assert found is not None  # the first-use member row was written


async def test_last_active_at_is_written_behind_in_one_batch(app, clock):
    from datetime import timedelta

    await app.engine.command(ALICE, "checkin", {"minutes": 20})
    await app.engine.flush_activity()
    clock.advance(timedelta(hours=3))
    later = clock.now()
    seen, stop = _statements(app)
    try:
        for _ in range(3):
            await app.engine.command(ALICE, "today")
        async with app.sessions() as s:
            member = (await s.execute(select(Member).where(Member.user_id == "alice"))).scalar_one()
        assert member.last_active_at is not None and member.last_active_at < later
        await app.engine.flush_activity()
    finally:
        stop()
    async with app.sessions() as s:
        member = (await s.execute(select(Member).where(Member.user_id == "alice"))).scalar_one()
    assert member.last_active_at.replace(tzinfo=later.tzinfo) == later
    updates = [s for _, s in seen if s.upper().startswith("UPDATE MEMBERS")]
    assert len(updates) == 1


async def test_closing_the_app_writes_pending_activity(db_url, clock, catalog):
    from datetime import timedelta

    from bot.runtime import build_app

    app = build_app(make_settings(db_url), clock=clock, catalog=catalog)
    await app.engine.command(ALICE, "checkin", {"minutes": 20})
    await app.engine.flush_activity()
    clock.advance(timedelta(hours=1))
    await app.engine.command(ALICE, "today")
    await app.close()
    again = build_app(make_settings(db_url), clock=clock, catalog=catalog)
    try:
        async with again.sessions() as s:
            member = (await s.execute(select(Member).where(Member.user_id == "alice"))).scalar_one()
        assert member.last_active_at.replace(tzinfo=clock.now().tzinfo) == clock.now()
    finally:
        await again.close()


def _stat(reply, name: str) -> str:
    return next(f.value for c in reply.cards for f in c.fields if f.name == name)


async def test_admin_stats_are_aggregates_of_the_community_only(app, clock):
    from datetime import timedelta

    from bot.core.call import Context

    admin = Context(is_admin=True)
    for user, minutes in (("a", 30), ("b", 45), ("c", 60)):
        await app.engine.command(MemberKey("discord", "g1", user), "checkin", {"minutes": minutes})
    await app.engine.command(MemberKey("discord", "g2", "x"), "checkin", {"minutes": 500})
    clock.advance(timedelta(days=8))
    await app.engine.command(MemberKey("discord", "g1", "a"), "checkin", {"minutes": 15})
    reply = await app.engine.command(MemberKey("discord", "g1", "boss"), "admin", {"action": "stats"}, admin)
    assert _stat(reply, "Members") == "3"
    assert _stat(reply, "Active this week") == "1"  # activity still in memory is counted too
    assert _stat(reply, "Check-ins (7 days)") == "1"
    assert _stat(reply, "Study time (7 days)") == "15 min"
    assert _stat(reply, "Popular plans") == "none yet"


async def test_members_have_an_index_on_their_community(app):
    from sqlalchemy import inspect

    async with app.db.connect() as conn:
        indexes = await conn.run_sync(lambda c: inspect(c).get_indexes("members"))
    assert any(i["column_names"][:1] == ["community_id"] for i in indexes)


async def test_a_read_outside_begin_takes_no_write_lock(sqlite_db_url):
    from storage.db import make_engine, make_sessionmaker

    engine = make_engine(sqlite_db_url)
    sessions = make_sessionmaker(engine)
    try:

        async def write() -> None:
            async with sessions() as writer, writer.begin():
                await writer.execute(update(Member).values(hours_per_week=3.0))

        async with sessions() as reader:
            await reader.execute(select(Member.id))  # autobegun, and left open
            # Had the read taken the write lock, the writer would wait out the 5 s busy timeout.
            await asyncio.wait_for(write(), 2)
    finally:
        await engine.dispose()


async def test_the_gate_measures_each_turn_it_was_held():
    gate = WriteGate()
    await gate.acquire()
    waiter = asyncio.ensure_future(gate.acquire())
    await asyncio.sleep(0.05)
    gate.release()  # first turn: about 50 ms
    await waiter
    await asyncio.sleep(0.02)
    gate.release()  # second turn: about 20 ms
    assert sum(gate.holds.counts) == 2
    assert 0.05 <= gate.holds.longest < 0.5
    assert 0.07 <= gate.holds.total < 1.0


async def _claim_then_member(gate: WriteGate, member_after: float) -> list[str]:
    """A background writer queues, then a member `member_after` seconds later; the order served."""
    order: list[str] = []

    async def writer(name: str, background: bool) -> None:
        await gate.acquire(background=background)
        order.append(name)
        gate.release()

    await gate.acquire()
    claim = asyncio.ensure_future(writer("claim chunk", True))
    await asyncio.sleep(member_after)
    member = asyncio.ensure_future(writer("member", False))
    await asyncio.sleep(0.01)
    gate.release()
    await asyncio.gather(claim, member)
    return order


async def test_members_are_served_before_background_writers_that_have_not_waited_long():
    gate = WriteGate()
    assert await _claim_then_member(gate, 0.01) == ["member", "claim chunk"]
    assert sum(gate.background_waits.counts) == 1 and gate.background_waits.longest >= 0.02


async def test_a_background_writer_that_waited_its_patience_goes_first(monkeypatch):
    from storage import gate as gate_module

    monkeypatch.setattr(gate_module, "BACKGROUND_PATIENCE", 0.02)
    assert await _claim_then_member(WriteGate(), 0.03) == ["claim chunk", "member"]


async def test_a_pinned_connection_keeps_its_temporary_table_and_writes_behind_the_gate(sqlite_db_url):
    """Each `write()` waits its turn at the gate as a background writer (members first) and
    takes the write lock up front; a temporary table made in one turn is there in the next."""
    from storage.db import PinnedConnection, gate_key, make_engine, make_sessionmaker
    from storage.gate import gate_for

    engine = make_engine(sqlite_db_url)
    sessions = make_sessionmaker(engine, background=True)
    gate = gate_for(gate_key(engine))
    try:
        async with PinnedConnection(sessions) as pinned:
            async with pinned.write() as conn:
                await conn.execute(text("CREATE TEMPORARY TABLE scratch (n INTEGER)"))
                await conn.execute(text("INSERT INTO scratch VALUES (1)"))
            await gate.acquire()  # a member's turn is under way
            order: list[str] = []

            async def pinned_turn() -> None:
                async with pinned.write() as conn:
                    order.append("pinned")
                    # BEGIN IMMEDIATE: a second connection cannot write meanwhile.
                    other = await asyncio.to_thread(_try_write, sqlite_db_url)
                    assert other == "locked"
                    assert (await conn.execute(text("SELECT n FROM scratch"))).scalar_one() == 1

            async def member_turn() -> None:
                await gate.acquire()
                order.append("member")
                gate.release()

            task = asyncio.ensure_future(pinned_turn())
            await asyncio.sleep(0.02)
            member = asyncio.ensure_future(member_turn())
            await asyncio.sleep(0.02)
            assert order == []
            gate.release()
            await asyncio.gather(task, member)
            assert order == ["member", "pinned"]
    finally:
        await engine.dispose()


def _try_write(url: str) -> str:
    import sqlite3

    from storage.db import sqlite_file

    conn = sqlite3.connect(sqlite_file(url), timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return "wrote"
    except sqlite3.OperationalError as exc:
        return "locked" if "locked" in str(exc) else str(exc)
    finally:
        conn.close()


async def test_a_bounded_database_thread_runs_that_many_at_once_and_the_rest_in_arrival_order():
    thread = DatabaseThread("sqlite+aiosqlite:///:memory:", name="bounded", concurrency=2)
    running: list[int] = []
    started: list[int] = []
    most = 0
    release = threading.Event()

    def work(n: int):
        async def run() -> int:
            nonlocal most
            started.append(n)
            running.append(n)
            most = max(most, len(running))
            await asyncio.to_thread(release.wait)
            running.remove(n)
            return n

        return run

    try:
        calls = []
        for n in range(6):
            calls.append(asyncio.ensure_future(thread.run(work(n))))
            await asyncio.sleep(0.01)
        assert sorted(started) == [0, 1]  # two at once; the other four wait
        release.set()
        assert await asyncio.gather(*calls) == list(range(6))
        assert started == list(range(6)) and most == 2
    finally:
        await thread.close()


def test_only_postgresql_database_threads_are_bounded(tmp_path):
    from bot.runtime import COMMANDS_IN_FLIGHT, build_app

    sqlite = build_app(make_settings(f"sqlite+aiosqlite:///{tmp_path}/b.db"))
    postgres = build_app(make_settings("postgresql+asyncpg://nobody@127.0.0.1:1/none"))
    try:
        assert sqlite.command_db.concurrency is None and sqlite.read_db.concurrency is None
        assert postgres.command_db.concurrency == postgres.read_db.concurrency == COMMANDS_IN_FLIGHT
    finally:
        for app in (sqlite, postgres):
            asyncio.run(app.close())


async def test_closing_a_database_thread_mid_checkpoint_waits_for_the_copy_before_closing_its_connection(
    tmp_path, monkeypatch
):
    import time

    from storage import dbthread

    copies: list[str] = []
    real = dbthread.wal_checkpoint

    def slow(conn):
        copies.append("started")
        time.sleep(0.3)
        conn.execute("SELECT 1")  # raises if the connection was closed under the copy
        copies.append("finished")
        return real(conn)

    monkeypatch.setattr(dbthread, "wal_checkpoint", slow)
    thread = DatabaseThread(f"sqlite+aiosqlite:///{tmp_path}/c.db", checkpoint_every=0.01)
    for _ in range(200):
        if copies:
            break
        await asyncio.sleep(0.005)
    assert copies == ["started"]
    await thread.close()
    assert copies == ["started", "finished"]

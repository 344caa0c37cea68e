"""Member commands on SQLite run on the event loop's thread and wait for locks without blocking it."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import text

from bot.runtime import build_app
from storage import sqlite_inline
from storage.db import make_engine
from storage.migrate import upgrade
from tests.conftest import make_settings


async def test_a_command_waits_for_the_write_lock_while_the_loop_keeps_running(tmp_path, catalog, clock):
    url = f"sqlite+aiosqlite:///{tmp_path}/inline.db"
    await upgrade(url)
    app = build_app(make_settings(url), clock=clock, catalog=catalog)
    other = make_engine(url)
    ticks = 0
    released = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not released.is_set():
            ticks += 1
            await asyncio.sleep(0.005)

    async def hold_lock() -> None:
        async with other.begin() as conn:  # BEGIN IMMEDIATE on the threaded driver
            await conn.execute(text("SELECT 1"))
            locked.set()
            await asyncio.sleep(0.3)
        released.set()

    locked = asyncio.Event()
    try:
        holder = asyncio.create_task(hold_lock())
        counter = asyncio.create_task(ticker())
        await locked.wait()
        before = ticks
        from bot.core.identity import MemberKey

        reply = await app.engine.command(MemberKey("discord", "g1", "u1"), "settings")
        assert not reply.error, reply
        assert released.is_set(), "the command ran only after the other transaction let go"
        assert ticks - before >= 5, "the event loop kept running while the command waited"
        await holder
        await counter
        async with app.engine.sessions() as s:
            raw = await (await s.connection()).get_raw_connection()
            assert isinstance(raw.driver_connection, sqlite_inline.InlineConnection)
    finally:
        await other.dispose()
        await app.close()


async def test_a_lock_held_past_the_busy_timeout_fails_cleanly(tmp_path):
    path = str(tmp_path / "busy.db")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    conn = await sqlite_inline.connect(path, busy_timeout=0.1, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await conn.execute("BEGIN IMMEDIATE")
        holder.execute("COMMIT")
        await conn.execute("BEGIN IMMEDIATE")
        await conn.execute("INSERT INTO t VALUES (1)")
        await conn.commit()
        assert holder.execute("SELECT x FROM t").fetchall() == [(1,)]
    finally:
        await conn.close()
        holder.close()


async def test_in_memory_databases_share_one_engine(catalog, clock):
    app = build_app(make_settings("sqlite+aiosqlite:///:memory:"), clock=clock, catalog=catalog)
    try:
        assert app.command_db is None and app.engine.sessions is app.sessions
    finally:
        await app.close()


async def test_a_command_lets_ready_work_run_before_it_starts(tmp_path, catalog, clock):
    """The connection does no I/O the loop could wait on, so it yields before each statement
    (BEGIN included): an acknowledgement already on its way out is not held up by the command
    that follows it."""
    from sqlalchemy import event

    from bot.core.identity import MemberKey

    url = f"sqlite+aiosqlite:///{tmp_path}/yield.db"
    await upgrade(url)
    app = build_app(make_settings(url), clock=clock, catalog=catalog)
    ran: list[str] = []
    seen_at_begin: list[list[str]] = []

    def after(conn, cursor, statement, *_):
        if statement.startswith("BEGIN"):
            seen_at_begin.append(list(ran))

    try:
        await app.engine.command(MemberKey("discord", "g1", "u2"), "settings")  # a connection is open
        event.listen(app.command_db.sync_engine, "after_cursor_execute", after)
        asyncio.get_running_loop().call_soon(ran.append, "ack")
        reply = await app.engine.command(MemberKey("discord", "g1", "u2"), "settings")
        assert not reply.error
        assert seen_at_begin and seen_at_begin[0] == ["ack"]
    finally:
        await app.close()

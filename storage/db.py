"""Engine and session factories. Nothing is created at import time."""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import inplace_sqlite
from storage.gate import Gate, gate_for

SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_CONNECT_TIMEOUT = 30.0
# No commit copies the WAL back into the database (SQLite's default does, at 1,000 pages,
# inside whichever commit crosses the mark). Each process's command DatabaseThread has
# `wal_checkpoint` run in a worker thread every CHECKPOINT_SECONDS instead, and SQLite
# checkpoints when a process's last connection closes.
SQLITE_WAL_AUTOCHECKPOINT = 0
CHECKPOINT_SECONDS = 2.0


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str | URL) -> str | None:
    """The file a SQLite URL names (`~` expanded); None for an in-memory database or another backend."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or u.database in (None, "", ":memory:"):
        return None
    return str(Path(u.database).expanduser())


def ensure_sqlite_dir(url: str) -> None:
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
        Path(u.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    # Let SQLAlchemy, not the driver, open transactions, so SAVEPOINTs nest properly.
    if dbapi_conn.isolation_level is not None:
        dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT}")
    # After a checkpoint, keep no more than 64 MiB of WAL file around for reuse.
    cur.execute("PRAGMA journal_size_limit=67108864")
    cur.close()


# Execution option naming how a SQLite transaction begins: "write" (what `session.begin()`
# asks for, behind the write gate) takes the write lock up front; "read" takes none and
# refuses writes (PRAGMA query_only). Anything else (autobegin, `engine.connect()`) begins
# deferred, so a read outside `session.begin()` never takes the lock behind the gate's back.
BEGIN_OPTION = "companion_begin"


def _sqlite_begin(conn: Any) -> None:
    how = conn.get_execution_options().get(BEGIN_OPTION)
    read = how == "read"
    # conn.info lives as long as the DBAPI connection, so the pragma is sent only on a change.
    if conn.info.get("query_only", False) != read:
        conn.exec_driver_sql(f"PRAGMA query_only={int(read)}")
        conn.info["query_only"] = read
    # IMMEDIATE takes the write lock up front, so a writer waits its turn (the gate, then
    # busy_timeout) instead of failing with "database is locked" when a read turns into a write.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if how == "write" else "BEGIN")


def make_engine(url: str, on_thread: bool = False, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and enforced foreign keys.

    `on_thread`: the engine serves a `storage.dbthread.DatabaseThread`, where a SQLite
    file's statements run in place (`storage.inplace_sqlite`), not on aiosqlite's thread.
    """
    if is_sqlite(url):
        ensure_sqlite_dir(url)
        path = sqlite_file(url)
        if on_thread and path is not None:
            kwargs["async_creator"] = inplace_sqlite.creator(path, SQLITE_CONNECT_TIMEOUT)
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_CONNECT_TIMEOUT}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


_GATE_KEYS: weakref.WeakKeyDictionary[Engine, str | None] = weakref.WeakKeyDictionary()


def gate_key(engine: AsyncEngine) -> str | None:
    """Which write gate serves `engine`: its SQLite file, or None (PostgreSQL needs none).

    Kept per engine: every write transaction asks, and resolving the path touches the disk.
    """
    sync = engine.sync_engine
    try:
        return _GATE_KEYS[sync]
    except KeyError:
        pass
    key: str | None = None
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database in (None, "", ":memory:"):
            key = f"memory:{id(sync)}"
        else:
            key = str(Path(database).expanduser().resolve())
    _GATE_KEYS[sync] = key
    return key


# Session.info key marking a background writer's sessions (see storage.gate).
BACKGROUND_INFO = "companion_background"


@asynccontextmanager
async def write_turn(gate: Gate | None, background: bool) -> AsyncIterator[None]:
    """A turn at the write gate (`gate` None: no gate, as on PostgreSQL), given back however
    the block ends; a `background` writer queues behind the members waiting."""
    if gate is None:
        yield
        return
    await gate.acquire(background=background)
    try:
        yield
    finally:
        gate.release()


class GatedSession(AsyncSession):
    """An AsyncSession whose `begin()` waits its turn at the database's write gate (SQLite)."""

    def begin(self) -> Any:  # type: ignore[override]
        key = gate_key(self.bind) if isinstance(self.bind, AsyncEngine) else None
        if key is None:
            return super().begin()
        return self._gated_begin(gate_for(key))

    @asynccontextmanager
    async def _gated_begin(self, gate: Gate) -> AsyncIterator[Any]:
        """The gate first, then BEGIN IMMEDIATE."""
        async with write_turn(gate, bool(self.info.get(BACKGROUND_INFO))):
            async with AsyncSession.begin(self) as tx:
                await self.connection(execution_options={BEGIN_OPTION: "write"})
                yield tx

    async def begin_read(self) -> None:
        """Start a read-only transaction: no gate, no write lock; a write in it fails (SQLite)."""
        await self.connection(execution_options={BEGIN_OPTION: "read"})


class PinnedConnection:
    """One connection kept for a series of write transactions, so that what lives on a
    connection (a temporary table) outlives each commit while every transaction stays short.

    `write()` is a transaction as `session.begin()` makes one for `sessions`: behind the
    write gate on SQLite (a background writer's place in it if `sessions` is background's),
    with the write lock taken up front.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        probe = sessions()
        if not isinstance(probe.bind, AsyncEngine):
            raise TypeError("PinnedConnection needs sessions bound to an engine")
        self.engine: AsyncEngine = probe.bind
        self._background = bool(probe.info.get(BACKGROUND_INFO))
        key = gate_key(self.engine)
        self._gate = gate_for(key) if key is not None else None
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> PinnedConnection:
        self._conn = await self.engine.connect()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def discard(self) -> None:
        """Close the connection for good instead of returning it to the pool (its state is unknown)."""
        if self._conn is not None:
            await self._conn.invalidate()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        conn = self._conn
        if conn is None:
            raise RuntimeError("PinnedConnection is not open")
        async with write_turn(self._gate, self._background):
            await conn.execution_options(**{BEGIN_OPTION: "write"})
            try:
                async with conn.begin():
                    yield conn
            finally:
                await conn.execution_options(**{BEGIN_OPTION: None})


def is_memory_sqlite(url: str) -> bool:
    return make_url(url).database in (None, "", ":memory:")


def make_sessionmaker(engine: AsyncEngine, background: bool = False) -> async_sessionmaker[AsyncSession]:
    """Sessions on `engine`; a `background` writer's wait at the write gate behind members'."""
    info = {BACKGROUND_INFO: True} if background else None
    return async_sessionmaker(engine, class_=GatedSession, expire_on_commit=False, info=info)


def wal_checkpoint(conn: sqlite3.Connection) -> tuple[int, int]:
    """Copy the SQLite WAL back into the database without blocking readers or writers.

    Returns (pages in the WAL, pages copied). `conn` must be outside any transaction: a
    checkpoint cannot run inside one. Blocks while it copies; the GIL is released meanwhile.
    """
    _busy, log_pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(log_pages), int(copied)


def _checkpoint_file(path: str) -> tuple[int, int]:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return wal_checkpoint(conn)
    finally:
        conn.close()


async def checkpoint(engine: AsyncEngine) -> tuple[int, int] | None:
    """`wal_checkpoint` for `engine`'s SQLite file, in a worker thread; None on other databases."""
    path = sqlite_file(engine.url)
    if path is None:
        return None
    return await asyncio.to_thread(_checkpoint_file, path)

"""Engine and session factories. Nothing is created at import time."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 5000
# Pages (4 KiB) the WAL may grow to before a commit copies it back into the database.
# SQLite's default is 1,000; the running scheduler checkpoints in the background
# (`checkpoint`), so no member's command or claim pass pays for the copy, and this
# higher mark only matters in a process that runs without it.
SQLITE_WAL_AUTOCHECKPOINT = 25_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def ensure_sqlite_dir(url: str) -> None:
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
        Path(u.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    # Let SQLAlchemy, not the driver, open transactions, so SAVEPOINTs nest properly.
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


def _inline_pragmas(dbapi_conn: Any, record: Any) -> None:
    # The inline connection waits for locks on the event loop instead (storage/sqlite_inline.py).
    _sqlite_pragmas(dbapi_conn, record, busy_timeout_ms=0)


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front, so concurrent commands wait (busy_timeout)
    # instead of failing with "database is locked" when a read transaction turns into a write.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, inline: bool = False, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and enforced foreign keys.

    `inline=True` (SQLite files only) runs statements on the event loop's thread, for
    short transactions such as member commands; see storage/sqlite_inline.py.
    """
    if is_sqlite(url):
        ensure_sqlite_dir(url)
        if inline and not is_memory_sqlite(url):
            from storage import sqlite_inline

            path = make_url(url).database
            creator = partial(sqlite_inline.connect, path, SQLITE_BUSY_TIMEOUT_MS / 1000)
            engine = create_async_engine(url, async_creator=creator, **kwargs)
            event.listen(engine.sync_engine, "connect", _inline_pragmas)
        else:
            engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def is_memory_sqlite(url: str) -> bool:
    return make_url(url).database in (None, "", ":memory:")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def checkpoint(engine: AsyncEngine) -> tuple[int, int] | None:
    """Copy the SQLite WAL back into the database without blocking readers or writers.

    Returns (pages in the WAL, pages copied), or None on other databases. Runs on the
    driver connection outside any transaction: a checkpoint cannot run inside one.
    """
    if engine.dialect.name != "sqlite":
        return None
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        cursor = await raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
        _busy, log_pages, copied = await cursor.fetchone()
        await cursor.close()
    return int(log_pages), int(copied)

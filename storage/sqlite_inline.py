"""An asyncio face over `sqlite3` that runs each call on the event loop's own thread.

SQLAlchemy's aiosqlite driver sends every cursor, execute, fetch and close to a
worker thread and waits for the answer, so one indexed lookup of a few dozen
microseconds costs several hundred in thread hand-offs. Member commands are many
such lookups in a short transaction, so the engine that serves them uses this
face instead (passed to SQLAlchemy as `async_creator`), and work that runs long,
such as the claim pass, keeps the threaded driver so it never holds up the loop.

SQLite's own busy handler would block the whole event loop while another
connection holds the write lock, possibly one this very loop must run to release
it. So the connection's busy timeout is 0 and a statement that finds the database
locked outside a transaction (`BEGIN IMMEDIATE`, where every transaction here
takes its lock) is retried after `asyncio.sleep`, until `busy_timeout` seconds
have passed. Inside a transaction the error is raised as it would be anyway.
The connection yields to the loop once before each statement, so other work on the
loop (timers, acknowledgements) is held up by one statement at most, not a command.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")

_SQLITE_BUSY = 5
_FIRST_WAIT = 0.001
_LONGEST_WAIT = 0.05


class _Immediately:
    """Stands in for aiosqlite's request queue, which SQLAlchemy uses to set the isolation level."""

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:
            future.set_exception(error)


class InlineCursor:
    def __init__(self, connection: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        await self._connection.run(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        await self._connection.run(self._cursor.executemany, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    def __init__(self, connection: sqlite3.Connection, busy_timeout: float) -> None:
        self._conn = connection
        self._tx = _Immediately()
        self.busy_timeout = busy_timeout

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    async def run(self, call: Callable[..., T], *args: Any) -> T:
        """`call(*args)`, waiting on the event loop while another connection holds the lock."""
        deadline: float | None = None
        wait = _FIRST_WAIT
        # Nothing here waits on I/O, so give the loop back once per statement, as a threaded
        # driver would: whatever is ready (a timer, an acknowledgement on its way out) runs
        # between statements instead of after the whole command.
        await asyncio.sleep(0)
        while True:
            in_transaction = self._conn.in_transaction
            try:
                return call(*args)
            except sqlite3.OperationalError as error:
                busy = getattr(error, "sqlite_errorcode", 0) & 0xFF == _SQLITE_BUSY
                if not busy or in_transaction:
                    raise
                now = time.monotonic()
                deadline = deadline if deadline is not None else now + self.busy_timeout
                if now >= deadline:
                    raise
                await asyncio.sleep(min(wait, deadline - now))
                wait = min(wait * 2, _LONGEST_WAIT)

    async def cursor(self) -> InlineCursor:
        return InlineCursor(self, self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        cursor = await self.cursor()
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        await self.run(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)


async def connect(database: str, busy_timeout: float, **kwargs: Any) -> InlineConnection:
    """Open `database` with SQLite's own busy handler off (the connection retries on the loop)."""
    connection = sqlite3.connect(database, timeout=0, check_same_thread=False, **kwargs)
    return InlineConnection(connection, busy_timeout)

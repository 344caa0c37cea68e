"""SQLite for a database thread: aiosqlite's interface, with each call run in place.

A `storage.dbthread.DatabaseThread` exists so that a statement may block: nothing but
database work runs on it. Through aiosqlite, every statement there was also a round trip
to a second thread (a queue put, a wake-up, a reply through the loop's self-pipe), about
eighty of them for one /progress, and under load each trip waited for the GIL again:
those waits, not SQLite, were most of a command's time.

`InPlaceConnection` offers the public methods SQLAlchemy's aiosqlite dialect calls
(`cursor` and `execute`, awaited or used with `async with`; `commit`, `rollback`,
`close`, `create_function`, `stop`) as coroutines that finish without suspending, over a
standard library connection. The engine gets it through `create_async_engine`'s public
`async_creator`, so SQLAlchemy's own dialect, pool and session machinery are unchanged,
on SQLAlchemy 2.0 and 2.1 alike.

Only `storage.db.make_engine(..., on_thread=True)` uses it, and only a DatabaseThread asks
for that: on the platform's event loop a statement would stall every member at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Generator, Iterable
from typing import Any


class InPlaceCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def execute(self, sql: str, parameters: Iterable[Any] = ()) -> InPlaceCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> InPlaceCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _Opened:
    """What aiosqlite's `cursor()` and `execute()` return: awaited, or entered with `async with`."""

    def __init__(self, cursor: InPlaceCursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Generator[Any, None, InPlaceCursor]:
        return self._get().__await__()

    async def _get(self) -> InPlaceCursor:
        return self._cursor

    async def __aenter__(self) -> InPlaceCursor:
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        await self._cursor.close()


class InPlaceConnection:
    def __init__(self, connection: sqlite3.Connection) -> None:
        # Named as aiosqlite names its own: SQLAlchemy 2.1 checks it before commit and rollback.
        self._connection: sqlite3.Connection | None = connection

    @property
    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    def cursor(self) -> _Opened:
        return _Opened(InPlaceCursor(self._open.cursor()))

    def execute(self, sql: str, parameters: Iterable[Any] = ()) -> _Opened:
        return _Opened(InPlaceCursor(self._open.execute(sql, parameters)))

    async def commit(self) -> None:
        self._open.commit()

    async def rollback(self) -> None:
        self._open.rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def create_function(
        self, name: str, num_params: int, func: Callable[..., Any], deterministic: bool = False
    ) -> None:
        self._open.create_function(name, num_params, func, deterministic=deterministic)

    @property
    def isolation_level(self) -> str | None:
        return self._open.isolation_level


def creator(path: str, timeout: float) -> Callable[[], Awaitable[InPlaceConnection]]:
    """`async_creator` for `create_async_engine`: a connection to `path`, in autocommit mode.

    SQLAlchemy, not the driver, opens transactions (`storage.db`'s begin listener), so the
    connection starts with `isolation_level=None`, as the aiosqlite engines are set to on
    connect. It may be closed from another thread when the engine is disposed.
    """

    async def connect() -> InPlaceConnection:
        return InPlaceConnection(
            sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        )

    return connect

"""A thread of its own, with its own event loop, where member commands do their database work.

The event loop that talks to Discord and Slack hands a command's whole database phase
over in one step (`run`) and gets the finished result back, so the statements, the
driver's round trips and the ORM's bookkeeping never run between two gateway events.
Its engine and sessions are created on this thread and used only here: asyncpg
connections belong to the loop that opened them.

With `concurrency`, at most that many pieces of work run at once and the rest wait their
turn in arrival order. On PostgreSQL, where a command's statements await the server, an
unbounded thread interleaves every command in flight, statement by statement, so under a
burst all of them finish late together; a few at a time, each finishes soon after it starts.

With `checkpoint_every`, the thread also has a SQLite WAL copied back into the database
that often (PASSIVE), outside any transaction, so no commit ever pays for the copy. The
copy runs in a worker thread on a connection of its own: a statement on this thread
runs in place (`storage.inplace_sqlite`), so a checkpoint run here would hold up every
command queued behind it for as long as the copy takes.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import make_engine, make_sessionmaker, sqlite_file, wal_checkpoint

log = logging.getLogger(__name__)

T = TypeVar("T")


class DatabaseThread:
    def __init__(
        self,
        url: str,
        name: str = "database",
        checkpoint_every: float | None = None,
        background: bool = False,
        concurrency: int | None = None,
        **engine_kwargs: Any,
    ) -> None:
        self.url = url
        self.engine: AsyncEngine = make_engine(url, on_thread=True, **engine_kwargs)
        self.sessions: async_sessionmaker[AsyncSession] = make_sessionmaker(self.engine, background)
        self.checkpoints = 0
        self._path = sqlite_file(url)
        self._checkpointer: asyncio.Task[None] | None = None
        self._loop = asyncio.new_event_loop()
        # At most `concurrency` pieces of work at once (None: no limit); the rest wait in order.
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency) if concurrency else None
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()
        if checkpoint_every is not None and self._path is not None:
            self._loop.call_soon_threadsafe(self._start_checkpoints, checkpoint_every)

    def _start_checkpoints(self, every: float) -> None:
        self._checkpointer = self._loop.create_task(self._checkpoint_forever(every))

    async def _checkpoint_forever(self, every: float) -> None:
        conn: sqlite3.Connection | None = None
        # Held by the worker thread for each copy and by the close: a close cancels this task
        # and every task on the loop, the copy's own included, but the copy goes on in its
        # thread, and closing its connection under it would crash the process.
        in_use = threading.Lock()

        def copy(connection: sqlite3.Connection) -> tuple[int, int]:
            with in_use:
                return wal_checkpoint(connection)

        try:
            while True:
                await asyncio.sleep(every)
                try:
                    if conn is None:
                        conn = await asyncio.to_thread(
                            sqlite3.connect, self._path, isolation_level=None, check_same_thread=False
                        )
                    await asyncio.to_thread(copy, conn)
                    self.checkpoints += 1
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("database checkpoint failed")
        finally:
            if conn is not None:
                with in_use:  # a copy under way finishes first
                    conn.close()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()
        self._loop.close()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def submit(self, work: Callable[[], Awaitable[T]]) -> Future[T]:
        async def call() -> T:
            if self._slots is None:
                return await work()
            async with self._slots:
                return await work()

        return asyncio.run_coroutine_threadsafe(call(), self._loop)

    async def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """`await work()` on the database thread; the caller's loop waits without blocking."""
        return await asyncio.wrap_future(self.submit(work))

    async def close(self) -> None:
        if not self._thread.is_alive():
            return

        async def shut_down() -> None:
            # Transactions still running (their callers gave up) end here, before the loop does.
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            await self.engine.dispose()

        try:
            await self.run(shut_down)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            await asyncio.to_thread(self._thread.join, 5)

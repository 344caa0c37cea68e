"""Wires settings, database, catalogue and engine together for one process."""

from __future__ import annotations

import gc
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.core.clock import Clock, SystemClock
from bot.core.engine import Engine
from bot.core.pictures import process as pictures
from bot.core.ports import Messenger
from bot.scheduler.pauses import DeliveryPauses
from content.loader import load_catalog
from content.schema import Catalog
from storage.db import (
    CHECKPOINT_SECONDS,
    gate_key,
    is_memory_sqlite,
    is_sqlite,
    make_engine,
    make_sessionmaker,
)
from storage.dbthread import DatabaseThread
from storage.gate import local_gate

if TYPE_CHECKING:
    from bot.ops.metrics import Metrics
    from bot.papers_live.client import ArxivClient
    from bot.scheduler.claim_process import ClaimProcess


def _not_connected() -> bool:
    return False


@dataclass
class PlatformHandle:
    """What a running platform adapter hands the rest of the process.

    `ready` answers /readyz (it may be async, as Slack's Socket Mode check is); `messenger`
    is how the scheduler and tests reach the platform; `client` is the platform's own client
    object, when it has one.
    """

    name: str
    messenger: Messenger | None = None
    ready: Callable[[], bool | Awaitable[bool]] = _not_connected
    client: object | None = None


@dataclass
class App:
    settings: Settings
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    catalog: Catalog
    clock: Clock
    engine: Engine
    # Where member commands do their database work (storage/dbthread.py).
    command_db: DatabaseThread | None = None
    # Set by the platform runner once it has started.
    platform: PlatformHandle | None = None
    # Delivery paused per platform or workspace (read by the dispatcher, /metrics and /readyz).
    pauses: DeliveryPauses = field(default_factory=DeliveryPauses)
    metrics: Metrics | None = None
    # SIGTERM arrived: readiness answers 503 and the runner winds down.
    stopping: bool = False
    arxiv_client: ArxivClient | None = None
    # Where read-only commands do theirs, so they never queue behind writers on one thread.
    read_db: DatabaseThread | None = None
    _scheduler_db: DatabaseThread | None = field(default=None, init=False, repr=False)
    _claim_process: ClaimProcess | None = field(default=None, init=False, repr=False)

    def claim_process(self) -> ClaimProcess | None:
        """The claim pass's own process, started on the first pass; None when it is switched off
        or the database is in memory (a child could not see it)."""
        if self._claim_process is None and self.settings.claim_process and self.command_db is not None:
            from bot.scheduler.claim_process import ClaimProcess

            key = gate_key(self.db)
            gate = local_gate(key) if key is not None else None
            self._claim_process = ClaimProcess(self.settings, self.catalog, gate)
        return self._claim_process

    def scheduler_db(self) -> DatabaseThread | None:
        """The claim pass's own database thread, started on first use; None where commands have none."""
        if self._scheduler_db is None and self.command_db is not None:
            self._scheduler_db = DatabaseThread(
                self.settings.database_url, name="scheduler-db", background=True
            )
        return self._scheduler_db

    async def close(self) -> None:
        if self._claim_process is not None:
            await self._claim_process.close()
        try:
            await self.engine.flush_activity()
        finally:
            for thread in (self.command_db, self.read_db, self._scheduler_db):
                if thread is not None:
                    await thread.close()
            await self.db.dispose()


# Seconds a thread may hold the GIL while another wants it (Python's default: 5 ms). The
# database threads run SQLAlchemy's Python between statements; at the default, the event
# loop waits up to 5 ms for the GIL after each of their turns, a stall on every gateway event.
SWITCH_INTERVAL = 0.001
# Commands each PostgreSQL database thread runs at once (the rest queue in arrival order). In
# the load benchmark (200 commands in a second, 2 cores) an unbounded thread gave p99 1.4-2.0 s;
# bounds of 1, 2, 4 and 8 gave 0.3-1.0 s, with no clear winner among them at that noise.
COMMANDS_IN_FLIGHT = 4


def build_app(settings: Settings, clock: Clock | None = None, catalog: Catalog | None = None) -> App:
    """Everything a platform runner needs. Nothing connects until it is used."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    if pictures.WORKER.processes != settings.picture_processes:
        pictures.WORKER.close()
        pictures.WORKER.processes = settings.picture_processes
    pictures.WORKER.warm()
    db = make_engine(settings.database_url)
    sessions = make_sessionmaker(db)
    command_db = read_db = None
    if not is_memory_sqlite(settings.database_url):
        # An in-memory SQLite database exists for one engine only, so it stays on the loop.
        # SQLite's statements run in place, one at a time, so only PostgreSQL needs a bound.
        bound = None if is_sqlite(settings.database_url) else COMMANDS_IN_FLIGHT
        command_db = DatabaseThread(
            settings.database_url, checkpoint_every=CHECKPOINT_SECONDS, concurrency=bound
        )
        read_db = DatabaseThread(settings.database_url, name="database-read", concurrency=bound)
    catalog = catalog or load_catalog()
    clock = clock or SystemClock()
    engine = Engine(sessions, catalog, clock, db=command_db, read_db=read_db)
    return App(settings, db, sessions, catalog, clock, engine, command_db=command_db, read_db=read_db)


def settle_heap() -> None:
    """Exempt everything alive at start-up (the catalogue, modules, the app) from cyclic GC.

    Those objects live as long as the process; without this every full collection walks
    them again, a pause of several milliseconds in the middle of some member's command.
    """
    gc.collect()
    gc.freeze()

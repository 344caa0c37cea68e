"""Wires settings, database, catalogue and engine together for one process."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.clock import Clock, SystemClock
from bot.core.engine import Engine
from bot.settings import Settings
from content.loader import load_catalog
from content.schema import Catalog
from storage.db import is_memory_sqlite, is_sqlite, make_engine, make_sessionmaker


@dataclass
class App:
    settings: Settings
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    catalog: Catalog
    clock: Clock
    engine: Engine
    extras: dict[str, Any] = field(default_factory=dict)
    # The engine behind member commands, when it is not `db` (SQLite: see storage/sqlite_inline.py).
    command_db: AsyncEngine | None = None

    async def close(self) -> None:
        if self.command_db is not None:
            await self.command_db.dispose()
        await self.db.dispose()


def build_app(settings: Settings, clock: Clock | None = None, catalog: Catalog | None = None) -> App:
    """Everything a platform runner needs. Nothing connects until it is used."""
    db = make_engine(settings.database_url)
    sessions = make_sessionmaker(db)
    command_db = None
    if is_sqlite(settings.database_url) and not is_memory_sqlite(settings.database_url):
        # Member commands are short transactions of indexed lookups: run them on the loop's thread.
        command_db = make_engine(settings.database_url, inline=True)
    command_sessions = make_sessionmaker(command_db) if command_db is not None else sessions
    catalog = catalog or load_catalog()
    clock = clock or SystemClock()
    engine = Engine(command_sessions, catalog, clock)
    return App(settings, db, sessions, catalog, clock, engine, command_db=command_db)


def settle_heap() -> None:
    """Exempt everything alive at start-up (the catalogue, modules, the app) from cyclic GC.

    Those objects live as long as the process; without this every full collection walks
    them again, a pause of several milliseconds in the middle of some member's command.
    """
    gc.collect()
    gc.freeze()

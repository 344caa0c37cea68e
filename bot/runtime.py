"""Wires settings, database, catalogue and engine together for one process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.clock import Clock, SystemClock
from bot.core.engine import Engine
from bot.settings import Settings
from content.loader import load_catalog
from content.schema import Catalog
from storage.db import make_engine, make_sessionmaker


@dataclass
class App:
    settings: Settings
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    catalog: Catalog
    clock: Clock
    engine: Engine
    extras: dict[str, Any] = field(default_factory=dict)

    async def close(self) -> None:
        await self.db.dispose()


def build_app(settings: Settings, clock: Clock | None = None, catalog: Catalog | None = None) -> App:
    """Everything a platform runner needs. Nothing connects until it is used."""
    db = make_engine(settings.database_url)
    sessions = make_sessionmaker(db)
    catalog = catalog or load_catalog()
    clock = clock or SystemClock()
    return App(settings, db, sessions, catalog, clock, Engine(sessions, catalog, clock))

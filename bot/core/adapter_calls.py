"""What the platform adapters need from the database besides commands, so that no adapter imports storage."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import AppState, SeenEvent


async def first_time(
    sessions: async_sessionmaker[AsyncSession], platform: str, event_id: str, now: datetime
) -> bool:
    """Record `event_id`; False when it was already recorded (a retry or a duplicate)."""
    try:
        async with sessions() as session, session.begin():
            session.add(SeenEvent(platform=platform, event_id=event_id[:128], seen_at=now))
    except IntegrityError:
        return False
    return True


async def read_state(sessions: async_sessionmaker[AsyncSession], key: str) -> str | None:
    async with sessions() as session:
        row = await session.get(AppState, key)
        return None if row is None else row.value


async def write_state(
    sessions: async_sessionmaker[AsyncSession], key: str, value: str, now: datetime
) -> None:
    async with sessions() as session, session.begin():
        row = await session.get(AppState, key)
        if row is None:
            session.add(AppState(key=key, value=value, updated_at=now))
        else:
            row.value, row.updated_at = value, now

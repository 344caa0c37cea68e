"""Slack retries an event when it is not acknowledged in time; each event id is handled once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import SeenEvent

PLATFORM = "slack"


async def first_time(sessions: async_sessionmaker[AsyncSession], event_id: str, now: datetime) -> bool:
    """Record `event_id`; False when it was already recorded (a retry or a duplicate)."""
    try:
        async with sessions() as session, session.begin():
            session.add(SeenEvent(platform=PLATFORM, event_id=event_id[:128], seen_at=now))
    except IntegrityError:
        return False
    return True

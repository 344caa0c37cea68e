"""Retention: finished outbox rows lose their rendered message, old Slack event ids go.

Runs hourly from the scheduler (and `prune` can be called directly). An outbox row
keeps its key, state and times for good, since the key is what stops a slot from
being sent twice; only the payload (the member-facing text) and the error text are
cleared once the row is `OUTBOX_RETENTION_DAYS` old and finished. `seen_events`
rows (Slack event, command and button ids kept to ignore Slack's retries, which come
within minutes) are deleted after `SEEN_EVENTS_RETENTION_DAYS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, cast, delete, func, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import OutboxMessage, SeenEvent
from storage.outbox_status import FINISHED

CHUNK = 500


@dataclass
class PruneStats:
    payloads_cleared: int = 0
    events_deleted: int = 0

    def __str__(self) -> str:
        return f"outbox payloads cleared {self.payloads_cleared}, seen events deleted {self.events_deleted}"


async def prune(
    sessions: async_sessionmaker[AsyncSession], now: datetime, outbox_days: int, events_days: int
) -> PruneStats:
    stats = PruneStats()
    cutoff = now - timedelta(days=outbox_days)
    async with sessions() as session, session.begin():
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status.in_(FINISHED),
                OutboxMessage.created_at < cutoff,
                func.length(cast(OutboxMessage.payload, String)) > 2,  # not already '{}'
            )
            .values(payload={}, last_error=None)
            .execution_options(synchronize_session=False)
        )
        stats.payloads_cleared = result.rowcount or 0  # type: ignore[attr-defined]
    async with sessions() as session, session.begin():
        result = await session.execute(
            delete(SeenEvent)
            .where(SeenEvent.seen_at < now - timedelta(days=events_days))
            .execution_options(synchronize_session=False)
        )
        stats.events_deleted = result.rowcount or 0  # type: ignore[attr-defined]
    return stats

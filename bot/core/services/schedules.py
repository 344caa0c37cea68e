"""Keeps each member's stored next-due instants in step with their settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import schedule
from storage import repo
from storage.models import Assessment, Member


async def last_assessed(session: AsyncSession, member_id: int) -> datetime | None:
    stmt = select(func.max(Assessment.completed_at)).where(
        Assessment.member_id == member_id, Assessment.status == "complete"
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def refresh(session: AsyncSession, member: Member, now: datetime) -> None:
    """Recompute next_due_at of every enabled stream from now on."""
    rows = await repo.schedules(session, member.id)
    assessed = await last_assessed(session, member.id)
    for stream, row in rows.items():
        row.next_due_at = schedule.next_due(member, stream, now, assessed) if row.enabled else None
        row.updated_at = now

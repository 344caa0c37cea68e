"""Keeps each member's stored next-due instants in step with their settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.domain import schedule
from storage import repo
from storage.models import Assessment, Member, OutboxMessage


async def last_assessed(session: AsyncSession, member_id: int) -> datetime | None:
    stmt = select(func.max(Assessment.completed_at)).where(
        Assessment.member_id == member_id, Assessment.status == "complete"
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def last_reminded(session: AsyncSession, member_id: int) -> datetime | None:
    """When the last reassessment reminder was due; it restarts the three-month clock."""
    stmt = select(func.max(OutboxMessage.not_before)).where(
        OutboxMessage.member_id == member_id, OutboxMessage.stream == "reassess"
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def reassess_anchor(session: AsyncSession, member_id: int) -> datetime | None:
    """The instant the next reminder counts three months from, or None before any assessment."""
    assessed = await last_assessed(session, member_id)
    if assessed is None:
        return None
    reminded = await last_reminded(session, member_id)
    return max(assessed, reminded) if reminded else assessed


async def _already_queued(session: AsyncSession, key: str) -> bool:
    stmt = select(OutboxMessage.id).where(OutboxMessage.key == key).limit(1)
    return (await session.execute(stmt)).first() is not None


async def refresh(session: AsyncSession, member: Member, now: datetime) -> None:
    """Recompute next_due_at of every enabled stream from now on.

    A slot whose message already went out (or is queued) is passed over: one message per slot,
    ever, so moving today's check-in from 19:00 to 21:00 after the 19:00 one arrived makes
    tomorrow's the next, and /settings says so instead of naming a time when nothing comes.
    """
    rows = await repo.schedules(session, member.id)
    anchor = await reassess_anchor(session, member.id) if "reassess" in rows else None
    for stream, row in rows.items():
        due = schedule.next_due(member, stream, now, anchor) if row.enabled else None
        if stream in schedule.REGULAR_STREAMS:
            for _ in range(8):
                if due is None or not await _already_queued(
                    session, schedule.slot_key(stream, member.id, due, member)
                ):
                    break
                due = schedule.next_due(member, stream, due, anchor)
        row.next_due_at = due
        row.updated_at = now

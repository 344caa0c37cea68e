"""Pause history: every pause a member took, held by the streak for good.

`members.paused_until` is the current pause (the scheduler reads it); each row here is one
pause's local days, both ends included, kept after the pause is over or replaced.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, Pause


async def periods(session: AsyncSession, member_id: int) -> list[Pause]:
    stmt = select(Pause).where(Pause.member_id == member_id).order_by(Pause.start, Pause.id)
    return list((await session.execute(stmt)).scalars())


async def record(
    session: AsyncSession, member: Member, until: date | None, today: date, now: datetime
) -> None:
    """A pause through `until` starts today, or extends the pause running today; `None` (resume)
    ends the running pause yesterday, and forgets it if it only began today."""
    running = [p for p in await periods(session, member.id) if p.start <= today <= p.end]
    current = running[-1] if running else None
    if until is not None:
        if current is not None:
            current.end = until
        else:
            session.add(Pause(member_id=member.id, start=today, end=until, created_at=now))
    elif current is not None:
        if current.start >= today:
            await session.delete(current)
        else:
            current.end = today - timedelta(days=1)
    await session.flush()


def held_days(spans: Iterable[tuple[date, date]], today: date) -> set[date]:
    """Every day some pause covers, never past today."""
    out: set[date] = set()
    for start, end in spans:
        d, last = start, min(end, today)
        while d <= last:
            out.add(d)
            d += timedelta(days=1)
    return out

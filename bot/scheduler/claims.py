"""The claim pass: due schedule rows become outbox rows, and each row's next due time advances.

Rows are claimed in batches. On PostgreSQL the batch is locked with
`FOR UPDATE SKIP LOCKED`, so several processes share the work without waiting on
one another; the outbox's unique key stops a slot from being queued twice even
if two processes ever race on it. SQLite runs one process.

A slot is skipped (advanced, nothing queued) when the member is paused or their
DMs are blocked. A slot that is already stale when claimed (a long outage) is
recorded in the outbox as 'dropped' with last_error 'stale', and never sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core import outbox, schedule
from bot.core.call import Call
from bot.core.clock import FrozenClock
from bot.core.identity import MemberKey
from bot.core.reply_codec import reply_to_dict
from bot.core.services import reminders
from bot.core.services.schedules import reassess_anchor
from content.schema import Catalog
from storage.models import Member, OutboxMessage, Schedule

log = logging.getLogger(__name__)

SEEDED_STREAMS = ("checkin", "nudge", "paper")


@dataclass
class ClaimStats:
    seeded: int = 0
    queued: int = 0
    skipped: int = 0
    stale: int = 0
    duplicate: int = 0
    empty: int = 0
    errors: int = 0

    def __str__(self) -> str:
        return (
            f"queued {self.queued}, skipped {self.skipped}, stale {self.stale}, "
            f"already queued {self.duplicate}, nothing to send {self.empty}, errors {self.errors}"
        )


def _locking(session: AsyncSession, stmt, *of):  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True, of=of or None)
    return stmt


async def seed_missing(sessions: async_sessionmaker[AsyncSession], now: datetime, batch: int) -> int:
    """Give enabled streams with no next due time one (members who never opened /settings).

    Reassessment reminders are set when an assessment completes, not here.
    """
    seeded = 0
    while True:
        async with sessions() as session, session.begin():
            stmt = (
                select(Schedule, Member)
                .join(Member, Member.id == Schedule.member_id)
                .where(
                    Schedule.enabled.is_(True),
                    Schedule.next_due_at.is_(None),
                    Schedule.stream.in_(SEEDED_STREAMS),
                )
                .limit(batch)
            )
            rows = (await session.execute(_locking(session, stmt, Schedule))).all()
            for row, member in rows:
                row.next_due_at = schedule.next_due(member, row.stream, now, None)
                row.updated_at = now
        seeded += len(rows)
        if len(rows) < batch:
            return seeded


async def _advance(session: AsyncSession, row: Schedule, member: Member, now: datetime) -> None:
    anchor = None
    if row.stream == "reassess":
        # The reminder itself restarts the three-month clock, so it is not repeated daily.
        anchor = max(d for d in (await reassess_anchor(session, member.id), row.next_due_at) if d)
    row.next_due_at = schedule.next_due(member, row.stream, now, anchor)
    row.updated_at = now


async def _claim_one(
    session: AsyncSession, catalog: Catalog, row: Schedule, member: Member, now: datetime, stats: ClaimStats
) -> None:
    due = row.next_due_at
    assert due is not None
    if member.dm_blocked_reason or schedule.is_paused(member, now):
        stats.skipped += 1
        return
    key = schedule.slot_key(row.stream, member.id, due, member)
    expires = schedule.slot_expiry(row.stream, due, member)
    common = {
        "key": key,
        "platform": member.platform,
        "stream": row.stream,
        "target": "dm",
        "member_id": member.id,
        "community_id": member.community_id,
        "not_before": due,
        "expires_at": expires,
        "created_at": now,
    }
    if now >= expires:
        added = await outbox.add(session, **common, status="dropped", last_error="stale")
        stats.stale += added is not None
        stats.duplicate += added is None
        return
    try:
        async with session.begin_nested():
            new_id = await outbox.add(session, **common)
            if new_id is None:
                stats.duplicate += 1
                return
            call = Call(
                session,
                catalog,
                FrozenClock(now),
                MemberKey(member.platform, member.workspace_id, member.user_id),
                _member=member,
            )
            reply = await reminders.reply_for(call, member, row.stream, due)
            values: dict[str, object]
            if reply is None:
                values = {"status": "dropped", "last_error": "nothing to send"}
                stats.empty += 1
            else:
                values = {"payload": {"reply": reply_to_dict(reply)}}
                stats.queued += 1
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == new_id).values(**values))
    except (OperationalError, InterfaceError):
        # The database itself failed (gone, locked): abort the batch so the slot is claimed again
        # later, instead of advancing past it and losing today's message.
        raise
    except Exception:
        log.exception("could not build the %s message for member %s", row.stream, member.id)
        stats.errors += 1


async def claim_due(
    sessions: async_sessionmaker[AsyncSession], catalog: Catalog, now: datetime, batch: int
) -> ClaimStats:
    """Queue every slot due at or before `now`; returns what happened."""
    stats = ClaimStats(seeded=await seed_missing(sessions, now, batch))
    while True:
        async with sessions() as session, session.begin():
            stmt = (
                select(Schedule, Member)
                .join(Member, Member.id == Schedule.member_id)
                .where(Schedule.enabled.is_(True), Schedule.next_due_at <= now)
                .order_by(Schedule.next_due_at)
                .limit(batch)
            )
            rows = (await session.execute(_locking(session, stmt, Schedule))).all()
            for row, member in rows:
                await _claim_one(session, catalog, row, member, now, stats)
                try:
                    await _advance(session, row, member, now)
                except Exception:
                    log.exception("cannot schedule %s for member %s; turning it off", row.stream, member.id)
                    row.enabled, row.next_due_at = False, None
                    row.disabled_reason = "could not be scheduled"
        if len(rows) < batch:
            return stats

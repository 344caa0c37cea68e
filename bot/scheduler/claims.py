"""The claim pass: due schedule rows become outbox rows, and each row's next due time advances.

Rows are claimed in batches and written in bulk: one multi-row insert into the
outbox and one bulk update of the schedules per batch. The message itself is
built when it is delivered, at the platform's pace, so claiming a peak minute
costs a few statements, not a few per member.

On PostgreSQL the batch is locked with `FOR UPDATE SKIP LOCKED`, so several
processes share the work without waiting on one another; the outbox's unique key
stops a slot from being queued twice even if two processes ever race on it.
SQLite runs one process.

A slot is skipped (advanced, nothing queued) when the member is paused or their
DMs are blocked. A slot that is already stale when claimed (a long outage) is
recorded in the outbox as 'dropped' with last_error 'stale', and never sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core import outbox, schedule
from bot.core.services.schedules import reassess_anchor
from content.schema import Catalog
from storage.models import Member, Schedule

log = logging.getLogger(__name__)

SEEDED_STREAMS = ("checkin", "nudge", "paper")

# What the schedule maths needs of a member; selected as columns, not ORM objects.
_MEMBER_COLUMNS = (
    Member.platform,
    Member.community_id,
    Member.timezone,
    Member.checkin_time,
    Member.checkin_days,
    Member.nudge_weekday,
    Member.quiet_start,
    Member.quiet_end,
    Member.paused_until,
    Member.dm_blocked_reason,
)


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
                select(Schedule.member_id, Schedule.stream, *_MEMBER_COLUMNS)
                .join(Member, Member.id == Schedule.member_id)
                .where(
                    Schedule.enabled.is_(True),
                    Schedule.next_due_at.is_(None),
                    Schedule.stream.in_(SEEDED_STREAMS),
                )
                .limit(batch)
            )
            rows = (await session.execute(_locking(session, stmt, Schedule))).all()
            if rows:
                await session.execute(
                    update(Schedule),
                    [
                        {
                            "member_id": r.member_id,
                            "stream": r.stream,
                            "next_due_at": schedule.next_due(r, r.stream, now, None),  # type: ignore[arg-type]
                            "updated_at": now,
                        }
                        for r in rows
                    ],
                )
        seeded += len(rows)
        if len(rows) < batch:
            return seeded


class _PassMemo:
    """Schedule maths for one claim pass, shared by members with the same settings.

    A peak minute is thousands of members in a handful of (zone, time) cohorts, so
    each distinct answer is worked out once per pass instead of once per row. Every
    key holds all the inputs the function reads, so the answers are the same.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._next: dict[tuple[Any, ...], datetime | None] = {}
        self._day: dict[tuple[datetime, str], Any] = {}
        self._expiry: dict[tuple[str, datetime, str], datetime] = {}
        self._paused: dict[tuple[Any, str], bool] = {}

    def next_due(self, r: Any) -> datetime | None:
        k = (
            r.stream,
            r.timezone,
            r.checkin_time,
            r.checkin_days,
            r.nudge_weekday,
            r.quiet_start,
            r.quiet_end,
            r.paused_until,
        )
        if k not in self._next:
            self._next[k] = schedule.next_due(r, r.stream, self.now, None)
        return self._next[k]

    def is_paused(self, r: Any) -> bool:
        if r.paused_until is None:
            return False
        k = (r.paused_until, r.timezone)
        if k not in self._paused:
            self._paused[k] = schedule.is_paused(r, self.now)
        return self._paused[k]

    def slot_key(self, r: Any, due: datetime) -> str:
        k = (due, r.timezone)
        if k not in self._day:
            d = schedule.local_day(due, r)
            self._day[k] = (d.isoformat(), schedule.iso_week(d))
        day, week = self._day[k]
        return f"{r.stream}:{r.member_id}:{week if r.stream in ('nudge', 'paper') else day}"

    def slot_expiry(self, r: Any, due: datetime) -> datetime:
        k = (r.stream, due, r.timezone)
        if k not in self._expiry:
            self._expiry[k] = schedule.slot_expiry(r.stream, due, r)
        return self._expiry[k]


async def _next_due(session: AsyncSession, r: Any, memo: _PassMemo) -> datetime | None:
    if r.stream == "reassess":
        # The reminder itself restarts the three-month clock, so it is not repeated daily.
        anchor = max(d for d in (await reassess_anchor(session, r.member_id), r.next_due_at) if d)
        return schedule.next_due(r, r.stream, memo.now, anchor)
    return memo.next_due(r)


def _outbox_row(r: Any, now: datetime, stats: ClaimStats, memo: _PassMemo) -> dict[str, Any] | None:
    if r.dm_blocked_reason or memo.is_paused(r):
        stats.skipped += 1
        return None
    due = r.next_due_at
    expires = memo.slot_expiry(r, due)
    row: dict[str, Any] = {
        "key": memo.slot_key(r, due),
        "platform": r.platform,
        "stream": r.stream,
        "target": "dm",
        "member_id": r.member_id,
        "community_id": r.community_id,
        "payload": {"due": due.isoformat()},
        "status": "pending",
        "attempts": 0,
        "not_before": due,
        "expires_at": expires,
        "created_at": now,
        "last_error": None,
    }
    if now >= expires:
        row["status"], row["last_error"] = "dropped", "stale"
    return row


# Each statement costs a round trip to the driver's thread, about what 50 rows of an
# executemany cost; below that average cohort size one executemany is cheaper.
COHORT_MIN = 50
_SCHEDULES = Schedule.__table__
_ADVANCE_ONE = (
    _SCHEDULES.update()
    .where(_SCHEDULES.c.member_id == bindparam("b_member"), _SCHEDULES.c.stream == bindparam("b_stream"))
    .values(next_due_at=bindparam("b_due"), updated_at=bindparam("b_now"))
)


async def _advance(session: AsyncSession, changes: list[dict[str, Any]], now: datetime) -> None:
    """Write the new next due times: one UPDATE per (stream, next due) cohort when a batch
    is a few large cohorts (a peak minute), else one executemany."""
    if not changes:
        return
    cohorts: dict[tuple[str, datetime | None], list[int]] = {}
    for c in changes:
        cohorts.setdefault((c["stream"], c["next_due_at"]), []).append(c["member_id"])
    conn = await session.connection()
    if len(cohorts) * COHORT_MIN > len(changes):
        await conn.execute(
            _ADVANCE_ONE,
            [
                {"b_member": c["member_id"], "b_stream": c["stream"], "b_due": c["next_due_at"], "b_now": now}
                for c in changes
            ],
        )
        return
    for (stream, due), ids in cohorts.items():
        await conn.execute(
            _SCHEDULES.update()
            .where(_SCHEDULES.c.stream == stream, _SCHEDULES.c.member_id.in_(ids))
            .values(next_due_at=due, updated_at=now)
        )


async def claim_due(
    sessions: async_sessionmaker[AsyncSession],
    catalog: Catalog,
    now: datetime,
    batch: int,
    seed: bool = True,
) -> ClaimStats:
    """Queue every slot due at or before `now`; returns what happened.

    `catalog` is unused here since messages are built at delivery; it is kept so
    callers need not change.
    """
    stats = ClaimStats(seeded=await seed_missing(sessions, now, batch) if seed else 0)
    memo = _PassMemo(now)
    while True:
        async with sessions() as session, session.begin():
            stmt = (
                select(Schedule.member_id, Schedule.stream, Schedule.next_due_at, *_MEMBER_COLUMNS)
                .join(Member, Member.id == Schedule.member_id)
                .where(Schedule.enabled.is_(True), Schedule.next_due_at <= now)
                .order_by(Schedule.next_due_at)
                .limit(batch)
            )
            # Core on the session's connection: plain rows, no ORM result machinery.
            conn = await session.connection()
            rows = (await conn.execute(_locking(session, stmt, Schedule))).all()
            queued: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            for r in rows:
                change: dict[str, Any] = {"member_id": r.member_id, "stream": r.stream, "updated_at": now}
                try:
                    row = _outbox_row(r, now, stats, memo)
                    change["next_due_at"] = await _next_due(session, r, memo)
                except (OperationalError, InterfaceError):
                    # The database itself failed (gone, locked): abort the batch so every slot in
                    # it is claimed again later, instead of turning a healthy stream off.
                    raise
                except Exception:
                    log.exception("cannot schedule %s for member %s; turning it off", r.stream, r.member_id)
                    stats.errors += 1
                    row = None
                    change.update(enabled=False, next_due_at=None, disabled_reason="could not be scheduled")
                if row is not None:
                    queued.append(row)
                updates.append(change)
            inserted = await outbox.add_many(session, queued)
            for row in queued:
                if row["key"] not in inserted:
                    stats.duplicate += 1
                elif row["status"] == "dropped":
                    stats.stale += 1
                else:
                    stats.queued += 1
            turned_off = [c for c in updates if "enabled" in c]
            for change in turned_off:
                await session.execute(
                    update(Schedule)
                    .where(Schedule.member_id == change["member_id"], Schedule.stream == change["stream"])
                    .values(enabled=False, next_due_at=None, disabled_reason=change["disabled_reason"])
                )
            await _advance(session, [c for c in updates if "enabled" not in c], now)
        if len(rows) < batch:
            return stats

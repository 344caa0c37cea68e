"""The outbox's one owner: its statuses, its slot key, and every statement that writes it.

A row's life: inserted 'pending' (a key already taken is skipped, so a slot is queued
once, ever), claimed 'sending' under a lease by one worker, then settled 'sent',
'pending' again (a retry or a hand-back), 'dropped' (never to be sent) or 'failed'.
The dialect's SQL (ON CONFLICT, SKIP LOCKED, the claimers' advisory lock) lives here
too, so callers never ask which database they are on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, case, cast, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.inserts import insert_ignoring_taken
from storage.models import Community, Member, OutboxMessage, Schedule
from storage.outbox_status import WATCHED, Status

_OUTBOX = OutboxMessage.__table__
ERROR_LIMIT = 500


def slot_key(stream: str, member_id: int, period: str) -> str:
    """The idempotency key of a member's slot: one message per stream, member and period, ever."""
    return f"{stream}:{member_id}:{period}"


def slot_key_sql(stream: Any, member_id: Any, period: Any) -> Any:
    """`slot_key` as an SQL expression, for slots queued inside the database."""
    return stream + ":" + cast(member_id, String) + ":" + period


def clip(reason: str) -> str:
    return reason[:ERROR_LIMIT]


def insert_statement(dialect: str) -> Any:
    """An INSERT into the outbox that leaves out rows whose key is already taken."""
    return insert_ignoring_taken(_OUTBOX, dialect, ["key"])


def skip_locked(dialect: str, stmt: Any, *of: Any) -> Any:
    """On PostgreSQL, lock the selected rows and pass over rows another claimer holds.

    SQLite has one writer at a time, so there the statement is left as it is.
    """
    if dialect == "postgresql":
        return stmt.with_for_update(skip_locked=True, of=of or None)
    return stmt


# Any fixed number: claimers on one PostgreSQL database take turns on it.
CLAIM_LOCK = 0x5C0E_C1A1


async def take_claim_turn(conn: AsyncConnection) -> None:
    """Wait for this transaction's turn among claim passes (PostgreSQL; SQLite has one writer)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))


async def analyse_temporary(conn: AsyncConnection, temporary_table: str) -> None:
    """Give a temporary table statistics (PostgreSQL; they get none of their own)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text(f"ANALYZE {temporary_table}"))


async def plan_written_join_order(conn: AsyncConnection) -> None:
    """PostgreSQL planner hints for the claim pass's INSERT ... SELECT and UPDATE ... FROM.

    The due rows were all written since the tables were last analysed, so the planner
    believes there are few of them and may join the cohorts (a temporary table, analysed
    by `analyse_temporary`) on the due time alone, filtering the rest of the key row by
    row: quadratic in a peak minute. The written join order (each due row, its member,
    then its cohort on the whole key) is kept for this transaction.
    """
    if conn.dialect.name != "postgresql":
        return
    await conn.execute(text("SET LOCAL join_collapse_limit = 1"))
    await conn.execute(text("SET LOCAL from_collapse_limit = 1"))
    await conn.execute(text("SET LOCAL enable_mergejoin = off"))


async def insert(session: AsyncSession, **values: Any) -> int | None:
    """Insert one row; the new id, or None when the key is already taken."""
    values.setdefault("payload", {})
    values.setdefault("status", Status.PENDING)
    values.setdefault("attempts", 0)
    values.setdefault("target", "dm")
    dialect = session.get_bind().dialect.name
    stmt = insert_statement(dialect).values(**values).returning(_OUTBOX.c.id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_many(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Insert many rows in one Core statement; the keys that were new."""
    if not rows:
        return set()
    conn = await session.connection()
    stmt = insert_statement(conn.dialect.name).returning(_OUTBOX.c.key)
    result = await conn.execute(stmt, rows)
    return set(result.scalars())


@dataclass(frozen=True)
class SentRow:
    id: int
    at: datetime
    message_id: str


def claimable(
    session: AsyncSession,
    platform: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    *,
    held: Iterable[int] = (),
    paused_workspaces: Sequence[str] = (),
) -> Any:
    """Rows due now, or claimed by a worker whose lease ran out, oldest first.

    Rows in `held` (this process is still working on them) and rows of paused workspaces
    are left out.
    """
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.platform == platform,
            or_(
                and_(OutboxMessage.status == Status.PENDING, OutboxMessage.not_before <= now),
                and_(OutboxMessage.status == Status.SENDING, OutboxMessage.claimed_at < now - lease),
            ),
        )
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
    )
    held = sorted(held)
    if held:
        stmt = stmt.where(OutboxMessage.id.not_in(held))
    if paused_workspaces:
        stmt = stmt.where(
            or_(
                OutboxMessage.community_id.is_(None),
                OutboxMessage.community_id.not_in(
                    select(Community.id).where(
                        Community.platform == platform, Community.workspace_id.in_(paused_workspaces)
                    )
                ),
            )
        )
    return skip_locked(session.get_bind().dialect.name, stmt)


def claim(row: OutboxMessage, worker: str, now: datetime, attempts: int) -> None:
    """Mark a selected row as taken by `worker` (written when the claim's transaction commits)."""
    row.status, row.claimed_at, row.claimed_by, row.attempts = Status.SENDING, now, worker, attempts


async def renew(session: AsyncSession, row_id: int, worker: str, now: datetime) -> bool:
    """Extend the lease; False when `worker` no longer holds the row."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == Status.SENDING,
            OutboxMessage.claimed_by == worker,
        )
        .values(claimed_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def hand_back(
    session: AsyncSession,
    row_id: int,
    worker: str,
    *,
    attempts: int,
    earlier_attempt: datetime | None,
    not_before: datetime | None = None,
    reason: str | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """A claimed, unsent row goes back to 'pending', its attempt not counted.

    `earlier_attempt` is the time of an attempt that may have reached the platform; it is kept
    as claimed_at so a later resend knows how long ago that was.
    """
    values: dict[str, Any] = {
        "status": Status.PENDING,
        "attempts": max(0, attempts),
        "claimed_by": None,
        "claimed_at": earlier_attempt,
    }
    if not_before is not None:
        values["not_before"] = not_before
    if reason is not None:
        values["last_error"] = clip(reason)
    if payload is not None:
        values["payload"] = payload
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.claimed_by == worker)
        .values(**values)
    )


async def retry(
    session: AsyncSession,
    row_id: int,
    not_before: datetime,
    reason: str,
    payload: dict[str, Any] | None = None,
) -> None:
    values: dict[str, Any] = {"status": Status.PENDING, "not_before": not_before, "last_error": clip(reason)}
    if payload is not None:
        values["payload"] = payload
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))


async def fail(
    session: AsyncSession, row_id: int, reason: str, payload: dict[str, Any] | None = None
) -> None:
    values: dict[str, Any] = {"status": Status.FAILED, "last_error": clip(reason)}
    if payload is not None:
        values["payload"] = payload
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))


async def drop(session: AsyncSession, row_id: int, reason: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=Status.DROPPED, last_error=clip(reason))
    )


async def mark_sent(session: AsyncSession, rows: Sequence[SentRow]) -> None:
    await session.execute(
        update(OutboxMessage),
        [
            {
                "id": r.id,
                "status": Status.SENT,
                "sent_at": r.at,
                "message_id": r.message_id[:64],
                "last_error": None,
            }
            for r in rows
        ],
    )


async def drop_pending_dms(session: AsyncSession, member_id: int, reason: str) -> None:
    """Every DM still queued for a member is dropped (their DMs are closed)."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.member_id == member_id,
            OutboxMessage.target == "dm",
            OutboxMessage.status == Status.PENDING,
        )
        .values(status=Status.DROPPED, last_error=clip(reason))
    )


async def block_member(session: AsyncSession, member_id: int, reason: str, now: datetime) -> None:
    """A DM failed for good: the member is marked, every stream of theirs is off, queued DMs dropped."""
    await session.execute(
        update(Member)
        .where(Member.id == member_id)
        .values(dm_blocked_reason=reason[:200], dm_blocked_notice=True)
    )
    await session.execute(
        update(Schedule)
        .where(Schedule.member_id == member_id, Schedule.enabled.is_(True))
        .values(enabled=False, next_due_at=None, disabled_reason=f"DM failed: {reason}"[:200], updated_at=now)
    )
    await drop_pending_dms(session, member_id, "DMs blocked")


async def release(session: AsyncSession, worker: str) -> int:
    """Rows `worker` claimed and did not finish go back to 'pending', the attempt given back."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == Status.SENDING, OutboxMessage.claimed_by == worker)
        .values(
            status=Status.PENDING,
            claimed_at=None,
            claimed_by=None,
            attempts=case((OutboxMessage.attempts > 0, OutboxMessage.attempts - 1), else_=0),
        )
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def release_dead(
    session: AsyncSession, platform: str, host_prefix: str, is_dead: Callable[[str], bool]
) -> tuple[int, list[str]]:
    """Rows held by workers of this host that `is_dead` names go back to 'pending' at once.

    Attempts and claimed_at are kept: the message may have gone out, so the next attempt
    looks for it first. Returns how many rows, and which workers.
    """
    held = (
        await session.execute(
            select(OutboxMessage.claimed_by)
            .where(
                OutboxMessage.platform == platform,
                OutboxMessage.status == Status.SENDING,
                OutboxMessage.claimed_by.startswith(host_prefix, autoescape=True),
            )
            .distinct()
        )
    ).scalars()
    dead = [w for w in held if w and is_dead(w)]
    if not dead:
        return 0, []
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == Status.SENDING, OutboxMessage.claimed_by.in_(dead))
        .values(status=Status.PENDING, claimed_by=None)
    )
    return result.rowcount or 0, dead  # type: ignore[attr-defined]


async def counts_by_status(session: AsyncSession, statuses: Sequence[Status] = WATCHED) -> dict[Status, int]:
    stmt = (
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_(statuses))
        .group_by(OutboxMessage.status)
    )
    found = dict.fromkeys(statuses, 0)
    for status, n in (await session.execute(stmt)).all():
        found[Status(status)] = n
    return found


async def counts_by_stream(session: AsyncSession) -> dict[str, dict[Status, int]]:
    stmt = select(OutboxMessage.stream, OutboxMessage.status, func.count()).group_by(
        OutboxMessage.stream, OutboxMessage.status
    )
    found: dict[str, dict[Status, int]] = {}
    for stream, status, n in (await session.execute(stmt)).all():
        found.setdefault(stream, {})[Status(status)] = n
    return found


def due_now(now: datetime) -> Any:
    """The condition of rows waiting to go out now."""
    return and_(OutboxMessage.status == Status.PENDING, OutboxMessage.not_before <= now)

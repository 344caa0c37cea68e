"""The claim pass: due schedule rows become outbox rows, and each row's next due time advances.

Members due together share a cohort: the same stream, due instant and settings
(zone, check-in time and days, quiet hours, pause, DMs blocked or not). A peak
minute is thousands of members in a handful of cohorts, so the schedule maths
(next due time, local day, expiry) runs once per cohort in Python, and the rows
themselves are written inside the database: the cohorts go into a temporary
table, then one `INSERT ... SELECT ... ON CONFLICT DO NOTHING` queues every
member's slot and one `UPDATE ... FROM` advances their schedules. The message is
built when it is delivered, at the platform's pace.

The cohorts are written to the temporary table once per pass, on one pinned
connection; then the due rows are claimed in chunks of about CHUNK_ROWS, cut by
due instant and member id, one short transaction each, so a member's command
waits for one chunk at most. A row whose settings changed after the cohorts were
read matches no cohort and waits for the next pass, so a pass never writes a due
time worked out from stale settings. On PostgreSQL, claimers take
turns through a transaction-scoped advisory lock; the outbox's unique key stops a
slot from being queued twice in any case. SQLite runs one process.

A slot is skipped (advanced, nothing queued) when the member is paused or their
DMs are blocked. A slot that is already stale when claimed (a long outage) is
recorded in the outbox as 'dropped' with last_error 'stale', and never sent; the
latest slot since then is queued in its place if it can still be delivered
(`schedule.catch_up`: today's check-in before the member's local midnight).
Reassessment reminders depend on each member's last assessment, so they are
claimed row by row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.domain import schedule
from bot.core.services.due_times import reassess_anchor
from storage import outbox_store
from storage.db import PinnedConnection
from storage.models import Member, OutboxMessage, Schedule
from storage.outbox_status import Status
from storage.types import UTCDateTime

log = logging.getLogger(__name__)

SEEDED_STREAMS = ("checkin", "nudge", "paper")

SCHEDULE_INPUTS = schedule.SCHEDULE_INPUTS  # what the cohorts are matched on, besides stream and due
# What the schedule maths needs of a member; selected as columns, not ORM objects.
_MEMBER_COLUMNS = (
    Member.platform,
    Member.community_id,
    *(getattr(Member, name) for name in SCHEDULE_INPUTS),
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

    def add(self, other: ClaimStats) -> None:
        """Count in what a committed chunk did."""
        for name in ("seeded", "queued", "skipped", "stale", "duplicate", "empty", "errors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self) -> str:
        return (
            f"queued {self.queued}, skipped {self.skipped}, stale {self.stale}, "
            f"already queued {self.duplicate}, nothing to send {self.empty}, errors {self.errors}"
        )


def _locking(session: AsyncSession, stmt: Any, *of: Any) -> Any:
    return outbox_store.skip_locked(session.get_bind().dialect.name, stmt, *of)


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


_S = Schedule.__table__
_M = Member.__table__
_OUTBOX = OutboxMessage.__table__

# A cohort is one value of these: everything the schedule maths reads, plus the two
# facts that decide whether a slot is sent at all.
_BLOCKED = _M.c.dm_blocked_reason.is_not(None)
_COHORT_COLUMNS = (
    _S.c.next_due_at,
    _S.c.stream,
    *(_M.c[name] for name in SCHEDULE_INPUTS),
    _BLOCKED.label("blocked"),
)

_MATCHED = ("stream", "due", *SCHEDULE_INPUTS, "blocked")
_cohorts = Table(
    "claim_cohorts",
    MetaData(),
    Column("stream", String(16), nullable=False),
    Column("due", UTCDateTime(), nullable=False),
    *(Column(name, _M.c[name].type, nullable=_M.c[name].nullable) for name in SCHEDULE_INPUTS),
    Column("blocked", Boolean, nullable=False),
    # What to do with the cohort's members:
    Column("status", String(16)),  # Status.PENDING or Status.DROPPED (stale); NULL: queue nothing
    Column("period", String(16)),
    Column("payload", _OUTBOX.c.payload.type),
    Column("expires_at", UTCDateTime()),
    Column("last_error", String(500)),
    Column("next_due_at", UTCDateTime()),
    # The later slot queued in place of a stale one (schedule.catch_up); NULL: none.
    Column("catchup_due", UTCDateTime()),
    Column("catchup_period", String(16)),
    Column("catchup_payload", _OUTBOX.c.payload.type),
    Column("catchup_expires_at", UTCDateTime()),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", String(200)),
    prefixes=["TEMPORARY"],
)

# PostgreSQL compares these as sentinels no real value takes, written inline so the
# query's expressions are the index's.
_NULLABLE_MATCHED = {
    "checkin_time": literal_column("''"),
    "checkin_days": literal_column("''"),
    "nudge_weekday": literal_column("-1"),
    "quiet_start": literal_column("''"),
    "quiet_end": literal_column("''"),
    "paused_until": literal_column("DATE '0001-01-01'"),
}


def _cohort_index(dialect: str) -> Index:
    """Every matched column (as `_match` compares it), so each due row finds its cohort in one lookup."""
    if dialect == "postgresql":
        columns: list[Any] = [_cohorts.c.stream, _cohorts.c.due, _cohorts.c.timezone]
        columns += [func.coalesce(_cohorts.c[n], sentinel) for n, sentinel in _NULLABLE_MATCHED.items()]
        columns.append(_cohorts.c.blocked)
        return Index("ix_claim_cohorts", *columns)
    return Index("ix_claim_cohorts", *(_cohorts.c[n] for n in _MATCHED))


def _match(dialect: str) -> Any:
    """Each due row's cohort.

    SQLite finds it through the cohort table's index, which `IS` can use; the due time
    is wrapped so SQLite does not carry `next_due_at <= now` over to the cohort table
    and look cohorts up by a range. PostgreSQL hash-joins on plain equalities, so
    there NULLs are compared as sentinels that no real value takes.
    """
    if dialect == "postgresql":
        nullable = [
            func.coalesce(_cohorts.c[name], sentinel) == func.coalesce(_M.c[name], sentinel)
            for name, sentinel in _NULLABLE_MATCHED.items()
        ]
        due = _cohorts.c.due == _S.c.next_due_at
    else:
        nullable = [_cohorts.c[name].is_not_distinct_from(_M.c[name]) for name in _NULLABLE_MATCHED]
        due = _cohorts.c.due == func.coalesce(_S.c.next_due_at, _S.c.next_due_at)
    return and_(
        _cohorts.c.stream == _S.c.stream,
        due,
        _cohorts.c.timezone == _M.c.timezone,
        *nullable,
        _cohorts.c.blocked == _BLOCKED,
    )


# Due rows per transaction: bounds how long one chunk holds SQLite's write lock, which
# members' commands wait for (768 rows, three blocks, held it for 10-25 ms at a
# 100,000-due peak minute, none over 50 ms; bench/load.py reports it under load).
CHUNK_ROWS = 1_000
# Due rows are counted per block of member ids, so that one instant, even one cohort,
# can be split across chunks at a block boundary.
MEMBER_BLOCK = 256
# Cohort rows per INSERT into the temporary table, and per write turn that fills it.
COHORT_SLICE = 250
COHORTS_PER_TURN = 1_000


class _PassMemo:
    """Schedule maths for one claim pass, shared by rows with the same inputs."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._next: dict[tuple[Any, ...], datetime | None] = {}

    def next_due(self, r: Any) -> datetime | None:
        k = (r.stream, *(getattr(r, name) for name in SCHEDULE_INPUTS))
        if k not in self._next:
            self._next[k] = schedule.next_due(r, r.stream, self.now, None)
        return self._next[k]


def _plan_cohort(c: Any, memo: _PassMemo, stats: ClaimStats) -> dict[str, Any]:
    """What happens to one cohort's members: the temporary table's row for it."""
    row: dict[str, Any] = {
        "stream": c.stream,
        "due": c.next_due_at,
        **{name: getattr(c, name) for name in SCHEDULE_INPUTS},
        "blocked": bool(c.blocked),
        "status": None,
        "period": None,
        "payload": None,
        "expires_at": None,
        "last_error": None,
        "next_due_at": None,
        "catchup_due": None,
        "catchup_period": None,
        "catchup_payload": None,
        "catchup_expires_at": None,
        "enabled": True,
        "disabled_reason": None,
    }
    try:
        row["next_due_at"] = memo.next_due(c)
        if c.blocked or schedule.is_paused(c, memo.now):
            stats.skipped += c.n
            return row
        due = c.next_due_at
        expires = schedule.slot_expiry(c.stream, due, c)
        stale = memo.now >= expires
        row.update(
            status=Status.DROPPED if stale else Status.PENDING,
            last_error="stale" if stale else None,
            period=schedule.slot_period(c.stream, due, c),
            payload=schedule.slot_payload(c.stream, due, c),
            expires_at=expires,
        )
        later = schedule.catch_up(c.stream, due, c, memo.now) if stale else None
        if later is not None:
            row.update(
                catchup_due=later,
                catchup_period=schedule.slot_period(c.stream, later, c),
                catchup_payload=schedule.slot_payload(c.stream, later, c),
                catchup_expires_at=schedule.slot_expiry(c.stream, later, c),
            )
    except Exception:
        log.exception("cannot schedule %s for %d member(s) in %s; turning it off", c.stream, c.n, c.timezone)
        stats.errors += c.n
        row.update(status=None, next_due_at=None, enabled=False, disabled_reason="could not be scheduled")
    return row


@dataclass(frozen=True)
class _Range:
    """The due rows of one chunk: from (first, lo) to (last, hi), ordered by due time then member."""

    first: datetime
    last: datetime
    lo: int
    hi: int

    def where(self, due: Any, member: Any) -> list[Any]:
        if self.first == self.last:
            # One instant's slice: a range scan of the due index, which ends in the member id.
            return [due == self.first, member.between(self.lo, self.hi)]
        return [
            due.between(self.first, self.last),
            or_(due > self.first, member >= self.lo),
            or_(due < self.last, member <= self.hi),
        ]


def _queue_statement(dialect: str, now: datetime, span: _Range, catchup: bool = False) -> Any:
    """Queue each due row's slot; with `catchup`, the later slot sent in place of a stale one."""
    c = _cohorts.c
    period, payload, not_before, expires = (
        (c.catchup_period, c.catchup_payload, c.catchup_due, c.catchup_expires_at)
        if catchup
        else (c.period, c.payload, _S.c.next_due_at, c.expires_at)
    )
    key = outbox_store.slot_key_sql(_S.c.stream, _S.c.member_id, period)
    rows = (
        select(
            key,
            _M.c.platform,
            _S.c.stream,
            literal("dm", String),
            _S.c.member_id,
            _M.c.community_id,
            payload,
            literal(Status.PENDING.value, String) if catchup else c.status,
            literal(0, Integer),
            not_before,
            expires,
            literal(now, UTCDateTime()),
            literal(None, String) if catchup else c.last_error,
        )
        .select_from(_S.join(_M, _M.c.id == _S.c.member_id).join(_cohorts, _match(dialect)))
        # SQLite needs a WHERE before ON CONFLICT to parse an INSERT ... SELECT with a join.
        .where(
            _S.c.enabled.is_(True),
            *span.where(_S.c.next_due_at, _S.c.member_id),
            (c.catchup_period if catchup else c.status).is_not(None),
        )
    )
    columns = [
        "key", "platform", "stream", "target", "member_id", "community_id", "payload",
        "status", "attempts", "not_before", "expires_at", "created_at", "last_error",
    ]  # fmt: skip
    return outbox_store.insert_statement(dialect).from_select(columns, rows)


def _advance_statement(dialect: str, now: datetime, span: _Range) -> Any:
    if dialect == "postgresql":
        # Planned on its own (from_collapse_limit 1) in the written order, then each row
        # updated by its key. The old due time is matched again so that a member who changed
        # their settings meanwhile (a row this waited on) keeps the due time they just set.
        due = (
            select(
                _S.c.member_id,
                _S.c.stream,
                _S.c.next_due_at.label("was_due"),
                _cohorts.c.next_due_at,
                _cohorts.c.enabled,
                _cohorts.c.disabled_reason,
            )
            .select_from(_S.join(_M, _M.c.id == _S.c.member_id).join(_cohorts, _match(dialect)))
            .where(_S.c.enabled.is_(True), *span.where(_S.c.next_due_at, _S.c.member_id))
            .subquery("due")
        )
        return (
            update(_S)
            .where(
                _S.c.member_id == due.c.member_id,
                _S.c.stream == due.c.stream,
                _S.c.next_due_at == due.c.was_due,
                _S.c.enabled.is_(True),
            )
            .values(
                next_due_at=due.c.next_due_at,
                enabled=due.c.enabled,
                disabled_reason=due.c.disabled_reason,
                updated_at=now,
            )
        )
    return (
        update(_S)
        .where(
            _S.c.member_id == _M.c.id,
            _match(dialect),
            _S.c.enabled.is_(True),
            *span.where(_S.c.next_due_at, _S.c.member_id),
        )
        .values(
            next_due_at=_cohorts.c.next_due_at,
            enabled=_cohorts.c.enabled,
            disabled_reason=_cohorts.c.disabled_reason,
            updated_at=now,
        )
    )


async def _count_stale(conn: Any, now: datetime, span: _Range) -> int:
    stmt = select(func.count()).where(
        _OUTBOX.c.status == Status.DROPPED,
        *span.where(_OUTBOX.c.not_before, _OUTBOX.c.member_id),
        _OUTBOX.c.created_at == now,
    )
    return int((await conn.execute(stmt)).scalar_one())


def _spans(counts: list[Any]) -> Iterator[_Range]:
    """About CHUNK_ROWS due rows a chunk, cut between blocks of member ids.

    `counts` are due rows counted per (due instant, member block), in that order; a chunk
    is a run of them.
    """
    run: list[Any] = []
    size = 0
    for r in counts:
        if run and size + r.n > CHUNK_ROWS:
            yield _span(run)
            run, size = [], 0
        run.append(r)
        size += r.n
    if run:
        yield _span(run)


def _span(run: list[Any]) -> _Range:
    return _Range(
        run[0].next_due_at,
        run[-1].next_due_at,
        run[0].block * MEMBER_BLOCK,
        (run[-1].block + 1) * MEMBER_BLOCK - 1,
    )


@dataclass(frozen=True)
class _Wanted:
    """What the pass's cohorts ask to be written, summed over their members."""

    pending: int
    dropped: int
    catchup: int

    @classmethod
    def of(cls, cohorts: list[Any], rows: list[dict[str, Any]]) -> _Wanted:
        def total(test: Any) -> int:
            return sum(c.n for c, r in zip(cohorts, rows, strict=True) if test(r))

        return cls(
            pending=total(lambda r: r["status"] == Status.PENDING),
            dropped=total(lambda r: r["status"] == Status.DROPPED),
            catchup=total(lambda r: r["catchup_period"] is not None),
        )


async def _fill_cohort_table(pinned: PinnedConnection, rows: list[dict[str, Any]]) -> None:
    """The pass's cohorts, written once into a temporary table on the pinned connection, in
    short turns; every chunk after that finds its rows' cohorts there."""
    for start in range(0, len(rows), COHORTS_PER_TURN):
        async with pinned.write() as conn:
            if start == 0:
                await conn.run_sync(create_cohort_table)
            turn = rows[start : start + COHORTS_PER_TURN]
            for at in range(0, len(turn), COHORT_SLICE):
                await conn.execute(insert(_cohorts), turn[at : at + COHORT_SLICE])
            if start + COHORTS_PER_TURN >= len(rows):
                await outbox_store.analyse_temporary(conn, _cohorts.name)


async def _claim_chunk(pinned: PinnedConnection, span: _Range, now: datetime, wanted: _Wanted) -> ClaimStats:
    """Queue and advance one chunk's due rows in one transaction; what it wrote."""
    done = ClaimStats()
    async with pinned.write() as conn:
        dialect = conn.dialect.name
        await outbox_store.take_claim_turn(conn)
        await outbox_store.plan_written_join_order(conn)
        if wanted.pending or wanted.dropped:
            inserted = (await conn.execute(_queue_statement(dialect, now, span))).rowcount
            if not wanted.pending:
                stale = inserted
            elif wanted.dropped and inserted:
                stale = await _count_stale(conn, now, span)
            else:
                stale = 0
            done.stale += stale
            done.queued += inserted - stale
        if wanted.catchup:
            done.queued += (await conn.execute(_queue_statement(dialect, now, span, catchup=True))).rowcount
        await conn.execute(_advance_statement(dialect, now, span))
    return done


def _counts_statement(now: datetime) -> Any:
    """Due rows per (instant, member block), from the due index alone; only sizes chunks."""
    block = (_S.c.member_id // MEMBER_BLOCK).label("block")
    return (
        select(_S.c.next_due_at, block, func.count().label("n"))
        .where(_S.c.enabled.is_(True), _S.c.next_due_at <= now)
        .group_by(_S.c.next_due_at, block)
        .order_by(_S.c.next_due_at, block)
    )


def _cohorts_statement(now: datetime) -> Any:
    return (
        select(*_COHORT_COLUMNS, func.count().label("n"))
        .select_from(_S.join(_M, _M.c.id == _S.c.member_id))
        .where(_S.c.enabled.is_(True), _S.c.next_due_at <= now, _S.c.stream != "reassess")
        .group_by(*_COHORT_COLUMNS)
    )


# Built once; kept off the table's own index list so `create` makes only the one that fits.
_COHORT_INDEXES = {dialect: _cohort_index(dialect) for dialect in ("sqlite", "postgresql")}
_cohorts.indexes.clear()


def create_cohort_table(sync_conn: Any) -> None:
    _cohorts.drop(sync_conn, checkfirst=True)
    _cohorts.create(sync_conn)
    _COHORT_INDEXES[sync_conn.dialect.name].create(sync_conn)


async def _claim_cohorts(
    sessions: async_sessionmaker[AsyncSession], now: datetime, stats: ClaimStats
) -> None:
    """Every due slot but reassessments: the cohorts read once, then the rows in chunks.

    The cohorts and the chunk sizes are read in one read transaction, without the write
    lock. The schedule maths runs once per cohort before any transaction, so members wait
    for the write lock only while rows are written.
    """
    async with sessions() as session:
        conn = await session.connection()
        # Fetched in partitions, so turning rows into Python values gives the loop back often.
        result = await conn.stream(_cohorts_statement(now))
        cohorts = [r async for part in result.partitions(COHORT_SLICE) for r in part]
        counts = (await conn.execute(_counts_statement(now))).all() if cohorts else []
        await session.commit()
    if not cohorts:
        return
    memo = _PassMemo(now)
    planned = ClaimStats()
    rows = [_plan_cohort(c, memo, planned) for c in cohorts]
    wanted = _Wanted.of(cohorts, rows)
    done = ClaimStats()
    async with PinnedConnection(sessions) as pinned:
        try:
            await _fill_cohort_table(pinned, rows)
            for span in _spans(counts):
                done.add(await _claim_chunk(pinned, span, now, wanted))
            async with pinned.write() as conn:
                await conn.run_sync(_cohorts.drop)
        except BaseException:
            await pinned.discard()  # the temporary table may be left on it
            raise
    # A row that matched no cohort when its chunk ran (its settings changed meanwhile) or
    # whose slot was already in the outbox is counted here, and waits for the next pass.
    done.duplicate = wanted.pending + wanted.dropped + wanted.catchup - done.queued - done.stale
    stats.add(planned)
    stats.add(done)


async def _claim_reassessments(
    sessions: async_sessionmaker[AsyncSession], now: datetime, batch: int, stats: ClaimStats
) -> None:
    """Reassessment reminders, row by row: each one's next time hangs on the member's last assessment."""
    while True:
        async with sessions() as session, session.begin():
            stmt = (
                select(_S.c.member_id, _S.c.stream, _S.c.next_due_at, *_MEMBER_COLUMNS)
                .join(Member, Member.id == Schedule.member_id)
                .where(Schedule.enabled.is_(True), Schedule.next_due_at <= now, Schedule.stream == "reassess")
                .order_by(Schedule.next_due_at)
                .limit(batch)
            )
            rows = (await session.execute(_locking(session, stmt, Schedule))).all()
            queued: list[dict[str, Any]] = []
            for r in rows:
                values: dict[str, Any] = {"updated_at": now}
                try:
                    row = _reassess_row(r, now, stats)
                    anchor = max(d for d in (await reassess_anchor(session, r.member_id), r.next_due_at) if d)
                    values["next_due_at"] = schedule.next_due(r, r.stream, now, anchor)
                except (OperationalError, InterfaceError):
                    # The database itself failed (gone, locked): abort the batch so every slot in
                    # it is claimed again later, instead of turning a healthy stream off.
                    raise
                except Exception:
                    log.exception("cannot schedule %s for member %s; turning it off", r.stream, r.member_id)
                    stats.errors += 1
                    row = None
                    values.update(enabled=False, next_due_at=None, disabled_reason="could not be scheduled")
                if row is not None:
                    queued.append(row)
                await session.execute(
                    update(Schedule)
                    .where(Schedule.member_id == r.member_id, Schedule.stream == r.stream)
                    .values(**values)
                )
            inserted = await outbox_store.insert_many(session, queued)
            for row in queued:
                if row["key"] not in inserted:
                    stats.duplicate += 1
                elif row["status"] == Status.DROPPED:
                    stats.stale += 1
                else:
                    stats.queued += 1
        if len(rows) < batch:
            return


def _reassess_row(r: Any, now: datetime, stats: ClaimStats) -> dict[str, Any] | None:
    if r.dm_blocked_reason or schedule.is_paused(r, now):
        stats.skipped += 1
        return None
    due = r.next_due_at
    expires = schedule.slot_expiry(r.stream, due, r)
    stale = now >= expires
    return {
        "key": schedule.slot_key(r.stream, r.member_id, due, r),
        "platform": r.platform,
        "stream": r.stream,
        "target": "dm",
        "member_id": r.member_id,
        "community_id": r.community_id,
        "payload": {"due": due.isoformat()},
        "status": Status.DROPPED if stale else Status.PENDING,
        "attempts": 0,
        "not_before": due,
        "expires_at": expires,
        "created_at": now,
        "last_error": "stale" if stale else None,
    }


async def claim_due(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    batch: int,
    seed: bool = True,
) -> ClaimStats:
    """Queue every slot due at or before `now`; returns what happened. Messages are built
    when they are delivered, so nothing here needs the catalogue."""
    stats = ClaimStats(seeded=await seed_missing(sessions, now, batch) if seed else 0)
    await _claim_cohorts(sessions, now, stats)
    await _claim_reassessments(sessions, now, batch, stats)
    return stats

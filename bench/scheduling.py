"""3. Scheduling scale: claim and enqueue one day's slots, and one worst-case minute.

Members are spread over real time zones and check-in times (bench/seed.py). The
day is replayed with a frozen clock, one claim pass per scheduler interval, as the
running bot would do it; nothing sleeps. The worst case forces N members' check-ins
into the same minute. The plan the database uses for the due-claim query is printed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.context import Bench
from bench.seed import T0, Population, bench_settings, seed
from bench.stats import figure
from bot.core.clock import FrozenClock
from bot.runtime import App, build_app
from bot.scheduler.service import claim_pass
from storage.db import checkpoint
from storage.models import OutboxMessage, Schedule
from storage.outbox_status import Status

# Passes of the day replayed: every `interval` seconds of simulated time for 24 h.
DAY = timedelta(hours=24)


def _claim_statement(sql: str) -> str | None:
    """Which of the claim pass's set-based statements `sql` is, if any."""
    flat = " ".join(sql.split()).lower()
    if flat.startswith("select") and "group by" in flat and "from schedules join members" in flat:
        return "read cohorts"
    if flat.startswith("insert into outbox") and "claim_cohorts" in flat:
        return "queue"
    if flat.startswith("update schedules") and "claim_cohorts" in flat:
        return "advance"
    return None


@contextmanager
def explained(name_of: Callable[[str], str | None]) -> Iterator[dict[str, list[str]]]:
    """The plan of the first statement of each name that runs inside the block, on any engine.

    Plans are read as the statements really run (same parameters, same temporary tables),
    on the connection that runs them; EXPLAIN itself executes nothing.
    """
    plans: dict[str, list[str]] = {}

    def explain(conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool) -> None:
        name = name_of(statement)
        if name is None or name in plans or many:
            return
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            if conn.dialect.name == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                plans[name] = [str(r[3]) for r in cursor.fetchall()]
            else:
                cursor.execute("EXPLAIN " + statement, parameters)
                plans[name] = [str(r[0]) for r in cursor.fetchall()]
        finally:
            cursor.close()

    event.listen(Engine, "before_cursor_execute", explain)
    try:
        yield plans
    finally:
        event.remove(Engine, "before_cursor_execute", explain)


async def indexes(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            idx = await conn.execute(
                text("SELECT name, sql FROM sqlite_master WHERE tbl_name='schedules' AND type='index'")
            )
            return [f"index {r[0]}: {r[1]}" for r in idx if r[1]]
        idx = await conn.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename='schedules'"))
        return [f"index: {r[0]}" for r in idx]


async def _outbox_counts(app: App) -> dict[str, int]:
    async with app.sessions() as s:
        rows = await s.execute(
            select(OutboxMessage.stream, func.count())
            .where(OutboxMessage.status == Status.PENDING)
            .group_by(OutboxMessage.stream)
        )
        return {stream: n for stream, n in rows.all()}


async def worst_minute(app: App, clock: FrozenClock, n: int) -> tuple[float, int]:
    """Force `n` check-ins due one minute before T0, then time one claim pass at T0 - 30 s."""
    due = T0 - timedelta(minutes=1)
    async with app.sessions() as s, s.begin():
        ids = select(Schedule.member_id).where(Schedule.stream == "checkin").order_by(Schedule.member_id)
        await s.execute(
            update(Schedule)
            .where(Schedule.stream == "checkin", Schedule.member_id.in_(ids.limit(n).scalar_subquery()))
            .values(next_due_at=due)
        )
    # The running scheduler checkpoints SQLite's WAL every few seconds; do the same after
    # the setup write so the pass reads the database as it would find it.
    await checkpoint(app.db)
    clock.set(T0 - timedelta(seconds=30))
    started = time.perf_counter()
    stats = await claim_pass(app)
    return time.perf_counter() - started, stats.queued


async def replay_day(
    app: App, clock: FrozenClock, interval: float, budget: float
) -> tuple[float, int, int, float, float]:
    """One claim pass per interval over 24 h, or until `budget` seconds of work;
    (seconds, passes, queued, slowest pass, share of the day replayed)."""
    at, end = T0, T0 + DAY
    total, passes, queued, slowest = 0.0, 0, 0, 0.0
    while at < end and total < budget:
        at += timedelta(seconds=interval)
        clock.set(at)
        started = time.perf_counter()
        stats = await claim_pass(app)
        took = time.perf_counter() - started
        total += took
        slowest = max(slowest, took)
        passes += 1
        queued += stats.queued
    return total, passes, queued, slowest, (at - T0) / DAY


async def run(b: Bench) -> None:
    sizes = b.sizes
    for kind in b.backends():
        async with b.database(kind, "sched") as url:
            seeded = await seed(url, b.catalog, Population(sizes.sched_members, history_share=0.2))
            print(f"  [{kind}] seeded {seeded.members} members in {seeded.seconds:.1f} s", flush=True)
            clock = FrozenClock(T0)
            app = build_app(bench_settings(url), clock=clock, catalog=b.catalog)
            try:
                n = min(sizes.worst_minute, sizes.sched_members)
                with explained(_claim_statement) as plans:
                    took, queued = await worst_minute(app, clock, n)
                print(f"  [{kind}] claim pass query plans:")
                for name, lines in plans.items():
                    print(f"      {name}:")
                    for line in lines:
                        print(f"        {line}")
                for line in await indexes(app.db):
                    print(f"      {line}")
                rate = queued / took if took else 0.0
                at_100k = 100_000 / rate if rate else float("inf")
                b.add(
                    figure(
                        "3 scheduling",
                        f"{kind}: enqueue worst minute, {n:,} due at once",
                        "s",
                        [took],
                        note=f"{queued:,} queued, {rate:,.0f} rows/s",
                    )
                )
                b.add(
                    figure(
                        "3 scheduling",
                        f"{kind}: 100,000 due at once" + ("" if n >= 100_000 else " (linear from the above)"),
                        "s",
                        [took if n >= 100_000 else at_100k],
                        target="< 2 s" if kind == "sqlite" else "",
                        met=(at_100k < 2.0 if n < 100_000 else took < 2.0) if kind == "sqlite" else None,
                    )
                )
                interval = app.settings.scheduler_interval_seconds
                total, passes, day_queued, slowest, share = await replay_day(
                    app, clock, interval, sizes.day_budget
                )
                per_stream = await _outbox_counts(app)
                whole = "" if share >= 1 else f" ({share:.0%} of the day replayed in the time budget)"
                b.add(
                    figure(
                        "3 scheduling",
                        f"{kind}: claim + enqueue one day, {sizes.sched_members:,} members{whole}",
                        "s",
                        [total],
                        note=(
                            f"{passes} passes every {interval:g} s, {day_queued:,} queued "
                            f"({', '.join(f'{k} {v:,}' for k, v in sorted(per_stream.items()))}), "
                            f"slowest pass {slowest:.2f} s"
                        ),
                    )
                )
            finally:
                await app.close()

"""6. The common design side by side: one APScheduler 3.x cron job per member in an
SQLAlchemyJobStore on the same SQLite database, against our schedule rows.

Like sizes only. Our registration is a member set up through the engine's
/settings command (one transaction, schedules computed); the baseline's is
`add_job` with a CronTrigger in the member's time zone. Start-up is a fresh process
after a restart. The peak minute is the largest cohort of members whose check-ins
fall in the same UTC minute; the baseline's job only counts, so its figure is a
lower bound of what the common design costs.
"""

from __future__ import annotations

import time

from sqlalchemy import delete, func, select

from bench.context import Bench
from bench.seed import T0, Population, bench_settings, seed
from bench.stats import figure
from bench.subproc import child
from bot.core.clock import FrozenClock
from bot.core.identity import MemberKey
from bot.runtime import build_app
from storage.models import OutboxMessage, Schedule

TZ_CYCLE = ("Asia/Kolkata", "America/New_York", "Europe/Berlin", "America/Sao_Paulo", "Asia/Tokyo")


async def _our_registration(b: Bench, url: str, n: int) -> float:
    """Seconds per member to set up n new members through /settings."""
    app = build_app(bench_settings(url), clock=FrozenClock(T0), catalog=b.catalog)
    try:
        started = time.perf_counter()
        for i in range(n):
            key = MemberKey("discord", "register", f"r{i}")
            reply = await app.engine.command(
                key, "settings", {"timezone": TZ_CYCLE[i % len(TZ_CYCLE)], "checkin_time": "19:00"}
            )
            assert not reply.error, reply
        return (time.perf_counter() - started) / n
    finally:
        await app.close()


async def _peak_cohort(b: Bench, url: str) -> int:
    app = build_app(bench_settings(url), catalog=b.catalog)
    try:
        async with app.sessions() as s:
            stmt = (
                select(func.count())
                .where(Schedule.stream == "checkin")
                .group_by(Schedule.next_due_at)
                .order_by(func.count().desc())
                .limit(1)
            )
            return int((await s.execute(stmt)).scalar_one())
    finally:
        await app.close()


async def _clear_outbox(b: Bench, url: str) -> None:
    """Forget what the peak-minute run queued, so the catch-up run queues its slots afresh."""
    app = build_app(bench_settings(url), catalog=b.catalog)
    try:
        async with app.sessions() as s, s.begin():
            await s.execute(delete(OutboxMessage))
    finally:
        await app.close()


def _ratio(ours: float, base: float) -> str:
    return f"ours/baseline = {ours / base:.3g}" if base else ""


async def run(b: Bench) -> None:
    n = b.sizes.baseline_members
    sample = min(n, 200 if b.sizes.name != "full" else 1000)
    async with b.database("sqlite", "baseline") as url:
        seeded = await seed(url, b.catalog, Population(n, history_share=0.1))
        print(f"  seeded {n:,} members in {seeded.seconds:.1f} s", flush=True)
        peak = await _peak_cohort(b, url)
        per_member = await _our_registration(b, url, sample)
        reg = await child("aps-register", url, n)
        base_per_member = reg["took"] / reg["jobs"]
        ours_start = [await child("ours-start", url) for _ in range(b.sizes.repeats)]
        base_start = [await child("aps-start", url) for _ in range(b.sizes.repeats)]
        ours_peak = await child("ours-peak", url, peak)
        await child("aps-advance", url, peak)
        base_peak = await child("aps-peak", url, peak)
        # A restart after an hour of downtime: about 1/24 of the daily check-ins are overdue.
        # Each side starts fresh and is timed until it has handled them (ours: queued or
        # dropped as stale by the first claim pass; baseline: every overdue job has fired).
        down = max(1, n // 24)
        await _clear_outbox(b, url)
        ours_catch = await child("ours-peak", url, down)
        await child("aps-advance", url, down)
        base_catch = await child("aps-peak", url, down)

    def both(name: str, unit: str, ours: list[float], base: list[float], **kw: object) -> None:
        o, bl = (
            figure("6 baseline", f"ours: {name}", unit, ours),
            figure("6 baseline", f"baseline: {name}", unit, base),
        )
        for k, v in kw.items():
            setattr(o, k, v)
        o.note = _ratio(o.median, bl.median)
        b.add(o)
        b.add(bl)

    size = f"{n:,} members"
    both(
        f"register one member (ms; ours measured on {sample:,}, baseline on {n:,})",
        "ms",
        [per_member * 1000],
        [base_per_member * 1000],
    )
    both(
        f"register {size} (s; ours extrapolated)",
        "s",
        [per_member * n],
        [reg["took"]],
    )
    both(
        f"start-up after a restart with nothing overdue, spawn to ready, {size}",
        "s",
        [r["wall"] for r in ours_start],
        [r["wall"] for r in base_start],
        target=">= 10x faster" if n >= 100_000 else "",
    )
    both(
        f"start-up after one hour down, spawn until {down:,} overdue check-ins are handled, {size}",
        "s",
        [ours_catch["wall"]],
        [base_catch["wall"]],
        target=">= 10x faster" if n >= 100_000 else "",
    )
    both(
        f"peak memory during that catch-up, {size}",
        "MB",
        [ours_catch["hwm_mb"]],
        [base_catch["hwm_mb"]],
    )
    both(
        f"resident memory after start-up, {size}",
        "MB",
        [r["hwm_mb"] for r in ours_start],
        [r["hwm_mb"] for r in base_start],
        target=">= 10x less" if n >= 100_000 else "",
    )
    both(
        f"fire one peak minute ({peak:,} due at once), {size}",
        "s",
        [ours_peak["took"]],
        [base_peak["took"]],
        note="",
    )
    both(
        f"peak memory while firing the peak minute, {size}",
        "MB",
        [ours_peak["hwm_mb"]],
        [base_peak["hwm_mb"]],
    )
    for fig in b.figures[-16:]:
        if fig.target and fig.name.startswith("ours"):
            base_fig = next(f for f in b.figures if f.name == "baseline" + fig.name[4:])
            fig.met = base_fig.median >= 10 * fig.median

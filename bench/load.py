"""Steady load with the scheduler busy: member commands while a peak minute is claimed and drained.

Every member's check-in is made due in the same minute. At that instant a claim
pass starts, the dispatcher starts draining at the platform's pace, and 200
commands from distinct members arrive spread over one second (/checkin, /today,
/progress, /learn and an assessment answer, in turn). Reported: command latency
(p50, p99, max), the worst event-loop stall (a 5 ms probe timer), the longest
wait at the SQLite write gate and the longest turn anyone held it, and how long
the claim pass took. The window runs up to WARMUP + WINDOWS times, each with members of
its own and the same rows due again; the first WARMUP are reported apart, as a note, and
each figure is the median of the rest, with min and max; a target counts as met only if
every one of those windows met it. Then our
Discord /today round trip beside a bare discord.py bot's (bench/discord_ratio.py).
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select, text, update

from bench import discord_ratio
from bench.context import Bench
from bench.core_latency import _prepare_assess, key_step
from bench.seed import SEED, T0, Population, bench_settings, seed
from bench.stats import figure, percentile
from bot.adapters.memory.messenger import MemoryMessenger
from bot.core.call import Context
from bot.core.clock import FrozenClock
from bot.core.features.admin.handlers import stats_statements
from bot.core.identity import MemberKey
from bot.core.pictures import render
from bot.ops.looplag import LoopLagProbe
from bot.runtime import App, build_app, settle_heap
from bot.scheduler.service import claim_pass, make_dispatcher
from storage.db import checkpoint, gate_key
from storage.gate import WaitHistogram, local_gate
from storage.models import Member, OutboxMessage, Schedule

COMMANDS = 200
WINDOW = 1.0
# Steady windows per backend (fewer when the population has too few fresh members): runs
# of one tree move by a factor of two on a shared machine, so one window proves little.
WINDOWS = 3
# Windows run first and reported apart: the first peak after start meets cold caches (the
# claim process's statements compiled for the first time, inside its write turns), which a
# bot that has been running for a while has warm. Its figures are printed as a note.
WARMUP = 1
KINDS = ("checkin", "today", "progress", "learn", "assess")
P99_TARGET_MS = 150.0
MAX_TARGET_MS = 1000.0
STALL_TARGET_MS = 50.0
_SCHEDULES = Schedule.__table__


async def _command(app: App, kind: str, key: MemberKey) -> float:
    started = time.perf_counter()
    if kind == "checkin":
        reply = await app.engine.command(key, "checkin", {"minutes": 30, "note": "ok"})
    elif kind == "assess":
        reply = await app.engine.action(key, key_step[key])
    elif kind == "learn":
        reply = await app.engine.command(key, "learn", {"roadmap": "mlops"})
    else:
        reply = await app.engine.command(key, kind)
    if reply.error:
        raise RuntimeError(f"{kind} failed for {key}: {reply}")
    return (time.perf_counter() - started) * 1000


async def run(b: Bench) -> None:
    n = b.sizes.load_members
    for kind in b.backends():
        async with b.database(kind, "load") as url:
            seeded = await seed(url, b.catalog, Population(n, history_share=0.5))
            print(f"  [{kind}] seeded {seeded.members:,} members in {seeded.seconds:.1f} s", flush=True)
            peak = T0 + timedelta(days=1, hours=19)
            app = build_app(bench_settings(url), clock=FrozenClock(peak), catalog=b.catalog)
            try:
                async with app.sessions() as s, s.begin():
                    await s.execute(
                        update(Schedule).where(Schedule.stream == "checkin").values(next_due_at=peak)
                    )
                await _stats(b, app, kind, seeded.history_members[0], n)
                await _steady(b, app, kind, seeded.history_members, seeded.plain_members, n)
            finally:
                await app.close()
    await discord_ratio.run(b)


async def _plans(app: App, community_id: int, now: datetime) -> list[str]:
    lines = []
    dialect = app.db.dialect
    async with app.db.connect() as conn:
        for name, stmt in stats_statements(community_id, now).items():
            sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            explain = "EXPLAIN QUERY PLAN " if dialect.name == "sqlite" else "EXPLAIN "
            rows = (await conn.execute(text(explain + sql))).all()
            lines.append(f"{name}: " + " | ".join(str(r[-1]) for r in rows))
    return lines


async def _stats(b: Bench, app: App, kind: str, admin: MemberKey, n: int) -> None:
    """/admin stats for the largest community, with its query plans and the loop stall it causes."""
    ctx = Context(is_admin=True)
    await app.engine.command(admin, "admin", {"action": "stats"}, ctx)  # warm
    probe = LoopLagProbe(interval=0.005).start()
    await asyncio.sleep(0.02)
    probe.take_worst()
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        reply = await app.engine.command(admin, "admin", {"action": "stats"}, ctx)
        samples.append((time.perf_counter() - started) * 1000)
        assert not reply.error, reply
    await asyncio.sleep(0.01)
    probe.stop()
    label = f"{kind}: /admin stats ({n:,} members)"
    b.add(figure("7 load", f"{label}: latency p50", "ms", [percentile(samples, 50)]))
    b.add(figure("7 load", f"{label}: worst loop stall", "ms", [probe.worst * 1000]))
    async with app.sessions() as s:
        mine = select(Member.community_id).where(Member.user_id == admin.user_id)
        community = (await s.execute(mine)).scalar()
    for line in await _plans(app, int(community or 0), app.clock.now()):
        b.note(f"[{kind}] admin stats plan {line}")


async def _due_rows(app: App, peak: datetime) -> list[dict[str, object]]:
    """Every schedule row due at the peak, so each window starts from the same due minute."""
    async with app.sessions() as s:
        rows = await s.execute(
            select(Schedule.member_id, Schedule.stream, Schedule.next_due_at).where(
                Schedule.enabled.is_(True), Schedule.next_due_at <= peak
            )
        )
        return [{"m": r.member_id, "st": r.stream, "due": r.next_due_at, "on": True} for r in rows]


async def _restore(app: App, due: list[dict[str, object]], peak: datetime) -> None:
    """Undo the previous window: its outbox rows go and its due rows are due again."""
    async with app.sessions() as s, s.begin():
        await s.execute(delete(OutboxMessage).where(OutboxMessage.created_at >= peak))
        for start in range(0, len(due), 5_000):
            await s.execute(
                update(_SCHEDULES)
                .where(_SCHEDULES.c.member_id == bindparam("m"), _SCHEDULES.c.stream == bindparam("st"))
                .values(next_due_at=bindparam("due"), enabled=bindparam("on")),
                due[start : start + 5_000],
            )
    await checkpoint(app.db)


async def _steady(
    b: Bench, app: App, kind: str, history: list[MemberKey], plain: list[MemberKey], n: int
) -> None:
    """WINDOWS steady windows, each with members of its own and the same peak minute due."""
    rng = random.Random(SEED)
    history, plain = list(history), list(plain)
    rng.shuffle(history)
    rng.shuffle(plain)
    per_window_plain = COMMANDS // len(KINDS)
    windows = max(
        1,
        min(
            WARMUP + WINDOWS,
            len(history) // (COMMANDS - per_window_plain),
            len(plain) // per_window_plain,
        ),
    )
    peak = app.clock.now()
    due = await _due_rows(app, peak)
    process = app.claim_process()
    if process is not None:
        await process.start()  # as a running bot's is: started by the first pass, long before a peak
    results = []
    for window in range(windows):
        if window:
            await _restore(app, due, peak)
        results.append(await _window(app, kind, history, plain))
    warmup, results = (results[:WARMUP], results[WARMUP:]) if len(results) > WARMUP else ([], results)
    for first in warmup:
        b.note(
            f"[{kind}] first window after start (not counted): command p50 {first['p50']:.0f} ms, "
            f"p99 {first['p99']:.0f} ms, max {first['max']:.0f} ms, claim pass {first['claim']:.2f} s"
        )
    _report(b, kind, n, results)


async def _window(app: App, kind: str, history: list[MemberKey], plain: list[MemberKey]) -> dict[str, float]:
    plan = []
    for i in range(COMMANDS):
        k = KINDS[i % len(KINDS)]
        plan.append((k, plain.pop() if k == "assess" else history.pop()))
    for k, key in plan:
        if k == "assess":
            await _prepare_assess(app, key)
    await app.engine.flush_activity()
    settle_heap()
    key = gate_key(app.db)
    gate = local_gate(key) if key else None
    if gate is not None:
        gate.waits, gate.background_waits, gate.holds = WaitHistogram(), WaitHistogram(), WaitHistogram()
    dispatcher = make_dispatcher(app, MemoryMessenger(platform="discord"))
    # The seeded members are copies of a few templates, so their pictures' inputs repeat; real
    # members' do not. With no picture cache each /progress draws its own, as theirs would.
    cache_size, render.CACHE.size = render.CACHE.size, 0
    render.CACHE.clear()
    probe = LoopLagProbe(interval=0.005).start()
    await asyncio.sleep(0.05)
    probe.take_worst()

    async def timed_claim() -> float:
        started = time.perf_counter()
        stats = await claim_pass(app, seed=False)
        took = time.perf_counter() - started
        print(f"  [{kind}] claim pass: {stats} in {took:.2f} s", flush=True)
        return took

    async def later(delay: float, k: str, member: MemberKey) -> float:
        await asyncio.sleep(delay)
        return await _command(app, k, member)

    claim = asyncio.ensure_future(timed_claim())
    drain = asyncio.ensure_future(dispatcher.drain())
    latencies = await asyncio.gather(*(later(i * WINDOW / COMMANDS, k, m) for i, (k, m) in enumerate(plan)))
    command_stall = probe.worst
    claim_seconds = await claim
    drain.cancel()
    await asyncio.gather(drain, return_exceptions=True)
    stall = probe.take_worst()
    probe.stop()
    render.CACHE.size = cache_size
    by_kind = {
        k: percentile([ms for (kk, _), ms in zip(plan, latencies, strict=True) if kk == k], 50) for k in KINDS
    }
    print(f"  [{kind}] command p50 by kind: " + ", ".join(f"{k} {ms:.0f} ms" for k, ms in by_kind.items()))
    out = {
        "drawn": render.CACHE.misses,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "max": max(latencies),
        "stall": stall * 1000,
        "command stall": command_stall * 1000,
        "claim": claim_seconds,
    }
    if gate is not None:
        turns = sum(gate.holds.counts)
        out.update(
            waited=gate.waits.longest * 1000,
            background=gate.background_waits.longest * 1000,
            held=gate.holds.longest * 1000,
            turns=turns,
            mean_hold=gate.holds.total / max(turns, 1) * 1000,
        )
    return out


def _report(b: Bench, kind: str, n: int, results: list[dict[str, float]]) -> None:
    def each(name: str) -> list[float]:
        return [r[name] for r in results]

    def spread(name: str, fmt: str = "{:.0f}") -> str:
        return "/".join(fmt.format(v) for v in each(name))

    label = f"{kind}: {n:,} due, {COMMANDS} commands in {WINDOW:g} s"
    is_target = n >= 100_000
    runs = f"{len(results)} window(s), each: "
    p99, worst = max(each("p99")), max(each("max"))
    b.add(
        figure(
            "7 load", f"{label}: command p50", "ms", each("p50"),
            note=runs + spread("p50") + f"; pictures drawn {spread('drawn')}",
        )
    )  # fmt: skip
    b.add(
        figure(
            "7 load", f"{label}: command p99", "ms", each("p99"), target=f"< {P99_TARGET_MS:g} ms",
            met=(p99 < P99_TARGET_MS) if is_target else None, note=runs + spread("p99"),
        )
    )  # fmt: skip
    b.add(
        figure(
            "7 load", f"{label}: command max", "ms", each("max"), target=f"< {MAX_TARGET_MS:g} ms",
            met=(worst < MAX_TARGET_MS) if is_target else None, note=runs + spread("max"),
        )
    )  # fmt: skip
    stall = max(each("stall"))
    b.add(
        figure(
            "7 load", f"{label}: worst loop stall", "ms", each("stall"), target=f"< {STALL_TARGET_MS:g} ms",
            met=(stall < STALL_TARGET_MS) if is_target else None,
            note=f"{spread('command stall', '{:.1f}')} ms while commands ran",
        )
    )  # fmt: skip
    if "waited" in results[0]:
        b.add(
            figure(
                "7 load", f"{label}: longest write-lock wait, member commands", "ms", each("waited"),
                note=f"SQLite write gate; background writers {spread('background')} ms",
            )
        )  # fmt: skip
        b.add(
            figure(
                "7 load", f"{label}: longest write-lock hold", "ms", each("held"),
                note=f"{spread('turns')} turns, {spread('mean_hold', '{:.1f}')} ms mean",
            )
        )  # fmt: skip
    else:
        b.add(figure("7 load", f"{label}: longest write-lock wait, member commands", "ms", [0.0],
                     note="PostgreSQL: no gate"))  # fmt: skip
    b.add(figure("7 load", f"{label}: claim pass", "s", each("claim"), note=spread("claim", "{:.2f}") + " s"))

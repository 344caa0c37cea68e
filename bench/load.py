"""Steady load with the scheduler busy: member commands while a peak minute is claimed and drained.

Every member's check-in is made due in the same minute. At that instant a claim
pass starts, the dispatcher starts draining at the platform's pace, and 200
commands from distinct members arrive spread over one second (/checkin, /today,
/progress, /learn and an assessment answer, in turn). Reported: command latency
(p50, p99, max), the worst event-loop stall (a 5 ms probe timer), the longest
wait at the SQLite write gate and the longest turn anyone held it, and how long
the claim pass took. Then our Discord /today round trip beside a bare discord.py
bot's (bench/discord_ratio.py).
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import datetime, timedelta

from sqlalchemy import select, text, update

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
from bot.ops.looplag import LoopLagProbe
from bot.runtime import App, build_app, settle_heap
from bot.scheduler.service import claim_pass, make_dispatcher
from storage.db import gate_key
from storage.gate import WaitHistogram, gate_for
from storage.models import Member, Schedule

COMMANDS = 200
WINDOW = 1.0
P99_TARGET_MS = 150.0
MAX_TARGET_MS = 1000.0
STALL_TARGET_MS = 50.0


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


async def _steady(
    b: Bench, app: App, kind: str, history: list[MemberKey], plain: list[MemberKey], n: int
) -> None:
    rng = random.Random(SEED)
    history, plain = list(history), list(plain)
    rng.shuffle(history)
    rng.shuffle(plain)
    kinds = ["checkin", "today", "progress", "learn", "assess"]
    plan = []
    for i in range(COMMANDS):
        k = kinds[i % len(kinds)]
        plan.append((k, plain.pop() if k == "assess" else history.pop()))
    for k, key in plan:
        if k == "assess":
            await _prepare_assess(app, key)
    await app.engine.flush_activity()
    settle_heap()
    key = gate_key(app.db)
    gate = gate_for(key) if key else None
    if gate is not None:
        gate.waits, gate.background_waits, gate.holds = WaitHistogram(), WaitHistogram(), WaitHistogram()
    dispatcher = make_dispatcher(app, MemoryMessenger(platform="discord"))
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
    waited = gate.waits.longest * 1000 if gate is not None else 0.0
    held = gate.holds.longest * 1000 if gate is not None else 0.0
    label = f"{kind}: {n:,} due, {COMMANDS} commands in {WINDOW:g} s"
    is_target = n >= 100_000
    p99, worst = percentile(latencies, 99), max(latencies)
    b.add(figure("7 load", f"{label}: command p50", "ms", [percentile(latencies, 50)]))
    b.add(
        figure(
            "7 load", f"{label}: command p99", "ms", [p99], target=f"< {P99_TARGET_MS:g} ms",
            met=(p99 < P99_TARGET_MS) if is_target else None,
        )
    )  # fmt: skip
    b.add(
        figure(
            "7 load", f"{label}: command max", "ms", [worst], target=f"< {MAX_TARGET_MS:g} ms",
            met=(worst < MAX_TARGET_MS) if is_target else None,
        )
    )  # fmt: skip
    b.add(
        figure(
            "7 load", f"{label}: worst loop stall", "ms", [stall * 1000], target=f"< {STALL_TARGET_MS:g} ms",
            met=(stall * 1000 < STALL_TARGET_MS) if is_target else None,
            note=f"{command_stall * 1000:.1f} ms while commands ran",
        )
    )  # fmt: skip
    b.add(
        figure(
            "7 load", f"{label}: longest write-lock wait, member commands", "ms", [waited],
            note=(
                f"SQLite write gate; background writers {gate.background_waits.longest * 1000:.0f} ms"
                if gate is not None
                else "PostgreSQL: no gate"
            ),
        )
    )  # fmt: skip
    if gate is not None:
        turns = sum(gate.holds.counts)
        b.add(
            figure(
                "7 load", f"{label}: longest write-lock hold", "ms", [held],
                note=f"{turns} turns, {gate.holds.total / max(turns, 1) * 1000:.1f} ms mean",
            )
        )  # fmt: skip
    b.add(figure("7 load", f"{label}: claim pass", "s", [claim_seconds]))

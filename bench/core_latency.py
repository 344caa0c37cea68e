"""1. Core command latency through Engine (one DB transaction per call), on a seeded database.

Each operation runs on a different member each call (members with a plan and
four weeks of history, or new members where the operation starts something).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bench.context import Bench
from bench.seed import SEED, T0, Population, bench_settings, seed
from bench.stats import figure, percentile
from bot.core.clock import FrozenClock
from bot.core.identity import MemberKey
from bot.core.replies import Reply
from bot.runtime import App, build_app, settle_heap

Op = Callable[[App, MemberKey], Awaitable[Reply]]
# Single-command p99 at 100,000 members with no load, on both backends (the old 5 ms
# target was SQLite's alone, and was met with work on the event loop).
P99_TARGET_MS = 10.0


async def _assess_step(app: App, key: MemberKey) -> Reply:
    return await app.engine.action(key, key_step[key])


key_step: dict[MemberKey, str] = {}


async def _prepare_assess(app: App, key: MemberKey) -> None:
    reply = await app.engine.command(key, "assess", {"area": "python"})
    step = next((b.action for b in reply.buttons if b.action.startswith("assess:ans:")), None)
    assert step is not None, reply
    key_step[key] = step


def operations() -> dict[str, tuple[str, Op]]:
    """name -> (which members, call)."""
    return {
        "learn (view a roadmap)": (
            "history",
            lambda a, k: a.engine.command(k, "learn", {"roadmap": "mlops"}),
        ),
        "learn:enrol (start a plan)": ("plain", lambda a, k: a.engine.action(k, "learn:enrol:ai-engineer")),
        "checkin": ("history", lambda a, k: a.engine.command(k, "checkin", {"minutes": 30, "note": "ok"})),
        "progress": ("history", lambda a, k: a.engine.command(k, "progress")),
        "today": ("history", lambda a, k: a.engine.command(k, "today")),
        "assess (one answer)": ("plain", _assess_step),
    }


async def run(b: Bench) -> None:
    sizes = b.sizes
    for kind in b.backends():
        async with b.database(kind, "core") as url:
            seeded = await seed(url, b.catalog, Population(sizes.core_members, history_share=0.5))
            print(
                f"  [{kind}] seeded {seeded.members:,} members ({seeded.rows}) in {seeded.seconds:.1f} s",
                flush=True,
            )
            app = build_app(
                bench_settings(url), clock=FrozenClock(T0 + timedelta(hours=15)), catalog=b.catalog
            )
            settle_heap()  # as `python -m bot run` does once the app is built
            try:
                await _run_ops(b, app, kind, seeded.history_members, seeded.plain_members)
            finally:
                await app.close()


async def _run_ops(b: Bench, app: App, kind: str, history: list[MemberKey], plain: list[MemberKey]) -> None:
    sizes = b.sizes
    rng = random.Random(SEED)
    pools = {"history": list(history), "plain": list(plain)}
    for pool in pools.values():
        rng.shuffle(pool)
    cursor = dict.fromkeys(pools, 0)

    def take(pool: str) -> MemberKey:
        members = pools[pool]
        key = members[cursor[pool] % len(members)]
        cursor[pool] += 1
        return key

    warmup = max(5, sizes.core_calls // 10)
    for name, (pool, op) in operations().items():
        p50s, p99s = [], []
        for rep in range(sizes.repeats + 1):
            n = warmup if rep == 0 else sizes.core_calls
            keys = [take(pool) for _ in range(n)]
            if name.startswith("assess"):
                for key in keys:
                    await _prepare_assess(app, key)
            samples = []
            for key in keys:
                started = time.perf_counter()
                reply = await op(app, key)
                samples.append((time.perf_counter() - started) * 1000)
                if reply.error:
                    raise RuntimeError(f"{name} failed for {key}: {reply}")
            if rep == 0:
                continue  # warm-up round
            p50s.append(percentile(samples, 50))
            p99s.append(percentile(samples, 99))
        members = f"{sizes.core_members:,} members"
        b.add(figure("1 core", f"{kind}: {name} p50 ({members})", "ms", p50s))
        is_target = sizes.core_members >= 100_000
        b.add(
            figure(
                "1 core",
                f"{kind}: {name} p99 ({members})",
                "ms",
                p99s,
                target=f"< {P99_TARGET_MS:g} ms",
                met=(statistics.median(p99s) < P99_TARGET_MS) if is_target else None,
            )
        )

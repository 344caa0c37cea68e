"""5. Memory and start-up: a fresh process builds the app, runs the first claim pass
and starts the scheduler; resident memory and the time from spawn to ready."""

from __future__ import annotations

from bench.context import Bench
from bench.seed import Population, seed
from bench.stats import figure
from bench.subproc import child

RSS_TARGET_MB = 300.0


async def run(b: Bench) -> None:
    for n in b.sizes.memory_members:
        async with b.database("sqlite", f"mem{n}") as url:
            seeded = await seed(url, b.catalog, Population(n, history_share=0.1))
            print(f"  seeded {n:,} members in {seeded.seconds:.1f} s", flush=True)
            reports = [await child("ours-start", url) for _ in range(b.sizes.repeats)]
        big = n >= 1_000_000
        b.add(
            figure(
                "5 memory",
                f"start to ready, {n:,} members",
                "s",
                [r["wall"] for r in reports],
                note=f"of which first claim pass + scheduler start {min(r['took'] for r in reports):.2f} s",
            )
        )
        b.add(
            figure(
                "5 memory",
                f"resident memory when ready, {n:,} members",
                "MB",
                [r["rss_mb"] for r in reports],
                target=f"< {RSS_TARGET_MB:g} MB at 1,000,000" if big else "",
                met=(max(r["hwm_mb"] + r["pictures_mb"] + r["claim_mb"] for r in reports) < RSS_TARGET_MB)
                if big
                else None,
                note=f"peak (VmHWM) {max(r['hwm_mb'] for r in reports):.0f} MB; besides it, the picture "
                f"process {max(r['pictures_mb'] for r in reports):.0f} MB and the claim process "
                f"{max(r['claim_mb'] for r in reports):.0f} MB",
            )
        )

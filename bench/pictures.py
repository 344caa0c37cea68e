"""8. Pictures: render time per picture with a year of data, the event-loop stall while the
engine has them drawn (in the picture process), and the resident memory Pillow and the font add.

Targets (issue: pictures): p99 under 50 ms per picture; no loop stall over 5 ms.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta

from bench.context import Bench
from bench.stats import Latency, figure, percentile
from bot.core.pictures import burnup, community, heatmap, render, samples, skills
from bot.core.replies import Image, Reply
from bot.runtime import SWITCH_INTERVAL

P99_TARGET_MS = 50.0
STALL_TARGET_MS = 5.0

_RSS_SCRIPT = """
import json, os
def rss():
    with open(f"/proc/{os.getpid()}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024
import sqlalchemy, storage.models, bot.core.services.levels, bot.core.display, bot.core.domain.logged
before = rss()  # what the bot has loaded anyway
from PIL import Image, ImageDraw, ImageFont
imported = rss()
from bot.core.pictures import burnup, community, heatmap, samples, skills
for mod, spec in ((heatmap, samples.heatmap_spec()), (burnup, samples.burnup_spec()),
                  (skills, samples.skill_spec()), (community, samples.community_counts())):
    mod.draw(spec)
print(json.dumps({"before": before, "imported": imported, "drawn": rss()}))
"""


def year_specs(shift: int = 0) -> dict[str, tuple[object, object]]:
    """Each picture's inputs with a year of study behind them; `shift` moves today, so each
    round draws new dates and figures rather than what the label cache already holds."""
    today = samples.TODAY + timedelta(days=shift)
    year = samples.study_year(today)
    heat = replace(samples.heatmap_spec(today), minutes=tuple(sorted(year.items())))
    start = today - timedelta(days=364)
    running, logged = 0, []
    for n in range(365):
        d = start + timedelta(days=n)
        running += year.get(d, 0)
        logged.append((d, running))
    burn = replace(samples.burnup_spec(today), start=start, logged=tuple(logged))
    return {
        "study heatmap": (heatmap, heat),
        "plan burn-up": (burnup, burn),
        "skill profile": (skills, samples.skill_spec()),
        "community card": (community, samples.community_counts(today)),
    }


async def _gaps_while(work) -> list[float]:
    """Every gap, in ms beyond the 1 ms asked for, between ticks of the loop while `work` runs."""
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(max(0.0, (now - last) * 1000 - 1.0))
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    try:
        await work()
    finally:
        stop.set()
        await task
    return gaps or [0.0]


async def run(b: Bench) -> None:
    specs = year_specs()
    rounds = max(50, 20 * b.sizes.repeats)
    varied = [year_specs(shift) for shift in range(rounds)]
    for name, (mod, spec) in specs.items():
        mod.draw(spec)  # the font and first-use costs are counted in the memory figure
        lat = Latency()
        for n in range(rounds):
            other = varied[n][name][1]
            started = time.perf_counter()
            mod.draw(other)
            lat.samples.append((time.perf_counter() - started) * 1000)
        b.add(
            figure(
                "9 pictures",
                f"render {name} (p50)",
                "ms",
                [lat.p50],
                note=f"{rounds} draws, a new day each, a year of data, "
                f"{len(mod.draw(spec)) / 1024:.0f} KB PNG",
            )
        )
        b.add(
            figure(
                "9 pictures",
                f"render {name} (p99)",
                "ms",
                [lat.p99],
                target=f"< {P99_TARGET_MS:g} ms",
                met=lat.p99 < P99_TARGET_MS,
            )
        )
    render.CACHE.clear()
    started = time.perf_counter()
    render.draw_png(specs["study heatmap"][1])
    miss = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    render.draw_png(specs["study heatmap"][1])
    hit = (time.perf_counter() - started) * 1000
    b.add(
        figure("9 pictures", "same heatmap again (cache hit)", "ms", [hit], note=f"first draw {miss:.1f} ms")
    )

    async def idle() -> None:
        await asyncio.sleep(0.2)

    async def drawing() -> None:
        for shift in range(5):
            render.CACHE.clear()
            images = tuple(Image(f"{n}.png", n, spec=s) for n, (_, s) in year_specs(shift).items())
            await render.draw_reply(Reply(images=images))

    previous = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)  # what the running bot uses; see bot.runtime
    try:
        quiet = await _gaps_while(idle)
        busy = await _gaps_while(drawing)
    finally:
        sys.setswitchinterval(previous)
    b.add(
        figure(
            "9 pictures",
            "loop stall while drawing (p99 of 1 ms ticks)",
            "ms",
            [percentile(busy, 99)],
            target=f"< {STALL_TARGET_MS:g} ms",
            met=percentile(busy, 99) < STALL_TARGET_MS,
            note=f"worst {max(busy):.1f} ms over {len(busy)} ticks, "
            "20 pictures drawn by the picture process, "
            f"switch interval {SWITCH_INTERVAL * 1000:g} ms; "
            f"with nothing drawing: p99 {percentile(quiet, 99):.1f} ms, worst {max(quiet):.1f} ms",
        )
    )

    out = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", _RSS_SCRIPT], capture_output=True, text=True, check=True
    )
    rss = json.loads(out.stdout)
    b.add(
        figure(
            "9 pictures",
            "resident memory added by Pillow + font",
            "MB",
            [rss["drawn"] - rss["before"]],
            note=f"import {rss['imported'] - rss['before']:.1f} MB, font and first draws "
            f"{rss['drawn'] - rss['imported']:.1f} MB",
        )
    )

"""`python -m bench [--profile quick|full|tiny] [--only core,dispatch,...]`: run, print one table,
write JSON (default bench/results/latest.json)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import io
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    baseline,
    buddies,
    community,
    core_latency,
    dispatch,
    interactions,
    load,
    memory,
    pictures,
    review,
    scheduling,
)
from bench.context import PROFILES, Bench
from bench.stats import Figure

BENCHMARKS = {
    "core": core_latency.run,
    "interactions": interactions.run,
    "scheduling": scheduling.run,
    "dispatch": dispatch.run,
    "memory": memory.run,
    "load": load.run,
    "baseline": baseline.run,
    "review": review.run,
    "pictures": pictures.run,
    "community": community.run,
    "buddies": buddies.run,
}
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            mem_kb = int(next(ln for ln in f if ln.startswith("MemTotal")).split()[1])
    except (OSError, StopIteration):
        mem_kb = 0
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "os": platform.platform(),
        "commit": commit,
        "load_average_at_start": os.getloadavg(),
    }


def fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(figures: list[Figure]) -> str:
    rows = [("bench", "figure", "median", "min", "max", "unit", "target", "met", "note")]
    for f in figures:
        met = "" if f.met is None else ("yes" if f.met else "NO")
        rows.append((f.bench, f.name, fmt(f.median), fmt(f.low), fmt(f.high), f.unit, f.target, met, f.note))
    widths = [min(max(len(r[i]) for r in rows), 80) for i in range(len(rows[0]) - 1)]
    lines = []
    for n, r in enumerate(rows):
        cells = [r[i].ljust(widths[i]) if i in (0, 1, 5, 6, 7) else r[i].rjust(widths[i]) for i in range(8)]
        lines.append("  ".join(cells) + ("  " + r[8] if r[8] else ""))
        if n == 0:
            lines.append("-" * (sum(widths) + 2 * 8))
    return "\n".join(lines)


async def run(profile: str, only: list[str], no_postgres: bool) -> Bench:
    from content.loader import load_catalog

    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    b = Bench(PROFILES[profile], workdir, load_catalog(), postgres=not no_postgres)
    for name in only:
        print(f"== {name} ({profile})", flush=True)
        started = time.perf_counter()
        await BENCHMARKS[name](b)
        print(f"   done in {time.perf_counter() - started:.1f} s", flush=True)
    return b


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument(
        "--only", default=",".join(BENCHMARKS), help="comma-separated: " + ", ".join(BENCHMARKS)
    )
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL even when configured")
    args = parser.parse_args(argv)
    if not faulthandler.is_enabled():  # pytest's own is on when the smoke test runs this
        with contextlib.suppress(io.UnsupportedOperation):  # stderr captured, not a file
            faulthandler.enable()  # a crash inside a C extension still leaves every thread's stack
    only = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in only if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("discord").setLevel(logging.ERROR)
    info = machine()
    started = datetime.now(UTC)
    b = asyncio.run(run(args.profile, only, args.no_postgres))
    info["load_average_at_end"] = os.getloadavg()
    print()
    print(table(b.figures))
    print(f"\nmachine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB, Python {info['python']}")
    print(f"load average at start {info['load_average_at_start']}, at end {info['load_average_at_end']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "profile": args.profile,
                "started_at": started.isoformat(timespec="seconds"),
                "machine": info,
                "figures": [f.to_dict() for f in b.figures],
                "notes": b.notes,
            },
            indent=2,
        )
    )
    print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

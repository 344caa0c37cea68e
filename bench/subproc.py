"""Runs one bench.child step in a fresh interpreter and returns its JSON report."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


INPROCESS = False  # the smoke test runs the steps in its own process to stay fast


async def child(*args: object, limit: float = 7200) -> dict[str, Any]:
    if INPROCESS:
        return await _inprocess(*args)
    return await asyncio.to_thread(_spawn, *args, timeout=limit)


async def _inprocess(*args: object) -> dict[str, Any]:
    from bench import child as steps

    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        await steps.step(*map(str, args))
    report = json.loads(out.getvalue().splitlines()[-1])
    report["wall"] = time.perf_counter() - started
    return report


def _spawn(*args: object, timeout: float) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.child", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    wall = time.perf_counter() - started
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"bench.child {args[0]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    report = json.loads(lines[-1])
    report["wall"] = wall
    return report

"""Timing helpers: repeat, keep every sample, report median/min/max and percentiles."""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sample list."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Figure:
    """One reported number: the median of the repeats, with min and max."""

    bench: str
    name: str
    unit: str
    median: float
    low: float
    high: float
    repeats: int
    size: str = ""
    target: str = ""
    met: bool | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def figure(bench: str, name: str, unit: str, values: list[float], **extra: Any) -> Figure:
    return Figure(
        bench, name, unit, statistics.median(values), min(values), max(values), len(values), **extra
    )


@dataclass
class Latency:
    """Per-call samples in milliseconds for one operation."""

    samples: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return percentile(self.samples, 50)

    @property
    def p99(self) -> float:
        return percentile(self.samples, 99)


async def time_async(fn: Callable[[], Awaitable[Any]]) -> float:
    """Seconds one awaited call took."""
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


def rss_mb(pid: int | None = None) -> float:
    """Current resident set size in MB of this process or `pid` (Linux /proc, else this
    process's peak from getrusage)."""
    try:
        with open(f"/proc/{pid or os.getpid()}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss_mb() -> float:
    try:
        with open(f"/proc/{os.getpid()}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

"""Event-loop lag: how late a timer fires compared with when it was due.

A timer set every `interval` seconds fires late by however long the loop was busy
with something else: a stall that every member on this process felt at once.
Driven by `call_later` alone (no task), so it costs one callback per interval.
"""

from __future__ import annotations

import asyncio
import time


class LoopLagProbe:
    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.last = 0.0
        self.worst = 0.0  # since start, or since the last `take_worst`
        self.samples = 0
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> LoopLagProbe:
        self._loop = loop or asyncio.get_running_loop()
        self._schedule()
        return self

    def _schedule(self) -> None:
        assert self._loop is not None
        self._due = time.perf_counter() + self.interval
        self._handle = self._loop.call_later(self.interval, self._tick)

    def _tick(self) -> None:
        lag = max(0.0, time.perf_counter() - self._due)
        self.last = lag
        self.worst = max(self.worst, lag)
        self.samples += 1
        self._schedule()

    def take_worst(self) -> float:
        worst, self.worst = self.worst, 0.0
        return worst

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    @property
    def running(self) -> bool:
        return self._handle is not None and self._loop is not None and not self._loop.is_closed()

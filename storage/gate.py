"""One writer at a time on a SQLite file, first come first served, across threads.

SQLite lets one connection write at a time. Left to itself, a writer that finds the
lock taken polls for it with sleeps (the busy handler), so waiters are served in no
particular order and each wait is rounded up to the next poll. In one process the
writers queue here instead: a FIFO of futures, each woken on its own event loop the
moment the previous writer commits. Another process that writes the same file still
meets SQLite's busy timeout, as before.

Background writers (the claim pass, the dispatcher's outcomes) queue behind members:
the gate serves every member waiting before the next background writer, unless that
writer has waited BACKGROUND_PATIENCE, so a peak minute's chunks pause while members
write and a member waits for at most the one turn already running.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from typing import Protocol

# Seconds a background writer yields to members before it is served in its turn anyway.
BACKGROUND_PATIENCE = 1.0
# Upper bounds (seconds) of the wait and hold histograms every gate keeps.
WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class WaitHistogram:
    """Counts of lock waits or holds per bucket, for /metrics (storage imports nothing from bot)."""

    def __init__(self) -> None:
        self.counts = [0] * (len(WAIT_BUCKETS) + 1)
        self.total = 0.0
        self.longest = 0.0

    def observe(self, seconds: float) -> None:
        for i, bound in enumerate(WAIT_BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1
                break
        else:
            self.counts[-1] += 1
        self.total += seconds
        self.longest = max(self.longest, seconds)


class WriteGate:
    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()
        self._background: deque[tuple[float, asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()
        self._held_since = 0.0
        self.waits = WaitHistogram()  # members' waits
        self.background_waits = WaitHistogram()
        # How long each turn kept the gate: the longest hold bounds every wait behind it.
        self.holds = WaitHistogram()

    async def acquire(self, background: bool = False) -> float:
        """Wait for the gate (a background writer after the members waiting); returns the seconds waited."""
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        with self._mutex:
            waits = self.background_waits if background else self.waits
            if not self._held:
                self._held = True
                self._held_since = started
                waits.observe(0.0)
                return 0.0
            future: asyncio.Future[None] = loop.create_future()
            if background:
                self._background.append((started, loop, future))
            else:
                self._waiters.append((loop, future))
        try:
            await future
        except asyncio.CancelledError:
            with self._mutex:
                if (loop, future) in self._waiters:
                    self._waiters.remove((loop, future))
                    raise
                if (started, loop, future) in self._background:
                    self._background.remove((started, loop, future))
                    raise
            if future.done() and not future.cancelled():
                self.release()  # handed over just as the waiter gave up: pass it on
            raise
        waited = time.perf_counter() - started
        with self._mutex:
            waits.observe(waited)
        return waited

    def release(self) -> None:
        with self._mutex:
            now = time.perf_counter()
            self.holds.observe(now - self._held_since)
            if not self._waiters and not self._background:
                self._held = False
                return
            if self._background and (
                not self._waiters or now - self._background[0][0] >= BACKGROUND_PATIENCE
            ):
                _, loop, future = self._background.popleft()
            else:
                loop, future = self._waiters.popleft()
            # The next turn starts now: waking its loop is part of the time nobody else may write.
            self._held_since = now
        # Still held: ownership passes straight to the next waiter.
        loop.call_soon_threadsafe(self._grant, future)

    def _grant(self, future: asyncio.Future[None]) -> None:
        if future.cancelled():
            self.release()
        else:
            future.set_result(None)

    @property
    def queued(self) -> int:
        return len(self._waiters) + len(self._background)


class Gate(Protocol):
    """What a writer needs of a gate: a `WriteGate`, or a stand-in for one held by another
    process (the claim process asks the bot's gate for each of its turns)."""

    async def acquire(self, background: bool = False) -> float: ...

    def release(self) -> None: ...


_gates: dict[str, WriteGate] = {}
_stand_ins: dict[str, Gate] = {}
_registry_lock = threading.Lock()


def gate_for(key: str) -> Gate:
    """The process's one gate for a database (key: the resolved SQLite path)."""
    with _registry_lock:
        found = _stand_ins.get(key)
        if found is not None:
            return found
        gate = _gates.get(key)
        if gate is None:
            gate = _gates[key] = WriteGate()
        return gate


def local_gate(key: str) -> WriteGate:
    """This process's own gate for a database, for whoever measures or lends its turns."""
    with _registry_lock:
        gate = _gates.get(key)
        if gate is None:
            gate = _gates[key] = WriteGate()
        return gate


def stand_in(key: str, gate: Gate) -> None:
    """Have every writer in this process take its turns for `key` from `gate` instead."""
    with _registry_lock:
        _stand_ins[key] = gate


def all_gates() -> dict[str, WriteGate]:
    with _registry_lock:
        return dict(_gates)

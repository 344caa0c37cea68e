"""Pictures drawn in a process of their own.

Drawing is Python work (Pillow called one label and one cell at a time, 5–9 ms a picture)
that holds the GIL. In a worker thread it ran in turn with every member's command in the
process; in a child process (`bot.core.pictures.child`) it runs beside them, on another core.
The children are started once per bot process, by `warm()` or on first use, and shared by
every app in it.

If a child cannot be started or dies, the pictures it held are drawn in the calling thread
instead and the next picture starts a fresh child, so a member never loses a picture to it.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import subprocess
import sys
import threading
from concurrent.futures import Future
from typing import Any

from bot.core.frames import child_environment, read_frame, write_frame

log = logging.getLogger(__name__)


class PictureProcessLost(Exception):
    """The picture process ended before it answered."""


class PictureError(Exception):
    """The picture process could not draw a picture (its reason is the message)."""


class _Child:
    """One picture process, with a thread that hands its answers to the waiting futures."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.core.pictures.child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=child_environment(),
        )
        self.pid = self.proc.pid
        self._ids = itertools.count()
        self._pending: dict[int, Future[bytes]] = {}
        self._lock = threading.Lock()
        self.alive = True
        self._reader = threading.Thread(target=self._read, name="picture-answers", daemon=True)
        self._reader.start()

    @property
    def load(self) -> int:
        return len(self._pending)

    def submit(self, spec: Any) -> Future[bytes] | None:
        future: Future[bytes] = Future()
        with self._lock:
            if not self.alive or self.proc.stdin is None:
                return None
            ident = next(self._ids)
            self._pending[ident] = future
            try:
                write_frame(self.proc.stdin, (ident, spec))
            except (BrokenPipeError, OSError, ValueError):
                del self._pending[ident]
                self.alive = False
                return None
        return future

    def _read(self) -> None:
        assert self.proc.stdout is not None
        try:
            while (frame := read_frame(self.proc.stdout)) is not None:
                ident, ok, payload = frame
                with self._lock:
                    future = self._pending.pop(ident, None)
                if future is None:
                    continue
                if ok:
                    future.set_result(payload)
                else:
                    future.set_exception(PictureError(payload))
        except Exception:
            log.exception("the picture process sent something unreadable")
        with self._lock:
            self.alive = False
            lost, self._pending = list(self._pending.values()), {}
        for future in lost:
            future.set_exception(PictureProcessLost())

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            self.alive = False
            if self.proc.stdin is not None:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class PictureProcess:
    """Up to `processes` picture processes, each replaced when it dies; 0 draws in threads."""

    def __init__(self, processes: int = 1) -> None:
        self.processes = processes
        self._children: list[_Child] = []
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.processes > 0

    def pids(self) -> list[int]:
        with self._lock:
            return [c.pid for c in self._children if c.alive]

    def _pick(self) -> _Child | None:
        with self._lock:
            gone = [c for c in self._children if not c.alive]
            self._children = [c for c in self._children if c.alive]
            try:
                while len(self._children) < self.processes:
                    self._children.append(_Child())
            except OSError:
                log.warning("could not start a picture process; drawing in threads", exc_info=True)
            chosen = min(self._children, key=lambda c: c.load, default=None)
        for child in gone:
            child.close(timeout=0.5)
        return chosen

    def warm(self) -> None:
        """Start the picture processes now, if they are not running (returns at once)."""
        if self.enabled:
            self._pick()

    def submit(self, spec: Any) -> Future[bytes] | None:
        """The picture process's drawing of `spec`, or None if none can take it (draw it here)."""
        if not self.enabled:
            return None
        child = self._pick()
        future = child.submit(spec) if child is not None else None
        if future is None and child is not None:
            log.warning("the picture process is gone; drawing here and starting a new one")
        return future

    @staticmethod
    def lost(future: Future[Any]) -> bool:
        """Whether a finished `future` failed because its process died (draw its picture here)."""
        if isinstance(future.exception(), PictureProcessLost):
            log.warning("the picture process ended; drawing here and starting a new one")
            return True
        return False

    def close(self) -> None:
        with self._lock:
            children, self._children = self._children, []
        for child in children:
            child.close()


WORKER = PictureProcess()
atexit.register(WORKER.close)

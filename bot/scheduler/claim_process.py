"""The claim pass in a process of its own (`bot.scheduler.claim_child`).

A peak minute's claim pass is mostly Python: cohort planning, building each chunk's
statements, a weekly buddy round's matching. Run on a thread of the bot's process, all of it
waits for the same GIL as members' commands, and a command arriving during the pass took
several times as long. In a child process it runs on the other core. The child has its own
engine; on SQLite each of its write transactions takes a turn at the bot's write gate, lent
over the pipe, so members still write first and nobody polls SQLite's lock.

One child per app, started on the first pass. If the child dies, the turn it held is given
back, the pass that was running raises `ClaimProcessLost` (the caller runs it in process,
which is safe: a pass queues each slot once however often it runs), and the next pass starts
a new child.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import datetime

from bot.config import Settings
from bot.core.frames import child_environment, frame, read_frame_async
from bot.scheduler.claims import ClaimStats
from content.schema import Catalog
from storage.gate import WriteGate

log = logging.getLogger(__name__)

START_TIMEOUT = 60.0
# What the child needs of the bot's settings (its tokens stay here).
_PASSED = ("database_url", "scheduler_batch_size", "log_level", "log_format")


class ClaimProcessLost(Exception):
    """The claim process ended (or never started) before it finished the pass."""


class ClaimProcessClosed(Exception):
    """The bot is stopping: the pass was not finished, and is not to be run anywhere else."""


class ClaimProcess:
    def __init__(self, settings: Settings, catalog: Catalog, gate: WriteGate | None) -> None:
        self._settings = settings
        self._catalog = catalog
        self._gate = gate  # the bot's write gate for this database; None on PostgreSQL
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lending: asyncio.Task[None] | None = None
        self._lent = False
        self._pending: dict[int, asyncio.Future[ClaimStats]] = {}
        self._ids = 0
        self._starting = asyncio.Lock()
        self.pid: int | None = None
        self.starts = 0
        self.closed = False

    @property
    def holds_turn(self) -> bool:
        """Whether the child is writing in a turn lent from the bot's gate right now."""
        return self._lent

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None and self._reader is not None

    async def _start(self) -> asyncio.subprocess.Process:
        async with self._starting:
            if self.running and self._proc is not None:
                return self._proc
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.scheduler.claim_child",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=child_environment(),
            )  # fmt: skip
            assert proc.stdin is not None and proc.stdout is not None
            config = {name: getattr(self._settings, name) for name in _PASSED}
            proc.stdin.write(frame(("start", config, self._catalog)))
            try:
                ready = await asyncio.wait_for(read_frame_async(proc.stdout), START_TIMEOUT)
            except TimeoutError:
                ready = None
            if not ready or ready[0] != "ready":
                if proc.returncode is None:
                    proc.kill()
                await proc.wait()
                raise ClaimProcessLost("the claim process did not start")
            self._proc, self.pid = proc, ready[1]
            self.starts += 1
            self._reader = asyncio.create_task(self._read(proc))
            return proc

    async def start(self) -> None:
        """Start the child now, if it is not running (a pass starts it anyway)."""
        try:
            await self._start()
        except OSError as exc:
            raise ClaimProcessLost(str(exc)) from exc

    async def claim(self, now: datetime, seed: bool) -> ClaimStats:
        """The child's pass at `now`; raises ClaimProcessLost if it cannot finish it, and
        ClaimProcessClosed once the bot has begun to stop."""
        if self.closed:
            raise ClaimProcessClosed("the bot is stopping")
        try:
            proc = await self._start()
        except OSError as exc:
            raise ClaimProcessLost(str(exc)) from exc
        self._ids += 1
        ident = self._ids
        answer: asyncio.Future[ClaimStats] = asyncio.get_running_loop().create_future()
        self._pending[ident] = answer
        assert proc.stdin is not None
        try:
            proc.stdin.write(frame(("claim", ident, now, seed)))
            await proc.stdin.drain()
            return await answer
        except (BrokenPipeError, ConnectionError) as exc:
            raise ClaimProcessLost(str(exc)) from exc
        finally:
            self._pending.pop(ident, None)

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None and proc.stdin is not None
        try:
            while (item := await read_frame_async(proc.stdout)) is not None:
                kind = item[0]
                if kind == "acquire":
                    self._lending = asyncio.create_task(self._lend(proc))
                elif kind == "release":
                    if self._lent and self._gate is not None:
                        self._lent = False
                        self._gate.release()
                elif kind in ("done", "failed"):
                    future = self._pending.get(item[1])
                    if future is not None and not future.done():
                        if kind == "done":
                            future.set_result(item[2])
                        else:
                            future.set_exception(RuntimeError(f"claim pass failed: {item[2]}"))
        except Exception:
            log.exception("the claim process sent something unreadable")
        finally:
            await self._lost(proc)

    async def _lend(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdin is not None
        if self._gate is not None:
            await self._gate.acquire(background=True)
            self._lent = True
        try:
            proc.stdin.write(frame(("granted",)))
        except (BrokenPipeError, ConnectionError):
            pass  # the child is gone; _lost gives the turn back

    async def _lost(self, proc: asyncio.subprocess.Process) -> None:
        """The child's output ended: give back its turn and fail the pass it was running."""
        lending, self._lending = self._lending, None
        if lending is not None and not lending.done():
            lending.cancel()
            await asyncio.gather(lending, return_exceptions=True)
        if self._lent and self._gate is not None:
            self._lent = False
            self._gate.release()
        if self._proc is proc:
            self._proc, self._reader = None, None
        for future in self._pending.values():
            if not future.done():
                if self.closed:
                    future.set_exception(ClaimProcessClosed("the bot is stopping"))
                else:
                    future.set_exception(ClaimProcessLost("the claim process ended"))
        if proc.returncode is None:
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if proc.returncode not in (0, None):
            log.warning("the claim process exited with %s", proc.returncode)

    async def close(self) -> None:
        """Stop the child; a pass it was running ends with ClaimProcessClosed (what it had
        committed stays, and the next start's first pass finishes the rest)."""
        self.closed = True
        proc, reader = self._proc, self._reader
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        if reader is not None:
            try:
                await asyncio.wait_for(asyncio.shield(reader), 10)
            except TimeoutError:
                proc.kill()
                await reader

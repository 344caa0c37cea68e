"""The claim process: `python -m bot.scheduler.claim_child`, started by `claim_process.ClaimProcess`.

The bot sends a `("start", config, catalog)` frame, then `("claim", id, now, seed)` frames,
and this process answers `("done", id, stats)` or `("failed", id, reason)`, one pass at a
time. On SQLite every write transaction here first asks the bot for a turn at the bot's own
write gate (`("acquire",)`, answered `("granted",)`, ended with `("release",)`), so members'
commands and the pass still write one at a time, in the gate's order, with no busy-waiting
between the two processes. It exits when its stdin closes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
from typing import Any

from bot.core.frames import frame, read_frame_async

log = logging.getLogger(__name__)

# The pass is background work: when both cores are busy, members' commands get the CPU first.
# Its write turns stay short (a chunk's statements run in SQLite, at any priority), and with
# the cores free it runs at full speed.
NICENESS = 10


class _Pipe:
    """Frames out on a copy of fd 1, from any thread."""

    def __init__(self) -> None:
        self._out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print lands on stderr
        self._lock = threading.Lock()

    def send(self, item: Any) -> None:
        """Send a frame; if the bot has gone, drop it (the bot gives back any turn it lent)."""
        with self._lock:
            try:
                self._out.write(frame(item))
                self._out.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass


class LentGate:
    """The bot's write gate, asked for over the pipe: each turn is one the bot's gate grants."""

    def __init__(self, pipe: _Pipe, loop: asyncio.AbstractEventLoop) -> None:
        self._pipe = pipe
        self._loop = loop  # the loop that reads the bot's frames
        self._grants: asyncio.Queue[None] = asyncio.Queue()

    def granted(self) -> None:
        self._grants.put_nowait(None)

    async def _ask(self) -> None:
        self._pipe.send(("acquire",))
        try:
            await self._grants.get()
        except asyncio.CancelledError:
            # The turn will still be granted: hand it straight back when it is.
            self._loop.create_task(self._give_back())
            raise

    async def _give_back(self) -> None:
        await self._grants.get()
        self.release()

    async def acquire(self, background: bool = False) -> float:
        started = time.perf_counter()
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._ask(), self._loop))
        return time.perf_counter() - started

    def release(self) -> None:
        self._pipe.send(("release",))


async def serve() -> None:
    from bot.config import Settings
    from bot.core.pictures import process as pictures
    from bot.logs import setup_logging
    from bot.scheduler.service import run_pass
    from storage.db import CHECKPOINT_SECONDS, gate_key
    from storage.dbthread import DatabaseThread
    from storage.gate import stand_in

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    pipe = _Pipe()
    start = await read_frame_async(reader)
    if start is None:
        return
    _, config, catalog = start
    settings = Settings(_env_file=None, **config)
    setup_logging(settings)
    pictures.WORKER.processes = 0  # a digest's community card is drawn here, off the bot's GIL
    # It writes, so it checkpoints too (PASSIVE, in a worker thread, as the bot's command thread does).
    thread = DatabaseThread(
        settings.database_url, name="claims", checkpoint_every=CHECKPOINT_SECONDS, background=True
    )
    gate = LentGate(pipe, loop)
    key = gate_key(thread.engine)
    if key is not None:
        stand_in(key, gate)
    passes = asyncio.Lock()

    async def claim(ident: int, now: Any, seed: bool) -> None:
        async with passes:
            try:
                work = lambda: run_pass(catalog, settings.scheduler_batch_size, thread.sessions, now, seed)  # noqa: E731
                stats = await thread.run(work)
            except Exception as exc:
                log.exception("claim pass failed")
                pipe.send(("failed", ident, f"{type(exc).__name__}: {exc}"))
            else:
                pipe.send(("done", ident, stats))

    running: set[asyncio.Task[None]] = set()
    pipe.send(("ready", os.getpid()))
    try:
        while (item := await read_frame_async(reader)) is not None:
            if item[0] == "granted":
                gate.granted()
            elif item[0] == "claim":
                task = asyncio.create_task(claim(*item[1:]))
                running.add(task)
                task.add_done_callback(running.discard)
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await thread.close()


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the bot ends this
    os.nice(NICENESS)
    asyncio.run(serve())


if __name__ == "__main__":
    main()

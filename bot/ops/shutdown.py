"""Scheduled delivery that stops cleanly, and SIGTERM handling for `python -m bot run`.

On SIGTERM the CLI cancels the runner. The runner's `finally` calls
`DeliveryHandle.stop()`, which:
1. pauses the scheduler, so no claim or drain pass starts;
2. closes the messenger gate: sends already in flight may finish (up to `grace`
   seconds), new ones are refused and the drain ends;
3. shuts the scheduler down (cancelling anything left);
4. returns rows this process claimed but never sent ('sending') to 'pending', with the
   attempt given back, so the next pass (any process) delivers them.
Connections close as the runner unwinds. A watchdog ends the process if all this
has not finished within the deadline, so an orchestrator's stop timeout is never hit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.ports import Messenger
from bot.ops import metrics as ops_metrics
from bot.ops.delivery import CountingLimiter, DeliveryStopped, GuardedMessenger
from bot.runtime import App
from bot.scheduler.service import SchedulerHandle, start_scheduler
from storage import outbox_store

log = logging.getLogger(__name__)

SEND_GRACE = 5.0
STOP_DEADLINE = 9.5


async def release_claims(sessions: async_sessionmaker[AsyncSession], worker: str) -> int:
    """Rows `worker` claimed and did not finish go back to 'pending'; how many."""
    async with sessions() as session, session.begin():
        return await outbox_store.release(session, worker)


class _QuietCancelledJobs(logging.Filter):
    """APScheduler logs a drain ended by shutdown as a job error; it is the expected way out."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError)


_QUIET = _QuietCancelledJobs()


@dataclass
class DeliveryHandle:
    app: App
    scheduler: SchedulerHandle
    messenger: GuardedMessenger
    grace: float = SEND_GRACE
    stopped: bool = field(default=False)

    @property
    def worker(self) -> str:
        return self.scheduler.dispatcher.worker

    async def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        sched = self.scheduler.scheduler
        if sched.running:
            sched.pause()
        jobs = _running_jobs(self.scheduler)
        await self.messenger.close(self.grace)
        await self.scheduler.stop()
        if jobs:
            await asyncio.wait(jobs, timeout=1.0)
        try:
            released = await release_claims(self.app.sessions, self.worker)
        except Exception:
            log.exception("could not return unsent messages to the outbox; they retry after the lease")
            return
        if released:
            log.info("delivery stopped: %d unsent message(s) returned to the outbox", released)
        else:
            log.info("delivery stopped")


def _running_jobs(handle: SchedulerHandle) -> set[asyncio.Future[object]]:
    try:
        executor = handle.scheduler._lookup_executor("default")
        return {f for f in getattr(executor, "_pending_futures", ()) if not f.done()}
    except Exception:
        return set()


def start_delivery(app: App, messenger: Messenger, grace: float = SEND_GRACE) -> DeliveryHandle:
    """`start_scheduler` with metrics around the messenger and limiter, and a clean `stop()`."""
    for name in ("apscheduler.executors.default", "apscheduler.scheduler"):
        logging.getLogger(name).addFilter(_QUIET)
    metrics = ops_metrics.of(app)
    guarded = GuardedMessenger(messenger, metrics)
    handle = start_scheduler(app, guarded)
    if metrics is not None:
        handle.dispatcher.limiter = CountingLimiter(  # type: ignore[assignment]
            handle.dispatcher.limiter, metrics, messenger.platform
        )
    return DeliveryHandle(app, handle, guarded, grace)


def stopping(app: App) -> bool:
    return app.stopping


def _force_exit() -> None:
    log.error("shutdown did not finish within %.1f s; exiting now", STOP_DEADLINE)
    for h in logging.getLogger().handlers:
        h.flush()
    sys.stderr.flush()
    os._exit(1)


def install_sigterm(
    app: App, task: asyncio.Task[object], deadline: float = STOP_DEADLINE
) -> Callable[[], None]:
    """On SIGTERM: mark the app stopping (readiness goes 503), cancel `task`, start the watchdog.

    Returns a function that removes the handler. The watchdog stays armed until the process
    exits: interpreter shutdown can still hang (a thread blocked on a read), and it covers that.
    """
    loop = asyncio.get_running_loop()

    def on_sigterm() -> None:
        if app.stopping:
            return
        log.info("SIGTERM: stopping")
        app.stopping = True
        timer = threading.Timer(deadline, _force_exit)
        timer.daemon = True
        timer.start()
        task.cancel()

    try:
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
        return lambda: None

    return lambda: loop.remove_signal_handler(signal.SIGTERM)


__all__ = ["DeliveryHandle", "DeliveryStopped", "install_sigterm", "release_claims", "start_delivery"]

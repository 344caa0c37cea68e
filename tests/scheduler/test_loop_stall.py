"""A claim pass over a few thousand due rows never holds up the event loop for long.

The bound is generous (the precise figures live in bench/); a probe timer every 5 ms
measures how late the loop ran it while the pass worked.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

from sqlalchemy import event

from bot.ops.looplag import LoopLagProbe
from bot.scheduler.claims import claim_due
from bot.scheduler.service import claim_pass
from tests.scheduler.test_bulk import seed

DUE_ROWS = 3_000
WORST_STALL = 0.2


async def test_a_claim_pass_over_thousands_of_due_rows_keeps_the_loop_responsive(sapp):
    due = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    await seed(sapp, DUE_ROWS, due)
    probe = LoopLagProbe(interval=0.005).start()
    try:
        await asyncio.sleep(0.02)
        probe.take_worst()
        stats = await claim_due(sapp.sessions, due, batch=128)
        await asyncio.sleep(0.01)
    finally:
        probe.stop()
    assert stats.queued == DUE_ROWS
    assert probe.samples > 3
    assert probe.worst < WORST_STALL, f"the loop stalled for {probe.worst * 1000:.0f} ms"


async def test_the_claim_pass_runs_on_the_scheduler_database_thread(sapp):
    due = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    await seed(sapp, 50, due)
    thread = sapp.scheduler_db()
    assert thread is not None
    on_thread: set[str] = set()
    on_loop: list[str] = []

    def there(_conn, _cursor, statement, *_args):
        on_thread.add(threading.current_thread().name)

    def here(_conn, _cursor, statement, *_args):
        on_loop.append(statement)

    event.listen(thread.engine.sync_engine, "before_cursor_execute", there)
    event.listen(sapp.db.sync_engine, "before_cursor_execute", here)
    try:
        sapp.clock.set(due)
        stats = await claim_pass(sapp, seed=False)
    finally:
        event.remove(thread.engine.sync_engine, "before_cursor_execute", there)
        event.remove(sapp.db.sync_engine, "before_cursor_execute", here)
    assert stats.queued == 50
    assert on_loop == [], "no statement of the pass went through the loop's engine"
    assert on_thread == {"scheduler-db"}


async def test_the_probe_sees_a_stall():
    probe = LoopLagProbe(interval=0.005).start()
    try:
        await asyncio.sleep(0.02)
        import time

        time.sleep(0.08)  # noqa: ASYNC251 - block the loop on purpose
        await asyncio.sleep(0.02)
    finally:
        probe.stop()
    assert probe.worst >= 0.07

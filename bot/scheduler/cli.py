"""`python -m bot tick` and `python -m bot outbox status`."""

from __future__ import annotations

import sys
from contextlib import AsyncExitStack
from datetime import datetime

from bot.config import Settings
from bot.core.clock import FrozenClock
from bot.runtime import build_app
from bot.scheduler.messengers import MessengerFactory, MessengerUnavailable, open_messenger
from bot.scheduler.service import run_once
from storage import outbox_store
from storage.outbox_status import Status

STATES = tuple(Status)


async def tick(settings: Settings, now: datetime | None, platform: str, messenger: MessengerFactory) -> int:
    """One scheduling pass as if at `now`, then deliver what is due through `messenger`."""
    app = build_app(settings, clock=FrozenClock(now) if now is not None else None)
    try:
        async with AsyncExitStack() as stack:
            try:
                opened = await stack.enter_async_context(open_messenger(app, messenger))
            except MessengerUnavailable as exc:
                print(f"{platform}: cannot deliver from tick ({exc}); the running bot will.", file=sys.stderr)
                opened = None
            claimed, drained = await run_once(app, opened)
        at = app.clock.now().isoformat(timespec="seconds")
        print(f"tick at {at}: {claimed}")
        if drained is not None:
            print(f"delivery ({platform}): {drained}")
    finally:
        await app.close()
    return 0


async def outbox_status(settings: Settings) -> int:
    """Counts by stream and state, plus anything still in flight."""
    app = build_app(settings)
    try:
        async with app.sessions() as session:
            counts = await outbox_store.counts_by_stream(session)
    finally:
        await app.close()
    header = f"{'stream':<10}" + "".join(f"{s:>9}" for s in STATES)
    print(header)
    totals = dict.fromkeys(STATES, 0)
    for stream in sorted(counts):
        row = counts[stream]
        print(f"{stream:<10}" + "".join(f"{row.get(s, 0):>9}" for s in STATES))
        for s in STATES:
            totals[s] += row.get(s, 0)
    print(f"{'total':<10}" + "".join(f"{totals[s]:>9}" for s in STATES))
    return 0

"""A delivery process to SIGKILL mid-send: `python -m tests.soak.worker URL ISO_NOW MARKER`.

It claims a chunk of due outbox rows as worker "killed-worker", writes MARKER when
its first send starts, and then hangs in that send until killed.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path

from bot.config import Settings
from bot.core.clock import FrozenClock
from bot.core.ports import Delivery
from bot.runtime import build_app
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.ratelimit import RateLimiter


class Hang:
    platform = "discord"

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    async def send_dm(self, member, reply, *, key, dm_channel_id=None) -> Delivery:  # type: ignore[no-untyped-def]
        self.marker.write_text(key)
        await asyncio.sleep(3600)
        raise AssertionError("should have been killed")

    post_channel = send_dm


async def main(url: str, now: str, marker: str) -> None:
    app = build_app(
        Settings(_env_file=None, database_url=url), clock=FrozenClock(datetime.fromisoformat(now))
    )
    dispatcher = Dispatcher(
        app.sessions, app.clock, Hang(Path(marker)), RateLimiter(lambda _k: None), worker="killed-worker"
    )
    await dispatcher.drain()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))

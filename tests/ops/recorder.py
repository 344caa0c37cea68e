"""A slow, local stand-in for a platform, for subprocess tests of scheduled delivery.

`open_slow_recorder` is the messenger of `python -m tests.ops.bot_with_slow_recorder`.
Each send appends a "start" line, waits RECORDER_DELAY seconds, then appends a "sent" line to RECORDER_FILE
(JSON lines), so a test can see what was in flight and what landed.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from bot.core.identity import CommunityKey, MemberKey
from bot.core.ports import Delivery
from bot.core.replies import Reply


class SlowRecorder:
    def __init__(self, path: Path, delay: float, platform: str = "console") -> None:
        self.path = path
        self.delay = delay
        self.platform = platform

    def _note(self, **entry: Any) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"pid": os.getpid(), **entry}) + "\n")

    async def send_dm(
        self, member: MemberKey, reply: Reply, *, key: str, dm_channel_id: str | None = None
    ) -> Delivery:
        self._note(event="start", key=key)
        await asyncio.sleep(self.delay)
        self._note(event="sent", key=key, to=member.user_id)
        return Delivery(message_id=key[:64], channel_id=dm_channel_id or f"dm-{member.user_id}")

    async def post_channel(
        self,
        community: CommunityKey,
        channel_id: str,
        reply: Reply,
        *,
        key: str,
        thread_name: str | None = None,
        thread_reply: Reply | None = None,
    ) -> Delivery:
        self._note(event="start", key=key)
        await asyncio.sleep(self.delay)
        self._note(event="sent", key=key, to=f"#{channel_id}")
        return Delivery(message_id=key[:64], channel_id=channel_id)


def open_slow_recorder(_app: Any) -> SlowRecorder:
    return SlowRecorder(
        Path(os.environ["RECORDER_FILE"]),
        float(os.environ.get("RECORDER_DELAY", "0")),
        os.environ.get("RECORDER_PLATFORM", "console"),
    )


def read_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

"""Scheduled messages for the console: printed to the terminal, pictures saved as the console
session saves them (their path and alt text printed)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TextIO

from bot.adapters.console import pictures
from bot.core.identity import CommunityKey, MemberKey
from bot.core.ports import Delivery
from bot.core.replies import Reply, choices_of, render_text


class ConsoleMessenger:
    platform = "console"

    def __init__(self, out: TextIO | None = None, images_dir: Path = pictures.IMAGES_DIR) -> None:
        self.out = out or sys.stdout
        self.images_dir = images_dir
        self._n = 0

    async def send_dm(
        self, member: MemberKey, reply: Reply, *, key: str, dm_channel_id: str | None = None
    ) -> Delivery:
        self._n += 1
        self.out.write(f"\n[message for {member.user_id}]\n{_with_buttons(reply)}\n")
        self.out.flush()
        return Delivery(message_id=str(self._n), channel_id=dm_channel_id or f"dm-{member.user_id}")

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
        self._n += 1
        self.out.write(f"\n[#{channel_id}]\n{_with_buttons(reply)}\n")
        for path, image in await asyncio.to_thread(pictures.save, reply.images, self.images_dir):
            self.out.write(f"[image] {path}\n  {image.alt}\n")
        if thread_reply is not None:
            self.out.write(f"[thread: {thread_name}]\n{render_text(thread_reply)}\n")
        self.out.flush()
        return Delivery(
            message_id=str(self._n), channel_id=channel_id, thread_id=f"t{self._n}" if thread_reply else None
        )


def _with_buttons(reply: Reply) -> str:
    """The message as text, then the buttons it carries, so a delivered DM can be read whole."""
    labels = [label for label, _ in choices_of(reply)]
    text = render_text(reply)
    return f"{text}\n[buttons] " + " · ".join(labels) if labels else text

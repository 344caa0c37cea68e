"""An interactive (or piped) terminal session as one member of a local community."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import TextIO

from bot.adapters.console import pictures
from bot.core.call import Context
from bot.core.engine import Engine
from bot.core.identity import MemberKey
from bot.core.replies import Reply, choices_of, render_text

BANNER = (
    "Study companion: local console. Type /help for commands, a number to pick a choice, "
    "and Ctrl-D (or /quit) to leave."
)


class ConsoleSession:
    def __init__(
        self,
        engine: Engine,
        member: MemberKey,
        out: TextIO | None = None,
        read_line: Callable[[str], str | None] | None = None,
    ) -> None:
        self.engine = engine
        self.member = member
        self.out = out or sys.stdout
        self._read = read_line or _stdin_line
        self._choices: list[tuple[str, str]] = []
        self.ctx = Context(is_admin=True, display_name=member.user_id)
        self.images_dir = pictures.IMAGES_DIR

    def write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show(self, reply: Reply) -> None:
        self.write(render_text(reply))
        self._choices = choices_of(reply)
        links = [b for b in reply.buttons if b.url]
        for i, (label, _) in enumerate(self._choices, 1):
            self.write(f"  [{i}] {label}")
        for b in links:
            self.write(f"  ({b.label}: {b.url})")
        if reply.attachment is not None:
            self.write(reply.attachment.content.decode("utf-8", "replace"))

    async def fill_form(self, reply: Reply) -> Reply | None:
        assert reply.form is not None
        self.write(f"-- {reply.form.title} --")
        values: dict[str, str] = {}
        for f in reply.form.fields:
            optional = not f.required and "(optional)" not in f.label.lower()
            hint = f" [{f.default}]" if f.default else (" (optional)" if optional else "")
            line = await asyncio.to_thread(self._read, f"{f.label}{hint}: ")
            if line is None:
                return None
            values[f.id] = line.strip() or f.default
        return await self.engine.action(self.member, reply.form.action, values, self.ctx)

    async def handle(self, line: str) -> bool:
        """Run one input line; False means the session should end."""
        line = line.strip()
        if not line:
            return True
        if line in ("/quit", "/exit"):
            return False
        if line.isdigit() and self._choices:
            idx = int(line) - 1
            if not 0 <= idx < len(self._choices):
                self.write(f"Pick a number from 1 to {len(self._choices)}.")
                return True
            reply = await self.engine.action(self.member, self._choices[idx][1], None, self.ctx)
        elif line.isdigit():
            self.write("There's nothing to choose right now. Type /help to see the commands.")
            return True
        else:
            reply = await self.engine.run_line(self.member, line, self.ctx)
        while reply.form is not None:
            submitted = await self.fill_form(reply)
            if submitted is None:
                return False
            reply = submitted
        self.show(reply)
        await self.show_images(reply)
        return True

    async def show_images(self, reply: Reply) -> None:
        for path, image in await asyncio.to_thread(pictures.save, reply.images, self.images_dir):
            self.write(f"[image] {path}\n  {image.alt}")

    async def run(self) -> None:
        self.write(BANNER)
        while True:
            line = await asyncio.to_thread(self._read, "> ")
            if line is None:
                break
            if not await self.handle(line):
                break


def _stdin_line(prompt: str) -> str | None:
    if sys.stdin.isatty():
        try:
            return input(prompt)
        except EOFError:
            return None
    line = sys.stdin.readline()
    return None if line == "" else line.rstrip("\n")

"""A scripted member: type commands, press buttons by label, fill in forms."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.call import Context
from bot.core.engine import Engine
from bot.core.identity import MemberKey
from bot.core.replies import Reply, choices_of, render_text


class MemberDriver:
    def __init__(self, engine: Engine, key: MemberKey, ctx: Context | None = None) -> None:
        self.engine = engine
        self.key = key
        self.ctx = ctx or Context()
        self.last: Reply = Reply()
        self.history: list[Reply] = []

    def _keep(self, reply: Reply) -> Reply:
        self.last = reply
        self.history.append(reply)
        return reply

    async def say(self, line: str) -> Reply:
        return self._keep(await self.engine.run_line(self.key, line, self.ctx))

    async def command(self, name: str, **options: object) -> Reply:
        return self._keep(await self.engine.command(self.key, name, options, self.ctx))

    async def act(self, action: str, values: Mapping[str, str] | None = None) -> Reply:
        return self._keep(await self.engine.action(self.key, action, values, self.ctx))

    def choice(self, label_part: str) -> str:
        """The action of the first choice in the last reply whose label contains `label_part`."""
        for label, action in choices_of(self.last):
            if label_part.lower() in label.lower():
                return action
        labels = [label for label, _ in choices_of(self.last)]
        raise LookupError(f"no choice like {label_part!r} in {labels}")

    async def press(self, label_part: str) -> Reply:
        return await self.act(self.choice(label_part))

    async def submit(self, values: Mapping[str, str]) -> Reply:
        if self.last.form is None:
            raise LookupError("the last reply has no form")
        return await self.act(self.last.form.action, values)

    @property
    def text(self) -> str:
        return render_text(self.last)

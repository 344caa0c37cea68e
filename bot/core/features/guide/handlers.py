"""/help: the command list, built from the command specs."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.call import Call
from bot.core.replies import Button, Card, Reply

INTRO = (
    "I'm your study companion for AI and machine learning. Find your level, pick a roadmap, "
    "and I'll keep you moving with daily check-ins, weekly nudges, a paper a week and streaks."
)


async def help_command(call: Call) -> Reply:
    from bot.core.registry import command_specs  # the registry imports this module

    specs = command_specs((), (), ())
    lines = [f"**/{s.name}** · {s.description}" for s in specs if not s.admin or call.ctx.is_admin]
    return Reply(
        cards=(
            Card(
                title="How I can help",
                body=INTRO + "\n\n" + "\n".join(lines),
                footer="New here? Start with /assess, then /learn.",
            ),
        ),
        buttons=(
            Button("Take the placement quiz", "assess:start:ai", "primary"),
            Button("Browse roadmaps", "learn:list:all"),
        ),
    )


async def help_action(call: Call, _a: list[str], _v: Mapping[str, str]) -> Reply:
    return await help_command(call)


ACTIONS = {"help:show": help_action}

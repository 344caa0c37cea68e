"""/progress and /today: streak, pace, the plan and what to study next."""

from __future__ import annotations

from bot.core.commands import CommandSpec
from bot.core.features.progress import handlers
from bot.core.registry import Registry


def register(registry: Registry) -> None:
    registry.command(
        CommandSpec("progress", "Your streak, pace and progress through your plan"),
        handlers.progress_command,
        order=30,
        read_only=True,
    )
    registry.command(
        CommandSpec("today", "What to study today"), handlers.today_command, order=40, read_only=True
    )
    registry.actions(handlers.ACTIONS, read_only=("progress:show", "today:show"))

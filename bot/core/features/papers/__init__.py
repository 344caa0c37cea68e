"""/paper: a paper to read this week."""

from __future__ import annotations

from bot.core.commands import CommandSpec
from bot.core.features.papers import handlers
from bot.core.registry import Registry

SPEC = CommandSpec("paper", "A paper to read this week, matched to your track and level")


def register(registry: Registry) -> None:
    registry.command(SPEC, handlers.paper_command, order=70)
    registry.actions(handlers.ACTIONS)

"""/help: what the bot can do."""

from __future__ import annotations

from bot.core.commands import CommandSpec
from bot.core.features.guide import handlers
from bot.core.registry import Registry

SPEC = CommandSpec("help", "What the bot can do")


def register(registry: Registry) -> None:
    registry.command(SPEC, handlers.help_command, order=130, read_only=True)
    registry.actions(handlers.ACTIONS, read_only=("help:show",))

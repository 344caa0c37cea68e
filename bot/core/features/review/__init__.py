"""/review: today's due review cards, one at a time."""

from __future__ import annotations

from bot.core.commands import CommandSpec
from bot.core.features.review import handlers
from bot.core.registry import Registry

SPEC = CommandSpec("review", "Recall what you studied: today's due review cards, one at a time")


def register(registry: Registry) -> None:
    registry.command(SPEC, handlers.review_command, order=60, read_only=True)
    registry.actions(handlers.ACTIONS, read_only=("review:next", "review:show", "review:topic"))

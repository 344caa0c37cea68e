"""The community reading group: the weekly post and its "I'll read it" button."""

from __future__ import annotations

from bot.core.features.reading_group import handlers
from bot.core.registry import Registry


def register(registry: Registry) -> None:
    registry.actions(handlers.ACTIONS)

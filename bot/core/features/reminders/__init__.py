"""Reminders: the check-in, nudge and reassessment messages, and their snooze button."""

from __future__ import annotations

from bot.core.features.reminders import handlers
from bot.core.registry import Registry


def register(registry: Registry) -> None:
    registry.actions(handlers.ACTIONS)

"""/checkin: log today's study time."""

from __future__ import annotations

from bot.core.commands import CommandSpec, Option
from bot.core.features.checkin import handlers
from bot.core.minutes import FIELD_MAX_LENGTH
from bot.core.registry import Registry

SPEC = CommandSpec(
    "checkin",
    "Log today's study time",
    (
        Option(
            "minutes",
            "string",
            "Time studied: 45, 90m, 1h30, 1:30 or 1.5h",
            max_length=FIELD_MAX_LENGTH,
        ),
        Option("note", "string", "What you worked on", max_length=handlers.NOTE_MAX),
    ),
    usage="/checkin [minutes] [note]",
)


def register(registry: Registry) -> None:
    registry.command(SPEC, handlers.checkin_command, order=50)
    registry.actions(handlers.ACTIONS)

"""/privacy: export or delete everything the bot stores about a member."""

from __future__ import annotations

from bot.core.commands import CommandSpec, Option
from bot.core.features.privacy import handlers
from bot.core.registry import Registry

SPEC = CommandSpec(
    "privacy",
    "Export or delete everything the bot stores about you",
    (
        Option(
            "action",
            "choice",
            "export or delete",
            choices=(("Export my data", "export"), ("Delete my data", "delete")),
        ),
    ),
    usage="/privacy [export|delete]",
)


def register(registry: Registry) -> None:
    registry.command(SPEC, handlers.privacy_command, order=100)
    registry.actions(handlers.ACTIONS)

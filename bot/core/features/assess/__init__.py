"""/assess: the adaptive placement quiz."""

from __future__ import annotations

from bot.core.commands import CommandSpec, Option
from bot.core.features.assess import handlers
from bot.core.registry import Registry


def register(registry: Registry) -> None:
    spec = CommandSpec(
        "assess",
        "Find your level with a short adaptive quiz",
        (
            Option(
                "area",
                "choice",
                "A single skill area, or 'ai' for the full placement",
                choices=(("Full placement", "ai"), *registry.choices.areas),
            ),
        ),
        usage="/assess [area]",
    )
    registry.command(spec, handlers.assess_command, order=20)
    registry.actions(handlers.ACTIONS)

"""/explore: skills, careers, salaries, trends, projects and resources."""

from __future__ import annotations

from bot.core.commands import CommandSpec, Option
from bot.core.features.explore import handlers
from bot.core.registry import Registry


def register(registry: Registry) -> None:
    spec = CommandSpec(
        "explore",
        "Skills, careers, salaries, trends, projects and resources",
        (Option("topic", "choice", "What to explore", choices=registry.choices.topics),),
        usage="/explore [topic]",
    )
    registry.command(spec, handlers.explore_command, order=80, read_only=True)
    registry.actions(handlers.ACTIONS, read_only=("explore:show", "explore:pick", "explore:menu"))

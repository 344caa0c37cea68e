"""/learn: roadmaps, learning paths and a member's own plan."""

from __future__ import annotations

from bot.core.commands import CommandSpec, Option
from bot.core.features.learn import handlers
from bot.core.registry import Registry


def register(registry: Registry) -> None:
    spec = CommandSpec(
        "learn",
        "Browse the roadmaps and learning paths, and start a personal plan",
        (Option("roadmap", "choice", "A roadmap or learning path", choices=registry.choices.roadmaps),),
        usage="/learn [roadmap]",
    )
    registry.command(spec, handlers.learn_command, order=10, read_only=True)
    registry.actions(handlers.ACTIONS, read_only=("learn:list", "learn:pick", "learn:view", "learn:plan"))

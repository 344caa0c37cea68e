"""Where features declare what they answer: command specs, their handlers and action handlers.

Each package under `bot.core.features` (and each `bot.core.community` module with a
`register` function) adds itself through `register(registry)`. A command name or an action
id claimed twice is an error at start-up, never a silent override.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType

from bot.core.call import Call
from bot.core.commands import CommandSpec
from bot.core.replies import Reply

CommandHandler = Callable[..., Awaitable[Reply]]
ActionHandler = Callable[[Call, list[str], Mapping[str, str]], Awaitable[Reply]]

# Packages searched for `register(registry)`: every feature package, and the community modules.
FEATURES = "bot.core.features"
DISCOVERED = (FEATURES, "bot.core.community")


class DuplicateRegistration(Exception):
    """Two registrations claim the same command name or action id."""


@dataclass(frozen=True, slots=True)
class Choices:
    """Option choices that come from the content catalogue, as (label, value) pairs."""

    roadmaps: tuple[tuple[str, str], ...] = ()
    areas: tuple[tuple[str, str], ...] = ()
    topics: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Command:
    spec: CommandSpec
    handler: CommandHandler
    order: int
    read_only: bool


class Registry:
    def __init__(self, choices: Choices | None = None) -> None:
        self.choices = choices or Choices()
        self._commands: dict[str, Command] = {}
        self._actions: dict[str, ActionHandler] = {}
        self._read_only_actions: set[str] = set()

    def command(
        self, spec: CommandSpec, handler: CommandHandler, *, order: int, read_only: bool = False
    ) -> None:
        """Add a command. `order` places it in /help and the platforms' command lists."""
        if spec.name in self._commands:
            raise DuplicateRegistration(f"the command /{spec.name} is registered twice")
        self._commands[spec.name] = Command(spec, handler, order, read_only)

    def actions(self, handlers: Mapping[str, ActionHandler], *, read_only: Iterable[str] = ()) -> None:
        """Add action handlers keyed `namespace:verb`; `read_only` names those that only read."""
        read_only = set(read_only)
        unknown = read_only - set(handlers)
        if unknown:
            raise ValueError(f"read-only actions without a handler: {', '.join(sorted(unknown))}")
        for key, handler in handlers.items():
            namespace, sep, verb = key.partition(":")
            if not (namespace and sep and verb) or ":" in verb:
                raise ValueError(f"an action id is namespace:verb, not {key!r}")
            if key in self._actions:
                raise DuplicateRegistration(
                    f"the action {verb!r} in namespace {namespace!r} is registered twice"
                )
            self._actions[key] = handler
        self._read_only_actions |= read_only

    def specs(self) -> tuple[CommandSpec, ...]:
        return tuple(c.spec for c in sorted(self._commands.values(), key=lambda c: c.order))

    def command_handlers(self) -> dict[str, CommandHandler]:
        return {name: c.handler for name, c in self._commands.items()}

    def action_handlers(self) -> dict[str, ActionHandler]:
        return dict(self._actions)

    def read_only_commands(self) -> frozenset[str]:
        return frozenset(name for name, c in self._commands.items() if c.read_only)

    def read_only_actions(self) -> frozenset[str]:
        return frozenset(self._read_only_actions)


def registrants(packages: Iterable[str] = DISCOVERED) -> list[ModuleType]:
    """The modules under `packages` that have a `register` function, in name order."""
    found = []
    for package_name in packages:
        package = importlib.import_module(package_name)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{package_name}.{info.name}")
            if callable(getattr(module, "register", None)):
                found.append(module)
            elif package_name == FEATURES:
                raise TypeError(f"the feature package {module.__name__} has no register(registry)")
    return found


def build(choices: Choices | None = None) -> Registry:
    registry = Registry(choices)
    for module in registrants():
        module.register(registry)
    return registry


def command_specs(
    roadmap_choices: tuple[tuple[str, str], ...],
    area_choices: tuple[tuple[str, str], ...],
    explore_choices: tuple[tuple[str, str], ...],
) -> tuple[CommandSpec, ...]:
    """All commands in their listed order. Choices come from the content catalogue."""
    return build(Choices(roadmap_choices, area_choices, explore_choices)).specs()

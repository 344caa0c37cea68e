"""The registry: each feature adds its commands and actions once, and a clash stops start-up."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from bot.core import registry as registry_module
from bot.core.call import Call
from bot.core.commands import CommandSpec
from bot.core.registry import Choices, DuplicateRegistration, Registry, build
from bot.core.replies import Reply


async def _handler(call: Call) -> Reply:
    return Reply()


async def _action(call: Call, args: list[str], values: Mapping[str, str]) -> Reply:
    return Reply()


def test_a_command_registered_twice_is_refused() -> None:
    registry = Registry()
    registry.command(CommandSpec("learn", "first"), _handler, order=1)
    with pytest.raises(DuplicateRegistration, match="/learn"):
        registry.command(CommandSpec("learn", "second"), _handler, order=2)


def test_an_action_registered_twice_is_refused() -> None:
    registry = Registry()
    registry.actions({"learn:view": _action})
    with pytest.raises(DuplicateRegistration, match="'view' in namespace 'learn'"):
        registry.actions({"learn:view": _action})


def test_registering_the_features_a_second_time_is_refused() -> None:
    registry = build()
    with pytest.raises(DuplicateRegistration):
        for module in registry_module.registrants():
            module.register(registry)


def test_an_action_id_needs_a_namespace_and_a_verb() -> None:
    with pytest.raises(ValueError, match="namespace:verb"):
        Registry().actions({"learn": _action})


def test_a_read_only_action_must_have_a_handler() -> None:
    with pytest.raises(ValueError, match="learn:gone"):
        Registry().actions({"learn:view": _action}, read_only=("learn:gone",))


def test_every_spec_has_a_handler_and_every_handler_a_spec() -> None:
    registry = build()
    names = [s.name for s in registry.specs()]
    assert len(names) == len(set(names))
    assert set(names) == set(registry.command_handlers())
    assert registry.read_only_commands() <= set(names)
    assert registry.read_only_actions() <= set(registry.action_handlers())


def test_specs_keep_the_listed_order_and_take_catalogue_choices() -> None:
    registry = build(Choices(roadmaps=(("AI Engineer", "ai-engineer"),)))
    names = [s.name for s in registry.specs()]
    assert names[:3] == ["learn", "assess", "progress"]
    assert names[-2:] == ["help", "admin"]
    roadmap = next(s for s in registry.specs() if s.name == "learn").option("roadmap")
    assert roadmap is not None and roadmap.choices == (("AI Engineer", "ai-engineer"),)


def test_every_feature_package_registers_itself() -> None:
    found = {m.__name__ for m in registry_module.registrants()}
    for name in (
        "learn",
        "assess",
        "checkin",
        "progress",
        "reminders",
        "papers",
        "reading_group",
        "explore",
        "settings",
        "privacy",
        "guide",
        "admin",
        "review",
    ):
        assert f"bot.core.features.{name}" in found
    assert {"bot.core.community.leaderboard", "bot.core.community.buddies"} <= found

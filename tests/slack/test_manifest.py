"""slack/manifest.yml declares every command, scope and event the adapter relies on."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.config import Settings
from bot.core.registry import command_specs

COMMANDS = tuple(spec.name for spec in command_specs((), (), ()))

MANIFEST = Path(__file__).resolve().parents[2] / "slack" / "manifest.yml"


def load() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


def test_every_core_command_is_declared_and_listened_for():
    declared = {c["command"].lstrip("/") for c in load()["features"]["slash_commands"]}
    core = {s.name for s in command_specs((), (), ())}
    assert declared == core == set(COMMANDS)
    for command in load()["features"]["slash_commands"]:
        assert command["url"].endswith("/slack/events")
        assert len(command["description"]) <= 100


def test_scopes_events_interactivity_and_home():
    manifest = load()
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(Settings(_env_file=None).slack_scopes)
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    }
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")

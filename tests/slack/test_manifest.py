"""The Slack app manifest is built from the engine's command specs and declares what the adapter uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from bot.adapters.slack.manifest import build_manifest, slash_command
from bot.config import Settings
from bot.core.commands import CommandSpec, Option
from bot.core.registry import command_specs

ROOT = Path(__file__).resolve().parents[2]
SPECS = command_specs((), (), ())


def test_the_cli_prints_a_manifest_with_every_registered_command() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bot", "slack", "manifest", "--host", "https://study.example.org/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == 0, run.stderr
    manifest = yaml.safe_load(run.stdout)
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [f"/{s.name}" for s in SPECS]
    for command in commands:
        assert command["url"] == "https://study.example.org/slack/events"
        assert 0 < len(command["description"]) <= 100
    assert manifest["oauth_config"]["redirect_urls"] == ["https://study.example.org/slack/oauth_redirect"]


def test_a_new_spec_appears_in_the_manifest_with_its_usage_hint() -> None:
    focus = CommandSpec("focus", "Start a focused study block", usage="/focus [minutes]")
    manifest = build_manifest((*SPECS, focus), ("commands",))
    entry = manifest["features"]["slash_commands"][-1]
    assert entry == {
        "command": "/focus",
        "url": "https://YOUR-HOST/slack/events",
        "description": "Start a focused study block",
        "usage_hint": "[minutes]",
        "should_escape": False,
    }


def test_only_commands_that_take_a_channel_ask_slack_to_escape_it() -> None:
    channel = Option("channel", "channel", "Where to post")
    assert (
        slash_command(CommandSpec("post", "Post", options=(channel,)), "https://h")["should_escape"] is True
    )
    escaping = {
        c["command"] for c in build_manifest(SPECS, ())["features"]["slash_commands"] if c["should_escape"]
    }
    assert escaping == {f"/{s.name}" for s in SPECS if any(o.kind == "channel" for o in s.options)}
    assert "/admin" in escaping


def test_scopes_events_interactivity_and_home() -> None:
    manifest = build_manifest(SPECS, Settings(_env_file=None).slack_scopes, socket_mode=True)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(Settings(_env_file=None).slack_scopes)
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    }
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True

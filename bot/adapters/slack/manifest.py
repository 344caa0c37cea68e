"""The Slack app manifest, built from the engine's command specs.

`python -m bot slack manifest --host https://study.example.org` prints it, ready to paste
into "Create New App" -> "From an app manifest". The slash commands come from the same
specs the engine registers, so a new command needs no manifest edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from bot.adapters.slack.bolt_app import EVENTS_PATH, REDIRECT_PATH
from bot.core.commands import CommandSpec

BOT_EVENTS = ("app_home_opened", "app_uninstalled", "tokens_revoked")
DESCRIPTION_LIMIT = 100
USAGE_HINT_LIMIT = 1000
PLACEHOLDER_HOST = "https://YOUR-HOST"


def usage_hint(spec: CommandSpec) -> str:
    """The spec's usage without the leading `/name`: what Slack shows after the command."""
    usage = spec.usage.strip()
    prefix = f"/{spec.name}"
    if usage.startswith(prefix):
        usage = usage[len(prefix) :].strip()
    return usage[:USAGE_HINT_LIMIT]


def slash_command(spec: CommandSpec, host: str) -> dict[str, Any]:
    """One command's entry. Commands that take a channel ask Slack to escape it (`<#C123|name>`)."""
    entry: dict[str, Any] = {
        "command": f"/{spec.name}",
        "url": host + EVENTS_PATH,
        "description": spec.description[:DESCRIPTION_LIMIT],
    }
    hint = usage_hint(spec)
    if hint:
        entry["usage_hint"] = hint
    entry["should_escape"] = any(option.kind == "channel" for option in spec.options)
    return entry


def build_manifest(
    specs: Iterable[CommandSpec],
    scopes: Sequence[str],
    host: str = PLACEHOLDER_HOST,
    socket_mode: bool = False,
) -> dict[str, Any]:
    host = host.rstrip("/")
    return {
        "display_information": {
            "name": "Study Companion",
            "description": "Personal AI/ML learning plans, daily check-ins and a weekly paper.",
            "long_description": (
                "Pick one of seven AI/ML roadmaps or four multi-week learning paths, find your level "
                "with a short adaptive quiz, and get a personal plan. The app keeps you moving with a "
                "daily check-in in your DMs at your own local time, a weekly study nudge, a weekly "
                "paper matched to your track and level, spaced review of what you studied, and a Home "
                "tab with your plan, streak, pace and progress."
            ),
            "background_color": "#1d3b53",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": "Study Companion", "always_online": True},
            "slash_commands": [slash_command(spec, host) for spec in specs],
        },
        "oauth_config": {
            "redirect_urls": [host + REDIRECT_PATH],
            "scopes": {"bot": list(scopes)},
        },
        "settings": {
            "event_subscriptions": {"request_url": host + EVENTS_PATH, "bot_events": list(BOT_EVENTS)},
            "interactivity": {"is_enabled": True, "request_url": host + EVENTS_PATH},
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(manifest: dict[str, Any]) -> str:
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)

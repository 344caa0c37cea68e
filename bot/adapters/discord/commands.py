"""Slash-command definitions built from the core's CommandSpecs, and start-up sync that
only talks to Discord when the definitions changed (hash kept in app_state)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import discord

from bot.adapters.discord import limits
from bot.adapters.discord.render import clip
from bot.core.commands import CommandSpec, Option
from bot.core.engine import Engine

log = logging.getLogger(__name__)

CHAT_INPUT = 1
OPTION_TYPES = {"string": 3, "integer": 4, "number": 10, "channel": 7, "choice": 3}
TEXT_CHANNELS = [0, 5]  # guild text, announcement
MANAGE_GUILD = discord.Permissions(manage_guild=True).value
GUILD, BOT_DM = 0, 1


def option_payload(opt: Option) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": OPTION_TYPES[opt.kind],
        "name": opt.name,
        "description": clip(opt.description, limits.COMMAND_DESCRIPTION_MAX),
        "required": opt.required,
    }
    if opt.kind == "choice" and opt.choices:
        if len(opt.choices) <= limits.CHOICES_MAX and not opt.autocomplete:
            out["choices"] = [{"name": clip(label, 100), "value": value} for label, value in opt.choices]
        else:
            out["autocomplete"] = True
    elif opt.autocomplete:
        out["autocomplete"] = True
    if opt.kind == "channel":
        out["channel_types"] = TEXT_CHANNELS
    if opt.kind in ("integer", "number"):
        cast = int if opt.kind == "integer" else float
        if opt.min_value is not None:
            out["min_value"] = cast(opt.min_value)
        if opt.max_value is not None:
            out["max_value"] = cast(opt.max_value)
    if opt.kind == "string" and opt.max_length is not None:
        out["max_length"] = min(opt.max_length, 6000)
    return out


def command_payloads(specs: Iterable[CommandSpec]) -> list[dict[str, Any]]:
    out = []
    for spec in specs:
        cmd: dict[str, Any] = {
            "type": CHAT_INPUT,
            "name": spec.name,
            "description": clip(spec.description, limits.COMMAND_DESCRIPTION_MAX),
            "options": [option_payload(o) for o in spec.options],
            "contexts": [GUILD] if spec.admin else [GUILD, BOT_DM],
            "integration_types": [0],
        }
        if spec.admin:
            cmd["default_member_permissions"] = MANAGE_GUILD
        out.append(cmd)
    limits.check_payload("commands", out)
    return out


def digest(payload: Sequence[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def state_key(application_id: int, guild_id: int | None) -> str:
    scope = f"guild:{guild_id}" if guild_id is not None else "global"
    return f"discord:commands:{application_id}:{scope}"


async def sync_commands(
    http: Any,
    engine: Engine,
    application_id: int,
    payload: list[dict[str, Any]],
    guild_ids: Sequence[int],
) -> list[str]:
    """PUT the command set to each scope whose stored hash differs. Returns the synced scopes."""
    want = digest(payload)
    synced: list[str] = []
    for guild_id in list(guild_ids) or [None]:
        key = state_key(application_id, guild_id)
        if await engine.stored_state(key) == want:
            continue
        if guild_id is None:
            await http.bulk_upsert_global_commands(application_id, payload=payload)
        else:
            await http.bulk_upsert_guild_commands(application_id, guild_id, payload=payload)
        await engine.store_state(key, want)
        synced.append(key)
        log.info("synced %d slash commands (%s)", len(payload), key.rsplit(":", 1)[-1])
    return synced

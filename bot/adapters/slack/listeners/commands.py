"""Slash commands: one listener per command the engine knows."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.respond import Surface, answer, publish_home
from bot.adapters.slack.users import UserDirectory, member_key, team_of, user_of
from bot.core.engine import Engine

_CHANNEL_MENTION = re.compile(r"<#([A-Z0-9]+)(?:\|[^>]*)?>")


def command_line(name: str, text: str) -> str:
    """`/admin paper-channel <#C123|general>` becomes `... channel:C123` for the core's parser."""
    text = (text or "").strip()
    if name == "admin":
        text = _CHANNEL_MENTION.sub(lambda m: f"channel:{m.group(1)}", text)
    return f"/{name} {text}".rstrip()


def register(app: AsyncApp, engine: Engine, users: UserDirectory) -> None:
    async def on_command(
        ack: Callable[..., Awaitable[Any]], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        name = str(body.get("command", "")).lstrip("/")
        member = member_key(team_of(body), user_of(body))
        surface = Surface(
            member,
            client,
            trigger_id=body.get("trigger_id"),
            response_url=body.get("response_url"),
            channel_id=body.get("channel_id"),
        )
        ctx = await users.context(client, member, body.get("channel_id"))
        reply = await engine.run_line(member, command_line(name, body.get("text", "")), ctx)
        await answer(surface, reply)
        if name != "privacy" and not reply.error:
            await publish_home(engine, client, member)

    for name in engine.specs:
        app.command(f"/{name}")(on_command)

"""Buttons and menus, wherever they were pressed: a message, a modal or the Home tab."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.blocks import parse_page
from bot.adapters.slack.respond import Surface, answer, publish_home, show_page
from bot.adapters.slack.users import UserDirectory, member_key, team_of, user_of
from bot.core.engine import Engine

ANY = re.compile(r".*")  # an empty action_id or callback_id is still ours to answer


def register(app: AsyncApp, engine: Engine, users: UserDirectory) -> None:
    async def on_action(
        ack: Callable[..., Awaitable[Any]], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        actions = body.get("actions") or []
        if not actions:
            return
        chosen = actions[0]
        value = chosen.get("value") or (chosen.get("selected_option") or {}).get("value") or ""
        if not value or chosen.get("url"):
            return  # a link button: Slack opens the link, there is nothing to run
        member = member_key(team_of(body), user_of(body))
        container = body.get("container") or {}
        view = body.get("view") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        surface = Surface(
            member,
            client,
            trigger_id=body.get("trigger_id"),
            response_url=body.get("response_url"),
            channel_id=channel,
            replace=bool(container.get("is_ephemeral")) or str(channel or "").startswith("D"),
            view_id=view.get("id") if view.get("type") == "modal" else None,
            from_home=view.get("type") == "home",
        )
        ctx = await users.context(client, member, channel)
        if surface.from_home or surface.view_id:
            ctx = replace(ctx, text_only=True)  # a Home tab or modal shows no uploads
        page = parse_page(value)
        if page is not None:
            number, origin = page
            reply = await engine.action(member, origin, {}, ctx)
            await show_page(surface, reply, number)
            return
        reply = await engine.action(member, value, {}, ctx)
        await answer(surface, reply)
        if not value.startswith("privacy:") and not reply.error:
            await publish_home(engine, client, member)

    app.action(ANY)(on_action)

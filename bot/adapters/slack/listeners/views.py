"""Modal submissions and closes.

A submission is the one listener that does not acknowledge first: its validation
errors can only be shown in the acknowledgement, so the engine gets up to
SUBMIT_WAIT seconds before the modal is closed without waiting any longer.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.blocks import form_view
from bot.adapters.slack.listeners.actions import ANY
from bot.adapters.slack.mrkdwn import plain, shorten
from bot.adapters.slack.respond import Surface, answer, publish_home
from bot.adapters.slack.users import UserDirectory, member_key, team_of, user_of
from bot.core.call import Context
from bot.core.engine import Engine
from bot.core.replies import Reply

SUBMIT_WAIT = 2.0
_OPEN_MENTION = re.compile(r"<(?=[@!#])")


def form_values(view: Mapping[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for block in (view.get("state") or {}).get("values", {}).values():
        for action_id, state in block.items():
            if state.get("type") == "static_select":
                values[action_id] = ((state.get("selected_option") or {}).get("value")) or ""
            else:
                values[action_id] = state.get("value") or ""
    return values


def view_metadata(view: Mapping[str, Any]) -> dict[str, str]:
    """What form_view stored in private_metadata: the channel ("c") and response_url ("r")."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error_text(reply: Reply) -> str:
    parts = [c.body for c in reply.cards if c.body] or [c.title for c in reply.cards] or [reply.text]
    # Shown as plain text under the first input: defuse mentions the member may have typed,
    # even ones cut short by the core's quoting ("<@&1234" without its ">").
    text = _OPEN_MENTION.sub("<\u200b", plain(" ".join(" ".join(parts).split())))
    return shorten(text, 300) or "That didn't work."


def register(app: AsyncApp, engine: Engine, users: UserDirectory) -> None:
    async def on_submit(
        ack: Callable[..., Awaitable[Any]], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        view = body.get("view") or {}
        member = member_key(team_of(body), user_of(body))
        meta = view_metadata(view)
        ctx = Context(is_admin=False)
        try:
            ctx = await asyncio.wait_for(users.context(client, member, meta.get("c")), SUBMIT_WAIT / 2)
        except TimeoutError:
            pass
        task = asyncio.ensure_future(
            engine.action(member, str(view.get("callback_id", "")), form_values(view), ctx)
        )
        done, _ = await asyncio.wait({task}, timeout=SUBMIT_WAIT)
        if not done:
            await ack()
            reply = await task
        else:
            reply = task.result()
            if reply.error and view.get("blocks"):
                first = view["blocks"][0].get("block_id") or "input"
                await ack(response_action="errors", errors={first: _error_text(reply)})
                return
            if reply.form is not None:
                await ack(response_action="update", view=form_view(reply.form, meta))
                await publish_home(engine, client, member)
                return
            await ack()
        surface = Surface(member, client, response_url=meta.get("r"), channel_id=meta.get("c"))
        await answer(surface, reply)
        if not str(view.get("callback_id", "")).startswith("privacy:") and not reply.error:
            await publish_home(engine, client, member)

    async def on_view_closed(ack: Callable[..., Awaitable[Any]]) -> None:
        await ack()

    app.view_submission(ANY)(on_submit)
    app.view_closed(ANY)(on_view_closed)

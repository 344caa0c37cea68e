"""Bolt listeners, one module per kind of request, as in Slack's Bolt starter template.

Every listener acknowledges first and does the work afterwards, so Slack's
3-second limit holds (views.py has the one exception). A failure after the ack
reaches `on_error`, which gives the member the engine's short apology instead
of silence.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.listeners import actions, commands, events, views
from bot.adapters.slack.respond import Surface, apologise
from bot.adapters.slack.users import UserDirectory, member_key, team_of, user_of
from bot.core.engine import Engine

log = logging.getLogger(__name__)


def register(
    app: AsyncApp,
    engine: Engine,
    users: UserDirectory,
    installation_store: AsyncInstallationStore | None = None,
) -> None:
    commands.register(app, engine, users)
    actions.register(app, engine, users)
    views.register(app, engine, users)
    events.register(app, engine, installation_store)
    app.error(on_error)


async def on_error(
    error: Exception, body: dict[str, Any], client: AsyncWebClient, response: BoltResponse | None
) -> None:
    """Bolt passes `response` as None when the request was already acknowledged: only then is the
    member left with no answer (before the ack, Slack shows its own error)."""
    log.error("slack listener failed", exc_info=error)
    if response is not None or body.get("type") == "event_callback":
        return  # an event has no one waiting for an answer
    try:
        user = user_of(body)
    except ValueError:
        return
    response_url = body.get("response_url") or views.view_metadata(body.get("view") or {}).get("r")
    await apologise(Surface(member_key(team_of(body), user), client, response_url=response_url))

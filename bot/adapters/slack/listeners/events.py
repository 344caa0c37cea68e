"""Events API: the Home tab opened, and the app uninstalled or its tokens revoked.

Slack retries an event it thinks was not delivered, so each runs only the first
time its event_id is seen.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.respond import publish_home
from bot.adapters.slack.users import member_key, team_of
from bot.core.engine import Engine

log = logging.getLogger(__name__)


def register(app: AsyncApp, engine: Engine, installation_store: AsyncInstallationStore | None) -> None:
    async def first_time(body: Mapping[str, Any]) -> bool:
        event_id = body.get("event_id")
        if not event_id:
            return True
        return await engine.first_time_event("slack", str(event_id))

    async def on_home_opened(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab") not in (None, "home") or not await first_time(body):
            return
        await publish_home(engine, client, member_key(team_of(body), str(event["user"])))

    async def on_uninstalled(body: dict[str, Any]) -> None:
        if not await first_time(body):
            return
        team = body.get("team_id")
        enterprise = body.get("enterprise_id")
        log.info("app uninstalled from workspace %s", team)
        if installation_store is not None:
            await installation_store.async_delete_all(enterprise_id=enterprise, team_id=team)

    async def on_tokens_revoked(body: dict[str, Any], event: dict[str, Any]) -> None:
        if not await first_time(body):
            return
        team = body.get("team_id")
        enterprise = body.get("enterprise_id")
        tokens = event.get("tokens") or {}
        if installation_store is None:
            log.warning("tokens revoked in workspace %s", team)
            return
        for user_id in tokens.get("oauth") or []:
            await installation_store.async_delete_installation(
                enterprise_id=enterprise, team_id=team, user_id=user_id
            )
        if tokens.get("bot"):
            await installation_store.async_delete_bot(enterprise_id=enterprise, team_id=team)

    app.event("app_home_opened")(on_home_opened)
    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)

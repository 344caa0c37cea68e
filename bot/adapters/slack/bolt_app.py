"""Builds the Bolt AsyncApp for one process: single workspace (bot token) or OAuth v2.

In multi-workspace mode, installations and OAuth states live in slack_sdk's
SQLAlchemy tables (created by the project's migrations, never by create_all),
on the same database as everything else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import listeners
from bot.adapters.slack.client import make_client
from bot.adapters.slack.messenger import SlackMessenger
from bot.adapters.slack.users import UserDirectory
from bot.config import Settings
from bot.runtime import App
from bot.scheduler.messengers import MessengerUnavailable

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
EVENTS_PATH = "/slack/events"
STATE_SECONDS = 600


class SlackConfigError(MessengerUnavailable):
    """Slack is not configured well enough to connect; a one-off delivery cannot reach it."""


@dataclass
class SlackRuntime:
    bolt: AsyncApp
    messenger: SlackMessenger
    installation_store: AsyncInstallationStore | None

    @property
    def multi_workspace(self) -> bool:
        return self.installation_store is not None


def _secret(value: object) -> str | None:
    raw = value.get_secret_value() if value is not None and hasattr(value, "get_secret_value") else value
    return str(raw) if raw else None


def check_settings(s: Settings, socket_mode: bool) -> None:
    if not _secret(s.slack_bot_token) and not s.slack_client_id:
        raise SlackConfigError(
            "Set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET."
        )
    if s.slack_client_id and not _secret(s.slack_client_secret):
        raise SlackConfigError("SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is missing.")
    if not socket_mode and not _secret(s.slack_signing_secret):
        raise SlackConfigError("HTTP mode needs SLACK_SIGNING_SECRET (Basic Information > App Credentials).")


def build_slack(app: App, *, socket_mode: bool = False) -> SlackRuntime:
    s = app.settings
    check_settings(s, socket_mode)
    users = UserDirectory(s.slack_admin_user_ids)
    signing_secret = _secret(s.slack_signing_secret) or ""
    store: AsyncSQLAlchemyInstallationStore | None = None
    if s.slack_client_id:
        store = AsyncSQLAlchemyInstallationStore(client_id=s.slack_client_id, engine=app.db)
        oauth = AsyncOAuthSettings(
            client_id=s.slack_client_id,
            client_secret=_secret(s.slack_client_secret),
            scopes=s.slack_scopes,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            installation_store=store,
            state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=app.db),
        )
        client = make_client(None, s.slack_api_url)
        bolt = AsyncApp(
            signing_secret=signing_secret,
            client=client,
            oauth_settings=oauth,
            request_verification_enabled=not socket_mode or bool(signing_secret),
        )
        messenger = SlackMessenger(_team_clients(store, s.slack_api_url))
    else:
        client = make_client(_secret(s.slack_bot_token), s.slack_api_url)
        bolt = AsyncApp(
            signing_secret=signing_secret,
            client=client,
            request_verification_enabled=not socket_mode or bool(signing_secret),
        )
        messenger = SlackMessenger.single(client)
    listeners.register(bolt, app.engine, users, store)
    return SlackRuntime(bolt, messenger, store)


def _team_clients(store: AsyncInstallationStore, api_url: str):  # type: ignore[no-untyped-def]
    """The scheduler's client for a workspace, from that workspace's installation."""
    cache: dict[str, AsyncWebClient] = {}

    async def client_for(team_id: str) -> AsyncWebClient:
        bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            from bot.core.ports import PermanentDeliveryError

            raise PermanentDeliveryError("app not installed in this workspace")
        cached = cache.get(team_id)
        if cached is None or cached.token != bot.bot_token:
            cached = cache[team_id] = make_client(bot.bot_token, api_url)
        return cached

    return client_for


@asynccontextmanager
async def open_messenger(app: App) -> AsyncIterator[SlackMessenger]:
    """A Web-API-only messenger for one-off runs such as `python -m bot tick --platform slack`."""
    runtime = build_slack(app, socket_mode=True)
    try:
        yield runtime.messenger
    finally:
        session = runtime.bolt.client.session
        if session is not None and not session.closed:
            await session.close()

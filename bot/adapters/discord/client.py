"""The discord.py client: registers the persistent components and syncs commands in
setup_hook, and hands every interaction to the Router."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import discord
import yarl

from bot.adapters.discord.commands import command_payloads, sync_commands
from bot.adapters.discord.items import ActionItem, PageItem
from bot.adapters.discord.router import Router
from bot.runtime import App

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://discord.com/api/v10"
MAX_RATELIMIT_WAIT = 30.0


class _StudyClientMixin:
    app: App
    router: Router
    synced: list[str]

    def _setup(self, app: App) -> None:
        self.app = app
        self.router = Router(app.engine)
        self.synced = []

    async def setup_hook(self) -> None:
        self.add_dynamic_items(ActionItem, PageItem)  # type: ignore[attr-defined]
        payload = command_payloads(self.app.engine.specs.values())
        self.synced = await sync_commands(
            self.http,  # type: ignore[attr-defined]
            self.app.engine,
            self.application_id,  # type: ignore[attr-defined]
            payload,
            self.app.settings.discord_guild_ids,
        )

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.router.on_interaction(interaction)


class StudyClient(_StudyClientMixin, discord.Client):
    def __init__(self, app: App, **options: Any) -> None:
        super().__init__(**options)
        self._setup(app)


class ShardedStudyClient(_StudyClientMixin, discord.AutoShardedClient):
    def __init__(self, app: App, **options: Any) -> None:
        super().__init__(**options)
        self._setup(app)


def client_options(app: App) -> dict[str, Any]:
    s = app.settings
    opts: dict[str, Any] = {
        "intents": discord.Intents(guilds=True),
        "allowed_mentions": discord.AllowedMentions.none(),
        "max_ratelimit_timeout": MAX_RATELIMIT_WAIT,
    }
    if s.discord_shard_count is not None:
        opts["shard_count"] = s.discord_shard_count
    if s.discord_shard_ids:
        opts["shard_ids"] = list(s.discord_shard_ids)
    return opts


def build_client(app: App, **overrides: Any) -> discord.Client:
    """AutoShardedClient when DISCORD_SHARD_COUNT or DISCORD_SHARD_IDS is set, else Client."""
    opts = client_options(app) | overrides
    sharded = "shard_count" in opts or "shard_ids" in opts
    return ShardedStudyClient(app, **opts) if sharded else StudyClient(app, **opts)


async def apply_api_base(api_base: str, token: str) -> None:
    """Point discord.py at DISCORD_API_BASE: REST via Route.BASE, and the gateway URL
    from GET {base}/gateway/bot (a plain Client never asks for it itself)."""
    base = api_base.rstrip("/")
    discord.http.Route.BASE = base
    if base == DEFAULT_API_BASE:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL("wss://gateway.discord.gg/")
        return
    headers = {"Authorization": f"Bot {token}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/gateway/bot", headers=headers) as resp:
            if resp.status != 200:
                raise RuntimeError(f"GET {base}/gateway/bot answered {resp.status}; check DISCORD_TOKEN")
            data = await resp.json(content_type=None)
    url = yarl.URL(str(data["url"]))
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = (
        url if url.path.endswith("/") else url.with_path(url.path + "/")
    )

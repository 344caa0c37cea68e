"""`python -m bot run discord`: connect, sync commands, answer until stopped, and run the
scheduler that delivers check-ins through the same client."""

from __future__ import annotations

import logging
from typing import Any

from bot.adapters.discord.client import apply_api_base, build_client
from bot.adapters.discord.messenger import DiscordMessenger
from bot.ops.shutdown import start_delivery
from bot.runtime import App, PlatformHandle

log = logging.getLogger(__name__)


async def run_discord(app: App, **client_overrides: Any) -> None:
    settings = app.settings
    if not settings.discord_configured:
        raise SystemExit("DISCORD_TOKEN is not set. See docs/discord.md.")
    assert settings.discord_token is not None
    token = settings.discord_token.get_secret_value()
    await apply_api_base(settings.discord_api_base, token)
    client = build_client(app, **client_overrides)
    messenger = DiscordMessenger(client)
    app.platform = PlatformHandle(
        "discord", messenger, ready=lambda: client.is_ready() and not client.is_closed(), client=client
    )
    async with client:
        await client.login(token)
        handle = start_delivery(app, messenger) if settings.scheduler_enabled else None
        try:
            await client.connect()
        finally:
            if handle is not None:
                await handle.stop()

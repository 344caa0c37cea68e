"""Run the real discord.py client, through the real runner, against the local fake."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import yarl

from bot.adapters.discord import limits, runner
from bot.adapters.discord.client import DEFAULT_API_BASE
from bot.runtime import App, build_app
from tests.conftest import make_settings
from tests.discord.spec import assert_valid
from tests.fakes.discord_fake import FakeDiscord


@pytest.fixture(autouse=True)
def strict_payloads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "STRICT", True)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    yield server
    await server.stop()
    discord.http.Route.BASE = DEFAULT_API_BASE
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL("wss://gateway.discord.gg/")
    assert_valid(server.calls)


class Bot:
    """One run of `run_discord` in the background, for one App (one process)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.task: asyncio.Task[None] | None = None

    @property
    def client(self) -> discord.Client:
        return self.app.platform.client

    async def start(self, **options: Any) -> Bot:
        options.setdefault("guild_ready_timeout", 0.01)
        self.task = asyncio.create_task(runner.run_discord(self.app, **options))
        async with asyncio.timeout(10):
            while self.app.platform is None:
                if self.task.done():
                    self.task.result()
                await asyncio.sleep(0.005)
            await self.client.wait_until_ready()
        return self

    async def stop(self) -> None:
        if self.task is None:
            return
        await self.client.close()
        await asyncio.wait_for(self.task, 5)
        self.task = None


def discord_app(db_url: str, fake: FakeDiscord, clock: Any, catalog: Any, **settings: Any) -> App:
    settings.setdefault("scheduler_enabled", False)
    s = make_settings(db_url, discord_token=fake.token, discord_api_base=fake.api_base, **settings)
    return build_app(s, clock=clock, catalog=catalog)


@pytest.fixture
async def bot(db_url, fake, clock, catalog) -> AsyncIterator[Bot]:
    app = discord_app(db_url, fake, clock, catalog)
    running = await Bot(app).start()
    yield running
    await running.stop()
    await app.close()

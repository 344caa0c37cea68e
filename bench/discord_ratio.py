"""Our Discord /today round trip beside a bare discord.py bot answering the same interaction.

Both connect to the same fake gateway and REST API (tests/fakes/discord_fake.py), one
after the other in one run, and each /today is timed from the gateway event to the
interaction callback. The bare bot is a `discord.Client` whose `on_interaction` sends a
fixed line: what discord.py itself costs. The ratio says what our layers add on top.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import discord
import yarl

from bench.context import Bench
from bench.interactions import DISCORD_USERS, _enrol
from bench.seed import T0, bench_settings
from bench.stats import figure, percentile
from bot.adapters.discord import runner as discord_runner
from bot.adapters.discord.client import DEFAULT_API_BASE, apply_api_base
from bot.core.clock import FrozenClock
from bot.runtime import build_app
from tests.fakes.discord_fake import FakeDiscord

RATIO_GOAL = 3.0


class _BareBot(discord.Client):
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Nothing planned for today.")


async def _rounds(fake: FakeDiscord, n: int) -> list[float]:
    samples = []
    for i in range(n):
        fake.calls.clear()
        started = time.perf_counter()
        payload = await fake.slash("today", user_id=DISCORD_USERS[i % len(DISCORD_USERS)])
        token = payload["token"]
        await fake.wait_for(lambda c, t=token: c.path.endswith(f"/{t}/callback"), within=10)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def _ours(b: Bench, url: str, fake: FakeDiscord, n: int) -> list[float]:
    settings = bench_settings(url, discord_token=fake.token, discord_api_base=fake.api_base)
    app = build_app(settings, clock=FrozenClock(T0 + timedelta(hours=15)), catalog=b.catalog)
    task: asyncio.Task[None] | None = None
    try:
        await _enrol(app, "discord", "910000000000000001", DISCORD_USERS)
        task = asyncio.create_task(discord_runner.run_discord(app, guild_ready_timeout=0.01))
        async with asyncio.timeout(20):
            while app.platform is None:
                if task.done():
                    task.result()
                await asyncio.sleep(0.005)
            await app.platform.client.wait_until_ready()
        await _rounds(fake, max(5, n // 10))  # warm
        return await _rounds(fake, n)
    finally:
        if app.platform is not None:
            await app.platform.client.close()
        if task is not None:
            await asyncio.wait_for(task, 10)
        await app.close()


async def _bare(fake: FakeDiscord, n: int) -> list[float]:
    await apply_api_base(fake.api_base, fake.token)
    client = _BareBot(intents=discord.Intents(guilds=True))
    await client.login(fake.token)
    task = asyncio.create_task(client.connect())
    try:
        async with asyncio.timeout(20):
            await client.wait_until_ready()
        await _rounds(fake, max(5, n // 10))
        return await _rounds(fake, n)
    finally:
        await client.close()
        await asyncio.wait_for(task, 10)


async def run(b: Bench) -> None:
    n = b.sizes.interactions
    fake = await FakeDiscord().start()
    try:
        async with b.database("sqlite", "ratio") as url:
            ours = await _ours(b, url, fake, n)
        bare = await _bare(fake, n)
    finally:
        await fake.stop()
        discord.http.Route.BASE = DEFAULT_API_BASE
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL("wss://gateway.discord.gg/")
    name = "discord: /today, gateway event to callback"
    for label, samples in (("ours", ours), ("bare discord.py bot", bare)):
        b.add(figure("7 load", f"{name}, {label}: p50", "ms", [percentile(samples, 50)]))
        b.add(figure("7 load", f"{name}, {label}: p99", "ms", [percentile(samples, 99)]))
    for q in (50, 99):
        ratio = percentile(ours, q) / percentile(bare, q)
        b.add(
            figure(
                "7 load", f"{name}: ours / bare discord.py, p{q}", "x", [ratio],
                target=f"<= {RATIO_GOAL:g}x", met=ratio <= RATIO_GOAL,
            )
        )  # fmt: skip

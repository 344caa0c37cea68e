"""2. Interaction round trip through the real platform libraries against the local fakes.

- Discord: the fake gateway pushes INTERACTION_CREATE for /today; the clock stops
  when the fake REST API receives the interaction callback (discord.py client,
  the project's runner and router, the engine, the database).
- Slack: a signed /today request to the real Bolt app over HTTP; the clock stops at
  the acknowledgement (HTTP 200). The time until the reply reaches response_url is
  reported too, and requests/s for a burst with several in flight on one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import statistics
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp
import discord
import yarl

from bench.context import Bench
from bench.seed import T0, bench_settings
from bench.stats import figure, percentile
from bot.adapters.discord import runner as discord_runner
from bot.adapters.discord.client import DEFAULT_API_BASE
from bot.adapters.slack.runner import prepare, serve_http
from bot.core.clock import FrozenClock
from bot.runtime import App, build_app
from tests.fakes.discord_fake import FakeDiscord
from tests.fakes.slack_fake import BOT_TOKEN, TEAM_ID, FakeSlack

TARGET_MS = 25.0
SIGNING_SECRET = "bench-signing-secret"
DISCORD_USERS = [str(940000000000000000 + i) for i in range(1, 21)]
SLACK_USERS = [f"U{i:04d}" for i in range(1, 21)]


async def _enrol(app: App, platform: str, workspace: str, users: list[str]) -> None:
    from bot.core.identity import MemberKey

    for user in users:
        key = MemberKey(platform, workspace, user)
        await app.engine.action(key, "learn:enrol:ai-engineer")
        await app.engine.command(key, "checkin", {"minutes": 30})


def _record(b: Bench, name: str, rounds: list[list[float]], target: bool) -> None:
    p50 = [percentile(r, 50) for r in rounds]
    p99 = [percentile(r, 99) for r in rounds]
    b.add(figure("2 interactions", f"{name} p50", "ms", p50))
    b.add(
        figure(
            "2 interactions",
            f"{name} p99",
            "ms",
            p99,
            target=f"< {TARGET_MS:g} ms" if target else "",
            met=(statistics.median(p99) < TARGET_MS) if target else None,
        )
    )


async def discord_round_trip(b: Bench, url: str) -> None:
    fake = await FakeDiscord().start()
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
        rounds: list[list[float]] = []
        for rep in range(b.sizes.repeats + 1):
            samples = []
            n = max(5, b.sizes.interactions // 10) if rep == 0 else b.sizes.interactions
            for i in range(n):
                fake.calls.clear()  # keeps wait_for's scan short
                started = time.perf_counter()
                payload = await fake.slash("today", user_id=DISCORD_USERS[i % len(DISCORD_USERS)])
                token = payload["token"]
                await fake.wait_for(lambda c, t=token: c.path.endswith(f"/{t}/callback"), within=10)
                samples.append((time.perf_counter() - started) * 1000)
            if rep:
                rounds.append(samples)
        _record(b, "discord: /today, gateway event to callback", rounds, target=True)
        await _discord_burst(b, fake)
    finally:
        if app.platform is not None:
            await app.platform.client.close()
        if task is not None:
            await asyncio.wait_for(task, 10)
        await fake.stop()
        await app.close()
        discord.http.Route.BASE = DEFAULT_API_BASE
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL("wss://gateway.discord.gg/")


BURST = 300
BURST_P99_MS = 500.0


async def _discord_burst(b: Bench, fake: FakeDiscord) -> None:
    """BURST interactions pushed at once; each timed from its gateway event to its callback.

    CPU time is the whole process's (the bot, discord.py and the fake servers) per interaction.
    """
    n = BURST if b.sizes.name in ("quick", "full") else 10
    fake.calls.clear()
    pushed: dict[str, float] = {}
    answered: dict[str, float] = {}

    async def push(i: int) -> None:
        started = time.perf_counter()
        payload = await fake.slash("today", user_id=DISCORD_USERS[i % len(DISCORD_USERS)])
        pushed[payload["token"]] = started

    async def watch() -> None:
        seen = 0
        while len(answered) < n:
            calls = fake.calls
            for c in calls[seen:]:
                if c.path.endswith("/callback"):
                    answered[c.path.rsplit("/", 2)[-2]] = time.perf_counter()
            seen = len(calls)
            await asyncio.sleep(0.001)

    cpu = time.process_time()
    watcher = asyncio.ensure_future(watch())
    await asyncio.gather(*(push(i) for i in range(n)))
    await asyncio.wait_for(watcher, 30)
    cpu = time.process_time() - cpu
    samples = [(answered[t] - pushed[t]) * 1000 for t in pushed]
    deferred = sum(1 for c in fake.calls if c.path.endswith("/callback") and (c.body or {}).get("type") == 5)
    name = f"discord: burst of {n} /today, gateway event to callback"
    p99 = percentile(samples, 99)
    b.add(figure("2 interactions", f"{name} p50", "ms", [percentile(samples, 50)]))
    b.add(
        figure(
            "2 interactions", f"{name} p99", "ms", [p99], target=f"< {BURST_P99_MS:g} ms",
            met=(p99 < BURST_P99_MS and not deferred) if n == BURST else None,
            note=f"{deferred} deferred",
        )
    )  # fmt: skip
    b.add(figure("2 interactions", f"{name} max", "ms", [max(samples)]))
    b.add(figure("2 interactions", f"{name}: CPU per interaction", "ms", [cpu * 1000 / n]))


def _signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    sig = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + sig,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def _command_body(fake: FakeSlack, user: str, n: int) -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "team_domain": "fake",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/today",
            "text": "",
            "api_app_id": "A0APP",
            "response_url": fake.response_url(f"r{n}"),
            "trigger_id": f"trigger-{n}",
        }
    )


async def slack_round_trip(b: Bench, url: str) -> None:
    fake = await FakeSlack().start()
    settings = bench_settings(
        url, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=fake.api_url
    )
    app = build_app(settings, clock=FrozenClock(T0 + timedelta(hours=15)), catalog=b.catalog)
    runtime = prepare(app, socket_mode=False)
    web_runner = await serve_http(app, runtime, host="127.0.0.1", port=0)
    endpoint = f"http://127.0.0.1:{web_runner.addresses[0][1]}/slack/events"
    http = aiohttp.ClientSession()
    seq = 0
    before = asyncio.all_tasks()
    try:
        await _enrol(app, "slack", TEAM_ID, SLACK_USERS)

        async def one(user: str) -> tuple[float, float]:
            nonlocal seq
            seq += 1
            name = f"r{seq}"
            body = _command_body(fake, user, seq)
            started = time.perf_counter()
            async with http.post(endpoint, data=body.encode(), headers=_signed(body)) as resp:
                await resp.read()
                assert resp.status == 200, resp.status
            acked = time.perf_counter()
            await fake.wait_for(lambda: any(r["_url"] == name for r in fake.responses), within=10)
            return (acked - started) * 1000, (time.perf_counter() - started) * 1000

        acks: list[list[float]] = []
        answers: list[list[float]] = []
        for rep in range(b.sizes.repeats + 1):
            n = max(5, b.sizes.interactions // 10) if rep == 0 else b.sizes.interactions
            pairs = []
            for i in range(n):
                fake.clear()
                pairs.append(await one(SLACK_USERS[i % len(SLACK_USERS)]))
            if rep:
                acks.append([a for a, _ in pairs])
                answers.append([r for _, r in pairs])
        _record(b, "slack: /today, signed request to ack", acks, target=True)
        _record(b, "slack: /today, request to reply at response_url", answers, target=False)

        rates = []
        for _ in range(b.sizes.repeats):
            fake.clear()
            sem = asyncio.Semaphore(8)

            async def limited(i: int, sem: asyncio.Semaphore = sem) -> Any:
                async with sem:
                    return await one(SLACK_USERS[i % len(SLACK_USERS)])

            started = time.perf_counter()
            await asyncio.gather(*(limited(i) for i in range(b.sizes.slack_burst)))
            rates.append(b.sizes.slack_burst / (time.perf_counter() - started))
            # The listener refreshes App Home after answering; let that finish before moving on.
            with contextlib.suppress(TimeoutError):
                await fake.wait_for(lambda: len(fake.find("views.publish")) >= b.sizes.slack_burst, 10)
        b.add(
            figure(
                "2 interactions",
                f"slack: /today requests/s, one process, 8 in flight ({b.sizes.slack_burst} requests)",
                "req/s",
                rates,
                note="each counted when acked and answered at response_url",
            )
        )
    finally:
        await http.close()
        # Bolt finishes each listener (reply, App Home refresh) after the ack; let that work
        # end before the fake and the database go away.
        await _settle(before)
        await web_runner.cleanup()
        await fake.close()
        await app.close()


async def _settle(before: set[asyncio.Task[Any]], within: float = 10.0) -> None:
    me = asyncio.current_task()
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        busy = [t for t in asyncio.all_tasks() if t is not me and t not in before and not t.done()]
        if not busy:
            return
        await asyncio.wait(busy, timeout=max(0.0, deadline - time.monotonic()))


async def run(b: Bench) -> None:
    async with b.database("sqlite", "discord") as url:
        await discord_round_trip(b, url)
    async with b.database("sqlite", "slack") as url:
        await slack_round_trip(b, url)

"""4. Dispatch throughput: the real Dispatcher and its token buckets against a fake
platform that answers 429 to anything above 50 requests in any sliding 1 s window.

Two runs: members whose DM channel id is cached (one request per DM), and members
without one, where each send first opens the DM channel: an extra request against
the same budget, as on Discord (POST /users/@me/channels) and Slack (conversations.open).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, select, text

from bench.bulk import BulkLoader
from bench.context import Bench
from bench.seed import Population, bench_settings, seed
from bench.stats import figure
from bot.core.clock import SystemClock
from bot.core.identity import CommunityKey, MemberKey
from bot.core.ports import Delivery, RetryableDeliveryError
from bot.core.replies import Card, Reply, render_text
from bot.core.reply_codec import reply_to_dict
from bot.runtime import build_app
from bot.scheduler.service import make_dispatcher
from storage.models import OutboxMessage

LIMIT = 50
WINDOW = 1.0
TARGET_SHARE = 0.9


# Steady state: accepted requests/s after the first RAMP seconds (the token bucket's initial
# burst and the first claim), up to the last accepted request.
RAMP = 1.0


def steady_rate(accepted_at: list[float]) -> float:
    if len(accepted_at) < 2:
        return 0.0
    start = accepted_at[0] + RAMP
    inside = [t for t in accepted_at if t >= start]
    if len(inside) < 2 or inside[-1] <= start:
        return (len(accepted_at) - 1) / max(accepted_at[-1] - accepted_at[0], 1e-9)
    # requests after `start`, over the time from `start` to the last one
    return len(inside) / (inside[-1] - start)


class LimitedPlatform:
    """/dm/open and /messages on 127.0.0.1, sharing one sliding-window budget."""

    def __init__(self) -> None:
        self.window: deque[float] = deque()
        self.accepted = 0
        self.accepted_at: list[float] = []
        self.too_many = 0
        self.opens = 0
        self.messages = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    def _admit(self) -> bool:
        now = time.monotonic()
        while self.window and now - self.window[0] >= WINDOW:
            self.window.popleft()
        if len(self.window) >= LIMIT:
            self.too_many += 1
            return False
        self.window.append(now)
        self.accepted_at.append(now)
        self.accepted += 1
        return True

    def _limited(self) -> web.Response:
        retry = max(0.0, WINDOW - (time.monotonic() - self.window[0])) if self.window else 0.1
        return web.json_response({"retry_after": round(retry, 3), "global": True}, status=429)

    async def _open(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not self._admit():
            return self._limited()
        self.opens += 1
        return web.json_response({"id": f"D{body['user']}"})

    async def _message(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not self._admit():
            return self._limited()
        self.messages += 1
        return web.json_response({"id": f"m{self.messages}", "channel_id": body["channel"]})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/dm/open", self._open)
        app.router.add_post("/messages", self._message)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class PlatformMessenger:
    """A Messenger for LimitedPlatform: opens the DM channel when it has no id for it."""

    platform = "discord"

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession()

    async def close(self) -> None:
        await self.http.close()

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(self.base + path, json=body) as resp:
            data = await resp.json()
            if resp.status == 429:
                raise RetryableDeliveryError("rate limited", float(data.get("retry_after", 1.0)))
            if resp.status >= 400:
                raise RetryableDeliveryError(f"HTTP {resp.status}")
            return data

    async def send_dm(
        self, member: MemberKey, reply: Reply, *, key: str, dm_channel_id: str | None = None
    ) -> Delivery:
        channel = dm_channel_id
        if channel is None:
            channel = (await self._post("/dm/open", {"user": member.user_id}))["id"]
        data = await self._post("/messages", {"channel": channel, "key": key, "text": render_text(reply)})
        return Delivery(message_id=data["id"], channel_id=data["channel_id"])

    async def post_channel(
        self, community: CommunityKey, channel_id: str, reply: Reply, *, key: str, **_: Any
    ) -> Delivery:
        data = await self._post("/messages", {"channel": channel_id, "key": key, "text": render_text(reply)})
        return Delivery(message_id=data["id"], channel_id=channel_id)


async def _queue(url_engine: Any, n: int, now: datetime) -> None:
    reply = reply_to_dict(
        Reply(cards=(Card(title="Time for today's check-in", body="Log your study time."),))
    )
    async with url_engine.connect() as conn:
        ids = (
            await conn.execute(text("SELECT id FROM members WHERE workspace_id != 'template' ORDER BY id"))
        ).scalars()
        member_ids = list(ids)[:n]
    rows = [
        {
            "id": i + 1,
            "key": f"checkin:{mid}:2026-10-12",
            "platform": "discord",
            "stream": "checkin",
            "target": "dm",
            "member_id": mid,
            "community_id": None,
            "channel_id": None,
            "payload": {"reply": reply},
            "status": "pending",
            "attempts": 0,
            "not_before": now - timedelta(minutes=1),
            "expires_at": now + timedelta(days=1),
            "claimed_at": None,
            "claimed_by": None,
            "last_error": None,
            "message_id": None,
            "created_at": now,
            "sent_at": None,
        }
        for i, mid in enumerate(member_ids)
    ]
    async with BulkLoader(url_engine) as loader:
        await loader.load(OutboxMessage.__table__, rows)


async def _one_run(b: Bench, cached: bool) -> None:
    n = b.sizes.dispatch_dms
    async with b.database("sqlite", "dispatch") as url:
        await seed(url, b.catalog, Population(n, history_share=0.0, communities=1))
        app = build_app(bench_settings(url), clock=SystemClock(), catalog=b.catalog)
        platform = LimitedPlatform()
        await platform.start()
        messenger = PlatformMessenger(platform.url)
        try:
            async with app.db.begin() as conn:
                dm = "'D' || user_id" if cached else "NULL"
                await conn.execute(text(f"UPDATE members SET dm_channel_id = {dm}"))
            await _queue(app.db, n, datetime.now(UTC))
            dispatcher = make_dispatcher(app, messenger)  # type: ignore[arg-type]
            rate_limited = 0
            started = time.perf_counter()
            while True:
                stats = await dispatcher.drain()
                rate_limited += stats.rate_limited
                async with app.sessions() as s:
                    left = (
                        await s.execute(
                            select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
                        )
                    ).scalar_one()
                if not left:
                    break
                if not stats.sent:
                    await asyncio.sleep(0.05)
            took = time.perf_counter() - started
        finally:
            await messenger.close()
            await platform.stop()
            await app.close()
    sends = n / took
    requests = platform.accepted / took
    steady = steady_rate(platform.accepted_at)
    label = "cached DM channel ids" if cached else "no cached DM channel (open + send)"
    b.add(
        figure(
            "4 dispatch",
            f"{label}: time to deliver {n:,} DMs",
            "s",
            [took],
            note=f"{sends:.1f} DMs/s, {requests:.1f} requests/s accepted over the whole run",
        )
    )
    b.add(
        figure(
            "4 dispatch",
            f"{label}: share of the {LIMIT}/s limit used in steady state",
            "%",
            [100 * steady / LIMIT],
            target=f">= {TARGET_SHARE:.0%}" if cached else "",
            met=(steady / LIMIT >= TARGET_SHARE) if cached else None,
            note=f"{steady:.1f} requests/s accepted after the first {RAMP:g} s; "
            f"{100 * requests / LIMIT:.1f}% over the whole run, start-up included",
        )
    )
    b.add(
        figure(
            "4 dispatch",
            f"{label}: 429s received",
            "count",
            [float(platform.too_many)],
            target="0" if cached else "",
            met=(platform.too_many == 0) if cached else None,
            note=f"dispatcher saw {rate_limited} rate-limited sends",
        )
    )


async def run(b: Bench) -> None:
    await _one_run(b, cached=True)
    await _one_run(b, cached=False)

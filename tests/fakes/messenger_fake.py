"""A fake chat platform for scheduled deliveries.

- `RecorderServer`: an aiohttp app on 127.0.0.1 (ephemeral port) that accepts
  messages like a platform's REST API would. It deduplicates on the idempotency
  key the way Discord does with `nonce` + `enforce_nonce`, can stall a request
  (to kill the sender mid-send), answers 429 with Retry-After whenever more than
  `limit_per_second` requests arrive within one second, and can refuse a user's
  DMs (403, Discord's 50007).
- `HttpMessenger`: the Messenger the bot uses to reach it, mapping 429/5xx to
  RetryableDeliveryError and 403 to PermanentDeliveryError.
- `open_recorder(app)`: the messenger of `python -m tests.fakes.bot_with_recorder` in
  subprocess tests; it reads FAKE_PLATFORM_URL and FAKE_PLATFORM_NAME from the environment.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.core.identity import CommunityKey, MemberKey
from bot.core.ports import Delivery, PermanentDeliveryError, RetryableDeliveryError
from bot.core.replies import Reply, render_text
from bot.core.reply_codec import reply_to_dict


@dataclass
class Received:
    key: str
    to: str
    text: str
    body: dict[str, Any]


@dataclass
class RecorderServer:
    limit_per_second: float | None = None
    stall_first: bool = False
    blocked_users: set[str] = field(default_factory=set)
    fail_5xx_times: int = 0
    delay: float = 0.0  # seconds each accepted message takes to answer (a slow platform)
    requests: int = 0
    too_many: int = 0
    delivered: dict[str, Received] = field(default_factory=dict)
    first_request: asyncio.Event = field(default_factory=asyncio.Event)
    _stalled: bool = False
    _window: deque[float] = field(default_factory=deque)
    _runner: web.AppRunner | None = None
    url: str = ""

    def per_user(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for r in self.delivered.values():
            out.setdefault(r.to, []).append(r.key)
        return out

    async def _message(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.json()
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if self.limit_per_second is not None and len(self._window) >= self.limit_per_second:
            self.too_many += 1
            return web.json_response({"retry_after": 0.2, "global": True}, status=429)
        self._window.append(now)
        if self.fail_5xx_times > 0:
            self.fail_5xx_times -= 1
            return web.json_response({"message": "upstream hiccup"}, status=502)
        to = body["to"]
        if to in self.blocked_users:
            return web.json_response(
                {"code": 50007, "message": "Cannot send messages to this user"}, status=403
            )
        key = body["key"]
        existing = self.delivered.get(key)
        if existing is None:
            existing = Received(key, to, body.get("text", ""), body)
            self.delivered[key] = existing
        self.first_request.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.stall_first and not self._stalled:
            self._stalled = True
            await asyncio.sleep(3600)
        return web.json_response({"id": f"m-{key}", "channel_id": f"D-{to}"})

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/messages", self._message)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class HttpMessenger:
    def __init__(self, base_url: str, platform: str = "discord", timeout: float = 10.0) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))

    async def close(self) -> None:
        await self._session.close()

    async def _post(self, body: dict[str, Any]) -> Delivery:
        try:
            async with self._session.post(f"{self.base_url}/messages", json=body) as resp:
                data = await resp.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RetryableDeliveryError(type(exc).__name__) from exc
        if resp.status == 429:
            raise RetryableDeliveryError("rate limited", float(data.get("retry_after", 1.0)))
        if resp.status == 403:
            raise PermanentDeliveryError(f"{data.get('code')}: {data.get('message')}")
        if resp.status >= 400:
            raise RetryableDeliveryError(f"HTTP {resp.status}")
        return Delivery(message_id=data["id"], channel_id=data["channel_id"])

    async def send_dm(
        self, member: MemberKey, reply: Reply, *, key: str, dm_channel_id: str | None = None
    ) -> Delivery:
        return await self._post(
            {
                "key": key,
                "to": member.user_id,
                "channel": dm_channel_id,
                "text": render_text(reply),
                "reply": reply_to_dict(reply),
            }
        )

    async def post_channel(
        self,
        community: CommunityKey,
        channel_id: str,
        reply: Reply,
        *,
        key: str,
        thread_name: str | None = None,
        thread_reply: Reply | None = None,
    ) -> Delivery:
        return await self._post(
            {"key": key, "to": f"#{channel_id}", "text": render_text(reply), "thread_name": thread_name}
        )


@asynccontextmanager
async def open_recorder(_app: Any) -> AsyncIterator[HttpMessenger]:
    messenger = HttpMessenger(
        os.environ["FAKE_PLATFORM_URL"], os.environ.get("FAKE_PLATFORM_NAME", "discord")
    )
    try:
        yield messenger
    finally:
        await messenger.close()

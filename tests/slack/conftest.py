"""The real Bolt app served over HTTP on 127.0.0.1, talking to a fake Slack."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.adapters.slack.runner import prepare, serve_http
from bot.config import Settings
from bot.core.clock import FrozenClock
from bot.runtime import App, build_app
from content.loader import load_catalog
from tests.fakes.slack_fake import BOT_TOKEN, TEAM_ID, FakeSlack

SIGNING_SECRET = "test-signing-secret"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
_CATALOG: list[Any] = []
_TRIGGERS = itertools.count(1)


def catalog() -> Any:
    if not _CATALOG:
        _CATALOG.append(load_catalog())
    return _CATALOG[0]


def sign(body: str, ts: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    base = f"v0:{ts}:{body}".encode()
    sig = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sig}


def check_blocks(blocks: list[dict[str, Any]], limit: int = 50) -> None:
    """Parse with slack_sdk.models; to_dict() validates every nested element's limits."""
    assert 0 < len(blocks) <= limit, f"{len(blocks)} blocks"
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()
        block.to_dict()


def check_view(view: dict[str, Any]) -> None:
    parsed = View(**view)
    parsed.validate_json()
    parsed.to_dict()
    check_blocks(view["blocks"], 100)


@dataclass
class SlackHarness:
    app: App
    fake: FakeSlack
    url: str
    http: aiohttp.ClientSession

    async def post(self, body: str, content_type: str, headers: dict[str, str] | None = None, **extra: str):
        hdrs = {"Content-Type": content_type, **(sign(body) if headers is None else headers), **extra}
        async with self.http.post(self.url, data=body.encode(), headers=hdrs) as resp:
            return resp.status, await resp.text()

    async def command(self, name: str, text: str = "", user: str = "U1", **extra: str):
        form = {
            "token": "legacy",
            "team_id": TEAM_ID,
            "team_domain": "fake",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": f"/{name}",
            "text": text,
            "api_app_id": "A0APP",
            "response_url": self.fake.response_url(name),
            "trigger_id": f"trigger-{name}",
            **extra,
        }
        return await self.post(urlencode(form), "application/x-www-form-urlencoded")

    async def interactive(self, payload: dict[str, Any], headers: dict[str, str] | None = None):
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", headers)

    async def click(
        self,
        value: str,
        user: str = "U1",
        *,
        action_id: str = "act:0",
        container: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        select: bool = False,
    ):
        action: dict[str, Any] = {"action_id": action_id, "block_id": "b1", "action_ts": "1.2"}
        if select:
            action |= {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value},
            }
        else:
            action |= {"type": "button", "value": value, "text": {"type": "plain_text", "text": "x"}}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "fake"},
            "user": {"id": user, "team_id": TEAM_ID},
            "api_app_id": "A0APP",
            "trigger_id": f"trigger-action-{next(_TRIGGERS)}",  # Slack's are unique per press
            "actions": [action],
        }
        if view is not None:
            payload |= {"view": view, "container": {"type": "view", "view_id": view.get("id")}}
        else:
            payload |= {
                "container": container
                or {"type": "message", "is_ephemeral": True, "channel_id": "C0GENERAL"},
                "channel": {"id": "C0GENERAL", "name": "general"},
                "response_url": self.fake.response_url("action"),
            }
        return await self.interactive(payload)

    async def submit(self, callback_id: str, values: dict[str, str], user: str = "U1", metadata: str = "{}"):
        view = {
            "id": "V0VIEW",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": metadata,
            "blocks": [{"type": "input", "block_id": k} for k in values],
            "state": {
                "values": {
                    k: {k: {"type": "plain_text_input", "value": v or None}} for k, v in values.items()
                }
            },
        }
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "fake"},
            "user": {"id": user, "team_id": TEAM_ID},
            "api_app_id": "A0APP",
            "trigger_id": f"trigger-submit-{next(_TRIGGERS)}",
            "view": view,
        }
        return await self.interactive(payload)

    async def event(
        self,
        event: dict[str, Any],
        event_id: str = "Ev1",
        headers: dict[str, str] | None = None,
        **extra: str,
    ):
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": TEAM_ID,
                "api_app_id": "A0APP",
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
            }
        )
        return await self.post(body, "application/json", headers, **extra)


def slack_settings(url: str, fake: FakeSlack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake.api_url,
        "slack_admin_user_ids": ["U0LISTED"],
    }
    values.update(overrides)
    return Settings(_env_file=None, database_url=url, **values)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.close()


@pytest.fixture
async def slack_db(db_url: str) -> str:
    """The suite's database (TEST_DATABASE), so the Slack tests run on PostgreSQL too."""
    return db_url


async def start_harness(url: str, fake: FakeSlack, **overrides: Any) -> tuple[SlackHarness, Any]:
    app = build_app(slack_settings(url, fake, **overrides), clock=FrozenClock(START), catalog=catalog())
    runtime = prepare(app, socket_mode=False)
    runner = await serve_http(app, runtime, host="127.0.0.1", port=0)
    port = runner.addresses[0][1]
    http = aiohttp.ClientSession()
    harness = SlackHarness(app, fake, f"http://127.0.0.1:{port}/slack/events", http)

    async def stop() -> None:
        await http.close()
        await runner.cleanup()
        await app.close()

    return harness, stop


@pytest.fixture
async def slack(slack_db, fake) -> AsyncIterator[SlackHarness]:
    harness, stop = await start_harness(slack_db, fake)
    yield harness
    await stop()

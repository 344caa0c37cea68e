"""Signature checks, event deduplication and the Home tab on app_home_opened."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from storage.models import Member, SeenEvent
from tests.fakes.slack_fake import TEAM_ID
from tests.slack.conftest import SlackHarness, check_view, sign


async def count(slack: SlackHarness, model) -> int:
    async with slack.app.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


def command_body(text: str = "30") -> str:
    return urlencode(
        {
            "team_id": TEAM_ID,
            "user_id": "U1",
            "command": "/checkin",
            "text": text,
            "channel_id": "C0GENERAL",
            "response_url": "http://127.0.0.1:9/never",
            "trigger_id": "t",
        }
    )


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(
            {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=bad"}, id="bad"
        ),
        pytest.param({}, id="missing"),
        pytest.param(sign(command_body(), ts=int(time.time()) - 10 * 60), id="stale"),
        pytest.param(sign(command_body(), secret="someone-else"), id="wrong-secret"),
    ],
)
async def test_unsigned_requests_are_refused_and_change_nothing(slack: SlackHarness, headers):
    status, _ = await slack.post(command_body(), "application/x-www-form-urlencoded", headers)
    assert status == 401
    event_status, _ = await slack.event(
        {"type": "app_home_opened", "user": "U1", "tab": "home"}, headers=headers
    )
    assert event_status == 401
    await asyncio.sleep(0)  # let any (wrongly) scheduled work start
    assert slack.fake.calls == [] and slack.fake.responses == []
    assert await count(slack, Member) == 0
    assert await count(slack, SeenEvent) == 0


async def test_home_opened_publishes_the_welcome_dashboard(slack: SlackHarness):
    status, _ = await slack.event({"type": "app_home_opened", "user": "U9", "tab": "home", "channel": "D9"})
    assert status == 200
    calls = await slack.fake.wait_for(lambda: slack.fake.find("views.publish"))
    assert calls[0].args["user_id"] == "U9"
    check_view(calls[0].args["view"])
    assert await count(slack, Member) == 0  # opening Home creates no data


async def test_a_retried_event_is_handled_once(slack: SlackHarness):
    event = {"type": "app_home_opened", "user": "U9", "tab": "home"}
    await slack.event(event, event_id="EvSame")
    await slack.fake.wait_for(lambda: slack.fake.find("views.publish"))
    status, _ = await slack.event(
        event, event_id="EvSame", **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert status == 200
    await slack.event(event, event_id="EvOther")
    await slack.fake.wait_for(lambda: len(slack.fake.find("views.publish")) >= 2)
    await asyncio.sleep(0.05)
    assert len(slack.fake.find("views.publish")) == 2
    assert await count(slack, SeenEvent) == 2


async def test_url_verification_is_answered(slack: SlackHarness):
    import json

    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"})
    status, text = await slack.post(body, "application/json")
    assert status == 200 and "abc123" in text

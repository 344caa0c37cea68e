"""Requests to /slack/events that used to crash the handler are refused with a 4xx and one
log line; the same signed command or button delivered again is handled once."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.core.identity import MemberKey
from storage import repo
from storage.migrate import upgrade
from storage.models import CheckIn
from tests.fakes.slack_fake import TEAM_ID, FakeSlack
from tests.slack.conftest import SlackHarness, sign, start_harness

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
async def harness(tmp_path) -> AsyncIterator[SlackHarness]:
    url = f"sqlite+aiosqlite:///{tmp_path}/req.db"
    await upgrade(url)
    fake = await FakeSlack().start()
    running, stop = await start_harness(url, fake)
    yield running
    await stop()
    await fake.close()


async def test_a_timestamp_of_hundreds_of_digits_is_refused_not_crashed(harness, caplog):
    body = urlencode({"team_id": TEAM_ID, "user_id": "U1", "command": "/help", "trigger_id": "t"})
    headers = sign(body) | {"X-Slack-Request-Timestamp": "9" * 309}
    with caplog.at_level(logging.INFO, logger="bot.adapters.slack.server"):
        status, _ = await harness.post(body, FORM, headers)
    assert status == 401
    assert [r.levelno for r in caplog.records if r.name == "bot.adapters.slack.server"] == [logging.INFO]
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (json.dumps({"command": "/help", "team_id": TEAM_ID}), FORM),
        ("payload=notjson", FORM),
        ("payload=%5B%5D", FORM),
        (urlencode({"payload": json.dumps({"type": "view_submission", "user": {"id": "U1"}})}), FORM),
        (urlencode({"payload": json.dumps({"view": {"id": "V1"}, "user": {"id": "U1"}})}), FORM),
        ("[1, 2]", "application/json"),
        ("{not json", "application/json"),
    ],
    ids=[
        "json-as-form",
        "payload-notjson",
        "payload-list",
        "view-without-view",
        "no-type",
        "json-list",
        "bad-json",
    ],
)
async def test_signed_but_malformed_bodies_get_a_400_and_one_line(harness, caplog, body, content_type):
    with caplog.at_level(logging.INFO):
        status, _ = await harness.post(body, content_type)
    assert status == 400
    mine = [r for r in caplog.records if r.name == "bot.adapters.slack.server"]
    assert len(mine) == 1 and mine[0].levelno == logging.WARNING
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_the_same_signed_checkin_three_times_logs_once(harness):
    form = {
        "team_id": TEAM_ID,
        "user_id": "U1",
        "channel_id": "C0GENERAL",
        "command": "/checkin",
        "text": "30",
        "response_url": harness.fake.response_url("checkin"),
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }
    body = urlencode(form)
    headers = sign(body)
    for retry in ("", "1", "2"):
        extra = {"X-Slack-Retry-Num": retry} if retry else {}
        status, _ = await harness.post(body, FORM, headers, **extra)
        assert status == 200
    # Slack gets its answer at the ack; the command's work finishes after it.
    fake = harness.fake
    await fake.wait_for(lambda: any(r["_url"] == "checkin" for r in fake.responses), within=10)
    await asyncio.sleep(0.5)  # time for a second or third copy to be logged, if it wrongly were
    async with harness.app.sessions() as s:
        member = await repo.find_member(s, MemberKey("slack", TEAM_ID, "U1"))
        assert member is not None
        minutes = [c.minutes for c in (await s.execute(select(CheckIn))).scalars()]
    assert minutes == [30]
    # A new request (a new trigger) is handled as usual.
    again = urlencode(form | {"trigger_id": "13345224609.738474920.other"})
    status, _ = await harness.post(again, FORM)
    assert status == 200

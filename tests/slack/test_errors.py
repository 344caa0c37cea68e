"""A failure after the ack reaches Bolt's error handler, which apologises instead of leaving silence."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.core.engine import INTERNAL_ERROR
from tests.fakes.slack_fake import FakeSlack
from tests.slack.conftest import SlackHarness, check_blocks, start_harness


@pytest.fixture
async def slack(db_url: str, fake: FakeSlack) -> AsyncIterator[SlackHarness]:
    """On the suite's backend (TEST_DATABASE), not only SQLite."""
    harness, stop = await start_harness(db_url, fake)
    yield harness
    await stop()


def _shown(message: dict) -> str:
    check_blocks(message["blocks"])
    return json.dumps(message["blocks"]) + message.get("text", "")


async def test_a_command_that_fails_after_the_ack_apologises_privately(slack: SlackHarness):
    slack.fake.reset_after_accept("users.info", times=10)  # more drops than the client retries
    status, _ = await slack.command("help")
    assert status == 200
    await slack.fake.wait_for(lambda: [r for r in slack.fake.responses if r["_url"] == "help"])
    (apology,) = [r for r in slack.fake.responses if r["_url"] == "help"]
    assert apology["response_type"] == "ephemeral"
    assert INTERNAL_ERROR in _shown(apology)


async def test_a_home_button_that_fails_after_the_ack_apologises_in_the_dm(slack: SlackHarness):
    slack.fake.reset_after_accept("users.info", times=10)
    status, _ = await slack.click("today:show", view={"id": "V0HOME", "type": "home"}, action_id="home:1")
    assert status == 200
    posts = await slack.fake.wait_for(lambda: slack.fake.find("chat.postMessage"))
    assert slack.fake.find("conversations.open")[0].args["users"] == "U1"
    assert INTERNAL_ERROR in _shown(posts[0].args)
    assert not slack.fake.find("views.open"), "the failed call showed nothing else"

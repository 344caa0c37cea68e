"""The scheduler's Messenger over the Web API: DMs, channel posts with threads, error mapping."""

from __future__ import annotations

import pytest

from bot.adapters.slack.client import make_client
from bot.adapters.slack.messenger import SlackMessenger
from bot.core.identity import CommunityKey, MemberKey
from bot.core.ports import PermanentDeliveryError, RetryableDeliveryError
from bot.core.replies import Button, Card, Reply
from tests.fakes.slack_fake import BOT_TOKEN, TEAM_ID, FakeSlack
from tests.slack.conftest import check_blocks

MEMBER = MemberKey("slack", TEAM_ID, "U1")
CHECKIN = Reply(
    cards=(Card(title="Time to check in", body="How did **today** go?"),),
    buttons=(
        Button("30 min", "checkin:done:2026-11-02:30", "primary"),
        Button("Log it", "checkin:done:2026-11-02"),
    ),
)


@pytest.fixture
async def messenger(fake: FakeSlack):
    client = make_client(BOT_TOKEN, fake.api_url)
    yield SlackMessenger.single(client)
    if client.session is not None:
        await client.session.close()


async def test_dm_opens_the_conversation_then_posts(fake: FakeSlack, messenger: SlackMessenger):
    delivery = await messenger.send_dm(MEMBER, CHECKIN, key="checkin:1:2026-11-02")
    assert [c.method for c in fake.calls] == ["conversations.open", "chat.postMessage"]
    assert fake.calls[0].args["users"] == "U1"
    post = fake.calls[1]
    assert post.token == BOT_TOKEN
    assert post.args["channel"] == delivery.channel_id == "D1"
    check_blocks(post.args["blocks"])
    assert delivery.message_id


async def test_cached_dm_channel_skips_conversations_open(fake: FakeSlack, messenger: SlackMessenger):
    delivery = await messenger.send_dm(MEMBER, CHECKIN, key="k", dm_channel_id="D0CACHED")
    assert [c.method for c in fake.calls] == ["chat.postMessage"]
    assert delivery.channel_id == "D0CACHED"


@pytest.mark.parametrize("error", ["cannot_dm_bot", "user_not_found", "account_inactive", "user_disabled"])
async def test_permanent_errors(fake: FakeSlack, messenger: SlackMessenger, error: str):
    fake.fail("chat.postMessage", error)
    with pytest.raises(PermanentDeliveryError) as caught:
        await messenger.send_dm(MEMBER, CHECKIN, key="k", dm_channel_id="D1")
    assert caught.value.reason == error


async def test_conversations_open_failure_is_permanent(fake: FakeSlack, messenger: SlackMessenger):
    fake.fail("conversations.open", "user_not_found")
    with pytest.raises(PermanentDeliveryError):
        await messenger.send_dm(MEMBER, CHECKIN, key="k")


async def test_rate_limit_is_retried_then_reported_with_retry_after(
    fake: FakeSlack, messenger: SlackMessenger
):
    fake.fail("chat.postMessage", "ratelimited", status=429, times=3, **{"Retry-After": "0"})
    with pytest.raises(RetryableDeliveryError) as caught:
        await messenger.send_dm(MEMBER, CHECKIN, key="k", dm_channel_id="D1")
    assert caught.value.retry_after == 0
    assert len(fake.find("chat.postMessage")) == 3  # the first try and two retries by the retry handler


async def test_one_rate_limit_is_absorbed_by_the_retry_handler(fake: FakeSlack, messenger: SlackMessenger):
    fake.fail("chat.postMessage", "ratelimited", status=429, **{"Retry-After": "0"})
    await messenger.send_dm(MEMBER, CHECKIN, key="k", dm_channel_id="D1")
    assert len(fake.find("chat.postMessage")) == 2


async def test_server_errors_are_retryable(fake: FakeSlack, messenger: SlackMessenger):
    fake.fail("chat.postMessage", "internal_error", status=503)
    with pytest.raises(RetryableDeliveryError):
        await messenger.send_dm(MEMBER, CHECKIN, key="k", dm_channel_id="D1")


async def test_channel_post_with_a_thread(fake: FakeSlack, messenger: SlackMessenger):
    paper = Reply(
        cards=(Card(title="Paper of the week", body="[Attention](https://arxiv.org/abs/1706.03762)"),)
    )
    thread = Reply(text="What stood out to you?")
    delivery = await messenger.post_channel(
        CommunityKey("slack", TEAM_ID),
        "C0READ",
        paper,
        key="paper:w1",
        thread_name="Discussion",
        thread_reply=thread,
    )
    first, second = fake.find("chat.postMessage")
    assert "<https://arxiv.org/abs/1706.03762|Attention>" in str(first.args["blocks"])
    assert second.args["thread_ts"] == delivery.message_id == delivery.thread_id
    assert "*Discussion*" in str(second.args["blocks"])


async def test_channel_errors(fake: FakeSlack, messenger: SlackMessenger):
    fake.fail("chat.postMessage", "not_in_channel")
    with pytest.raises(PermanentDeliveryError):
        await messenger.post_channel(CommunityKey("slack", TEAM_ID), "C0READ", CHECKIN, key="k")


async def test_attachment_falls_back_to_text_without_files_write(fake: FakeSlack, messenger: SlackMessenger):
    from bot.core.replies import Attachment

    fake.fail("files.getUploadURLExternal", "missing_scope")
    blob = ('{"note": "<!channel> ' + "x" * 5000 + '"}').encode()
    reply = Reply(cards=(Card(title="Your data export"),), attachment=Attachment("data.json", blob))
    await messenger.send_dm(MEMBER, reply, key="k", dm_channel_id="D1")
    posts = fake.find("chat.postMessage")
    assert len(posts) == 2
    check_blocks(posts[1].args["blocks"])
    assert "<!channel>" not in str(posts[1].args["blocks"])


async def test_open_messenger_for_one_off_runs(slack_db, fake: FakeSlack):
    from bot.adapters.slack.bolt_app import open_messenger
    from bot.runtime import build_app
    from tests.slack.conftest import catalog, slack_settings

    app = build_app(slack_settings(slack_db, fake, slack_signing_secret=None), catalog=catalog())
    try:
        async with open_messenger(app) as messenger:
            await messenger.send_dm(MEMBER, CHECKIN, key="k", dm_channel_id="D1")
        assert fake.find("chat.postMessage")[0].token == BOT_TOKEN
    finally:
        await app.close()

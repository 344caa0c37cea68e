"""The leaderboard and the weekly digest through the real Bolt app against the fake Web API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.ratelimit import RateLimiter
from bot.scheduler.service import claim_pass
from tests.slack.conftest import SlackHarness, check_blocks

DIGEST = "C0DIGEST"
PNG = b"\x89PNG\r\n\x1a\n"


def buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["type"] == "button"]


async def answered(slack: SlackHarness, url: str, n: int = 1) -> list[dict]:
    await slack.fake.wait_for(lambda: len([r for r in slack.fake.responses if r["_url"] == url]) >= n)
    return [r for r in slack.fake.responses if r["_url"] == url]


async def test_leaderboard_opt_in_and_a_name_that_cannot_ping(slack: SlackHarness):
    slack.fake.set_user("U1", profile={"display_name": "<!channel> Ada"})
    await slack.command("checkin", "1h")
    await answered(slack, "checkin")
    await slack.command("leaderboard", "week")
    [board] = await answered(slack, "leaderboard")
    check_blocks(board["blocks"])
    assert board.get("response_type", "ephemeral") == "ephemeral"
    assert "would be *#1*" in str(board["blocks"]) or "would be **#1**" in str(board["blocks"])
    join = next(b for b in buttons(board["blocks"]) if b["text"]["text"] == "Show me here")
    await slack.click(join["value"], action_id=join["action_id"])
    [after] = await answered(slack, "action")
    check_blocks(after["blocks"])
    shown = str(after["blocks"])
    assert "Ada" in shown and "1 h" in shown
    assert "<!channel>" not in shown
    assert any(b["text"]["text"] == "Hide me" for b in buttons(after["blocks"]))


async def test_weekly_digest_posts_once_as_valid_block_kit(slack: SlackHarness):
    slack.fake.set_user("U0OWNER", is_admin=True)
    await slack.command("admin", f"digest-channel <#{DIGEST}|digest>", user="U0OWNER")
    await answered(slack, "admin")
    await slack.command("checkin", "30")
    await answered(slack, "checkin")
    await slack.command("settings", "leaderboard:on")
    await answered(slack, "settings")
    slack.app.clock.set(datetime(2026, 11, 8, 18, 0, tzinfo=UTC))
    messenger = slack.app.platform.messenger
    for _ in range(2):
        await claim_pass(slack.app)
        await Dispatcher(slack.app.sessions, slack.app.clock, messenger, RateLimiter(lambda _k: None)).drain()
    posts = [c for c in slack.fake.find("chat.postMessage") if c.args["channel"] == DIGEST]
    assert len(posts) == 1
    check_blocks(posts[0].args["blocks"])
    text = str(posts[0].args["blocks"])
    assert "This week in the community" in text and "user-U1" in text
    assert "Active learners" in text
    # The community card is uploaded into the digest channel (files_upload_v2), once.
    [asked] = slack.fake.find("files.getUploadURLExternal")
    assert asked.args["filename"] == "community.png" and asked.args["alt_txt"].startswith("Community card")
    [card] = slack.fake.files.values()
    assert card["data"].startswith(PNG) and card["shared_to"] == DIGEST


async def test_a_digest_retried_after_an_error_posts_once_and_a_failed_upload_keeps_the_post(
    slack: SlackHarness,
):
    slack.fake.set_user("U0OWNER", is_admin=True)
    await slack.command("admin", f"digest-channel <#{DIGEST}|digest>", user="U0OWNER")
    await answered(slack, "admin")
    slack.app.clock.set(datetime(2026, 11, 8, 18, 0, tzinfo=UTC))
    await claim_pass(slack.app)
    slack.fake.fail("chat.postMessage", "internal_error", status=500)
    slack.fake.fail("files.completeUploadExternal", "internal_error", status=500)
    messenger = slack.app.platform.messenger
    for minutes in (0, 30, 60):
        slack.app.clock.set(datetime(2026, 11, 8, 18, 0, tzinfo=UTC) + timedelta(minutes=minutes))
        await Dispatcher(slack.app.sessions, slack.app.clock, messenger, RateLimiter(lambda _k: None)).drain()
    assert len([c for c in slack.fake.find("chat.postMessage") if c.args["channel"] == DIGEST]) == 2
    assert [n for k, n in slack.fake.posts_by_key().items() if k.startswith("digest:")] == [1]
    assert len(slack.fake.find("files.getUploadURLExternal")) == 1, "no second upload after the post"

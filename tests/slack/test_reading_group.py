"""The paper program through Slack: the weekly post with its thread, and the paper buttons."""

from __future__ import annotations

from sqlalchemy import select

from bot.adapters.slack.users import member_key
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.ratelimit import RateLimiter
from bot.scheduler.service import claim_pass
from storage.models import CommunityPaper, CommunityPaperRead, MemberPaper
from tests.fakes.slack_fake import TEAM_ID
from tests.slack.conftest import SlackHarness, check_blocks

CHANNEL = "C0READING"


def buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["type"] == "button"]


async def test_weekly_post_opens_a_thread_and_read_it_is_recorded(slack: SlackHarness):
    slack.fake.set_user("U0OWNER", is_admin=True)
    await slack.command("admin", f"paper-channel <#{CHANNEL}|reading-group>", user="U0OWNER")
    await slack.fake.wait_for(lambda: any(r["_url"] == "admin" for r in slack.fake.responses))
    await slack.app.engine.action(member_key(TEAM_ID, "U1"), "learn:enrol:ai-red-teaming")

    await claim_pass(slack.app)
    messenger = slack.app.platform.messenger
    stats = await Dispatcher(
        slack.app.sessions, slack.app.clock, messenger, RateLimiter(lambda _k: None)
    ).drain()
    assert stats.sent == 1

    post, thread = [c for c in slack.fake.find("chat.postMessage") if c.args["channel"] == CHANNEL]
    check_blocks(post.args["blocks"])
    check_blocks(thread.args["blocks"])
    async with slack.app.sessions() as s:
        row = (await s.execute(select(CommunityPaper))).scalar_one()
    assert row.thread_id and thread.args["thread_ts"] == row.thread_id
    paper = slack.app.catalog.papers[row.paper_id]
    assert paper.questions[0][:30] in str(thread.args["blocks"]), (
        "the thread carries the discussion questions"
    )

    read_it = next(b for b in buttons(post.args["blocks"]) if b["value"].startswith("paper:groupread:"))
    container = {"type": "message", "is_ephemeral": False, "channel_id": CHANNEL}
    for _ in range(2):
        status, _body = await slack.click(
            read_it["value"], action_id=read_it["action_id"], container=container
        )
        assert status == 200
    await slack.fake.wait_for(lambda: len([r for r in slack.fake.responses if r["_url"] == "action"]) >= 2)
    async with slack.app.sessions() as s:
        reads = (await s.execute(select(CommunityPaperRead))).scalars().all()
    assert len(reads) == 1, "pressing twice records one reader"


async def test_paper_buttons_record_reading(slack: SlackHarness):
    await slack.command("paper")
    await slack.fake.wait_for(lambda: any(r["_url"] == "paper" for r in slack.fake.responses))
    reply = next(r for r in slack.fake.responses if r["_url"] == "paper")
    read = next(b for b in buttons(reply["blocks"]) if b.get("value", "").startswith("paper:read:"))
    await slack.click(read["value"], action_id=read["action_id"])
    await slack.fake.wait_for(lambda: any(r["_url"] == "action" for r in slack.fake.responses))
    answer = next(r for r in slack.fake.responses if r["_url"] == "action")
    check_blocks(answer["blocks"])
    assert "marked as read" in str(answer["blocks"]).lower()
    async with slack.app.sessions() as s:
        row = (await s.execute(select(MemberPaper))).scalar_one()
    assert row.status == "read" and read["value"].endswith(row.paper_id)

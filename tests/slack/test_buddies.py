"""Study buddies and milestones on Slack: /buddy through Bolt, the intro as a group DM opened with
conversations.open for both members, and milestones on the App Home tab."""

from __future__ import annotations

from bot.adapters.slack.home import build_home
from bot.adapters.slack.users import member_key
from bot.core.community.buddy_rounds import first_round
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.ratelimit import RateLimiter
from bot.scheduler.service import claim_pass
from tests.fakes.slack_fake import TEAM_ID
from tests.slack.conftest import SlackHarness, check_blocks, check_view


async def test_buddy_intro_is_a_group_dm_with_both_members(slack: SlackHarness):
    for user in ("U1", "U2"):
        await slack.command("buddy", "weekly", user=user)
    await slack.fake.wait_for(lambda: len([r for r in slack.fake.responses if r["_url"] == "buddy"]) == 2)
    assert all("opted in" in str(r) for r in slack.fake.responses if r["_url"] == "buddy")
    slack.app.clock.set(first_round(slack.app.clock.now()))
    await claim_pass(slack.app)
    messenger = slack.app.platform.messenger
    await Dispatcher(slack.app.sessions, slack.app.clock, messenger, RateLimiter(lambda _k: None)).drain()

    opened = [c for c in slack.fake.find("conversations.open") if "," in str(c.args.get("users"))]
    assert len(opened) == 1
    assert sorted(str(opened[0].args["users"]).split(",")) == ["U1", "U2"]
    (group,) = slack.fake.group_dms
    posts = [c for c in slack.fake.find("chat.postMessage") if c.args["channel"] == group]
    assert len(posts) == 1
    check_blocks(posts[0].args["blocks"])
    assert "Meet your study buddy" in posts[0].args["text"] and "study buddies" in str(
        posts[0].args["blocks"]
    )
    assert posts[0].args["metadata"]["event_payload"]["key"].startswith("buddy-intro:")

    # Drained again: the intro was sent once.
    await Dispatcher(slack.app.sessions, slack.app.clock, messenger, RateLimiter(lambda _k: None)).drain()
    assert len([c for c in slack.fake.find("chat.postMessage") if c.args["channel"] == group]) == 1


async def test_milestones_show_on_the_app_home_tab(slack: SlackHarness):
    key = member_key(TEAM_ID, "U1")
    for pid in list(slack.app.catalog.papers)[:10]:
        await slack.app.engine.action(key, f"paper:read:{pid}")
    view = await build_home(slack.app.engine, key)
    check_view(view)
    text = str(view["blocks"])
    assert "Milestones" in text and "10 papers read" in text


async def test_milestone_roles_are_refused_on_slack(slack: SlackHarness):
    slack.fake.set_user("U0OWNER", is_admin=True)
    await slack.command("admin", "milestones milestone:streak-7 role:123456789012345678", user="U0OWNER")
    await slack.fake.wait_for(lambda: any(r["_url"] == "admin" for r in slack.fake.responses))
    (answer,) = [r for r in slack.fake.responses if r["_url"] == "admin"]
    assert "Roles are a Discord feature" in str(answer)

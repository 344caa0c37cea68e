"""Every slash command through the real Bolt app: acked at once, answered on the response_url."""

from __future__ import annotations

import pytest

from tests.fakes.slack_fake import FakeSlack
from tests.slack.conftest import SlackHarness, check_blocks, check_view


def responses_for(fake: FakeSlack, name: str) -> list[dict]:
    return [r for r in fake.responses if r["_url"] == name]


async def answered(fake: FakeSlack, name: str) -> dict:
    await fake.wait_for(lambda: responses_for(fake, name))
    reply = responses_for(fake, name)[0]
    check_blocks(reply["blocks"])
    return reply


@pytest.mark.parametrize(
    ("name", "text", "expect"),
    [
        ("learn", "", "roadmap"),
        ("assess", "ai", ""),
        ("progress", "", "progress"),
        ("today", "", "Nothing planned"),
        ("checkin", "30 read the attention paper", "Logged 30 min"),
        ("paper", "", ""),
        ("explore", "", ""),
        ("settings", "", "Your settings"),
        ("privacy", "", ""),
        ("help", "", "/learn"),
    ],
)
async def test_command_is_acked_then_answered(slack: SlackHarness, name: str, text: str, expect: str):
    status, body = await slack.command(name, text)
    assert status == 200
    assert body == ""
    reply = await answered(slack.fake, name)
    assert reply["response_type"] == "ephemeral"
    assert expect.lower() in str(reply).lower()
    if name != "privacy":  # the Home tab would recreate a member who may be deleting their data
        publish = await slack.fake.wait_for(lambda: slack.fake.find("views.publish"))
        check_view(publish[-1].args["view"])


async def test_checkin_without_text_opens_the_modal_with_the_trigger(slack: SlackHarness):
    status, _ = await slack.command("checkin")
    assert status == 200
    calls = await slack.fake.wait_for(lambda: slack.fake.find("views.open"))
    assert calls[0].args["trigger_id"] == "trigger-checkin"
    view = calls[0].args["view"]
    check_view_modal = dict(view)
    assert check_view_modal["callback_id"] == "checkin:log"
    assert len(view["title"]["text"]) <= 24
    from slack_sdk.models.views import View

    View(**view).to_dict()
    assert not responses_for(slack.fake, "checkin")


async def test_time_zone_comes_from_users_info(slack: SlackHarness):
    from bot.adapters.slack.users import member_key
    from storage import repo

    await slack.command("progress", user="U7")
    await answered(slack.fake, "progress")
    async with slack.app.sessions() as session:
        member = await repo.find_member(session, member_key("T0TEAM", "U7"))
    assert member is not None and member.timezone == "Europe/Berlin"
    assert slack.fake.find("users.info")[0].args["user"] == "U7"


async def test_admin_is_refused_to_members(slack: SlackHarness):
    await slack.command("admin", "stats", user="U2")
    reply = await answered(slack.fake, "admin")
    assert "Only community admins" in str(reply)


@pytest.mark.parametrize("user", ["U0OWNER", "U0LISTED"])
async def test_admin_works_for_workspace_admins_and_listed_users(slack: SlackHarness, user: str):
    slack.fake.set_user("U0OWNER", is_owner=True)
    await slack.command("admin", "stats", user=user)
    reply = await answered(slack.fake, "admin")
    assert "Only community admins" not in str(reply)


async def test_admin_paper_channel_takes_a_channel_mention(slack: SlackHarness):
    slack.fake.set_user("U0OWNER", is_admin=True)
    await slack.command("admin", "paper-channel <#C0READING|reading-group>", user="U0OWNER")
    reply = await answered(slack.fake, "admin")
    text = str(reply)
    assert "<#C0READING>" in text


async def test_user_text_cannot_ping_the_channel(slack: SlackHarness):
    await slack.command("checkin", "20 <!channel> & <@U999> read", user="U3")
    reply = await answered(slack.fake, "checkin")
    text = str(reply)
    assert "<!channel>" not in text and "<@U999>" not in text


async def test_bad_arguments_get_a_friendly_answer(slack: SlackHarness):
    await slack.command("checkin", "lots", user="U4")
    reply = await answered(slack.fake, "checkin")
    assert "1h30" in str(reply).lower()


async def test_unknown_option_for_assess_is_explained(slack: SlackHarness):
    await slack.command("assess", "astrology", user="U5")
    reply = await answered(slack.fake, "assess")
    assert "not a known" in str(reply)

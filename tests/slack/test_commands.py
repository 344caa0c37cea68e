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


async def test_the_work_starts_only_after_the_acknowledgement_is_written(slack: SlackHarness, monkeypatch):
    """Bolt notices an acknowledgement only every 10 ms; a command that ran before then would
    hold the HTTP response back, so listeners wait until the server has written it."""
    from bot.adapters.slack import ack_gate

    gates = []
    real_attach = ack_gate.attach

    def attach(context):
        gates.append(real_attach(context))
        return gates[-1]

    monkeypatch.setattr(ack_gate, "attach", attach)
    engine = slack.app.engine
    written_first = []

    def recording(real):
        async def call(*args, **kwargs):
            written_first.append(gates[-1].is_set())
            return await real(*args, **kwargs)

        return call

    monkeypatch.setattr(engine, "run_line", recording(engine.run_line))
    monkeypatch.setattr(engine, "action", recording(engine.action))

    async def home_published(count: int) -> None:
        await slack.fake.wait_for(lambda: len(slack.fake.find("views.publish")) >= count)

    for n, name in enumerate(("today", "progress"), start=1):
        status, _ = await slack.command(name)
        assert status == 200
        await answered(slack.fake, name)
        await home_published(n)  # the Home tab's own engine calls are done before the next request
    status, _ = await slack.click("today:show:x")
    assert status == 200
    await home_published(3)
    assert len(written_first) >= 3 and all(written_first), written_first

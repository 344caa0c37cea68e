"""Buttons, menus, modals and the Home tab through the real Bolt app."""

from __future__ import annotations

import json

from bot.adapters.slack.users import member_key
from storage import repo
from tests.fakes.slack_fake import TEAM_ID
from tests.slack.conftest import SlackHarness, check_blocks, check_view


def actions_in(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def response(slack: SlackHarness, name: str, n: int = 1) -> dict:
    await slack.fake.wait_for(lambda: len([r for r in slack.fake.responses if r["_url"] == name]) >= n)
    reply = [r for r in slack.fake.responses if r["_url"] == name][n - 1]
    check_blocks(reply["blocks"])
    return reply


async def test_learn_menu_then_enrol_button_builds_a_plan(slack: SlackHarness):
    await slack.command("learn")
    menu = await response(slack, "learn")
    select = next(e for e in actions_in(menu["blocks"]) if e["type"] == "static_select")
    assert len(select["options"]) <= 100
    first = select["options"][0]["value"]
    assert first.startswith("learn:view:")

    status, body = await slack.click(first, action_id=select["action_id"], select=True)
    assert (status, body) == (200, "")
    shown = await response(slack, "action")
    assert shown["replace_original"] is True
    enrol = next(e for e in actions_in(shown["blocks"]) if e.get("value", "").startswith("learn:enrol:"))
    ids = [e["action_id"] for e in actions_in(shown["blocks"])]
    assert len(ids) == len(set(ids))

    await slack.click(enrol["value"], action_id=enrol["action_id"])
    await response(slack, "action", 2)
    async with slack.app.sessions() as session:
        member = await repo.find_member(session, member_key(TEAM_ID, "U1"))
        assert member is not None
        assert await repo.active_plan(session, member.id) is not None
    # The Home tab now shows the plan.
    await slack.fake.wait_for(lambda: len(slack.fake.find("views.publish")) >= 3)
    home = slack.fake.find("views.publish")[-1].args
    assert home["user_id"] == "U1"
    check_view(home["view"])
    assert "Check in" in json.dumps(home["view"])
    assert "This week's focus" in json.dumps(home["view"]), "the dashboard leads with this week's focus"


async def test_button_in_a_public_message_answers_privately(slack: SlackHarness):
    container = {"type": "message", "is_ephemeral": False, "channel_id": "C0GENERAL"}
    await slack.click("help:show", container=container)
    shown = await response(slack, "action")
    assert shown["replace_original"] is False
    assert shown["response_type"] == "ephemeral"


async def test_page_buttons_rebuild_the_origin(slack: SlackHarness):
    await slack.click("pg:0:help:show")
    shown = await response(slack, "action")
    assert shown["replace_original"] is True
    assert "/learn" in json.dumps(shown)


async def test_stale_button_gets_a_friendly_answer(slack: SlackHarness):
    await slack.click("nothing:here")
    shown = await response(slack, "action")
    assert "no longer does anything" in json.dumps(shown)


async def test_checkin_modal_submission_logs_and_replies(slack: SlackHarness):
    meta = json.dumps({"r": slack.fake.response_url("modal"), "c": "C0GENERAL"})
    status, body = await slack.submit("checkin:log", {"minutes": "45", "note": "read a paper"}, metadata=meta)
    assert status == 200
    assert body in ("", "{}") or json.loads(body).get("response_action") is None
    shown = await response(slack, "modal")
    assert "Logged 45 min" in json.dumps(shown)
    await slack.fake.wait_for(lambda: slack.fake.find("views.publish"))


async def test_bad_modal_input_shows_an_error_in_the_modal(slack: SlackHarness):
    status, body = await slack.submit("checkin:log", {"minutes": "lots", "note": ""})
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert "minutes" in answer["errors"]
    async with slack.app.sessions() as session:
        member = await repo.find_member(session, member_key(TEAM_ID, "U1"))
        if member is not None:
            assert await repo.minutes_total(session, member.id) == 0


async def test_home_button_opens_a_form_in_a_modal(slack: SlackHarness):
    home = {"id": "V0HOME", "type": "home"}
    await slack.click("checkin:open", view=home, action_id="home:0")
    calls = await slack.fake.wait_for(lambda: slack.fake.find("views.open"))
    view = calls[0].args["view"]
    check_view(view)
    assert view["callback_id"] == "checkin:log"


async def test_home_button_shows_a_reply_in_a_modal(slack: SlackHarness):
    await slack.click("today:show", view={"id": "V0HOME", "type": "home"}, action_id="home:1")
    calls = await slack.fake.wait_for(lambda: slack.fake.find("views.open"))
    check_view(calls[0].args["view"])


async def test_button_inside_a_modal_updates_it(slack: SlackHarness):
    await slack.click("help:show", view={"id": "V0MODAL", "type": "modal"})
    calls = await slack.fake.wait_for(lambda: slack.fake.find("views.update"))
    assert calls[0].args["view_id"] == "V0MODAL"
    check_view(calls[0].args["view"])


async def test_export_uploads_a_file_to_the_dm(slack: SlackHarness):
    await slack.command("progress")
    await response(slack, "progress")
    await slack.click("privacy:export")
    await slack.fake.wait_for(lambda: slack.fake.find("files.completeUploadExternal"))
    assert slack.fake.find("conversations.open")[0].args["users"] == "U1"
    assert b'"user_id": "U1"' in slack.fake.uploads[0] or b"U1" in slack.fake.uploads[0]


async def test_delete_does_not_recreate_the_member_through_home(slack: SlackHarness):
    await slack.command("progress")
    await response(slack, "progress")
    await slack.fake.wait_for(lambda: slack.fake.find("views.publish"))
    await slack.click("privacy:delete:confirm")
    await response(slack, "action")
    async with slack.app.sessions() as session:
        assert await repo.find_member(session, member_key(TEAM_ID, "U1")) is None

"""Pictures on Slack: files_upload_v2's three steps against the fake (getUploadURLExternal with
filename, length and alt_txt; the bytes to the upload URL; completeUploadExternal sharing them
into the member's DM), and text only in App Home."""

from __future__ import annotations

from bot.core.pictures import render
from tests.fakes.slack_fake import FakeSlack
from tests.slack.conftest import SlackHarness, check_blocks

PNG = b"\x89PNG\r\n\x1a\n"


def responses_for(fake: FakeSlack, name: str) -> list[dict]:
    return [r for r in fake.responses if r["_url"] == name]


async def _checked_in(slack: SlackHarness) -> None:
    published = len(slack.fake.find("views.publish"))
    await slack.command("checkin", "35 read about embeddings")
    await slack.fake.wait_for(lambda: responses_for(slack.fake, "checkin"))
    await slack.fake.wait_for(lambda: len(slack.fake.find("views.publish")) > published)


async def test_progress_uploads_the_heatmap_into_the_dm(slack: SlackHarness):
    render.CACHE.clear()
    await _checked_in(slack)
    await slack.command("progress")
    done = await slack.fake.wait_for(lambda: slack.fake.find("files.completeUploadExternal"))
    reply = responses_for(slack.fake, "progress")[0]
    check_blocks(reply["blocks"])
    assert "35 min" in str(reply)  # the text keeps the numbers
    asked = slack.fake.find("files.getUploadURLExternal")
    assert [a.args["filename"] for a in asked] == ["study-heatmap.png"]
    step = asked[0].args
    assert step["alt_txt"].startswith("Study heatmap") and "1 day studied" in step["alt_txt"]
    assert len(step["alt_txt"]) <= 1000
    (file_id, upload), *_ = slack.fake.files.items()
    assert upload["data"].startswith(PNG) and len(upload["data"]) == upload["length"]
    dm = slack.fake.find("conversations.open")[-1].args["users"]
    assert dm == "U1"
    assert upload["shared_to"] == "D1"
    assert [f["id"] for f in done[0].args["files"]] == [file_id]


async def test_assess_results_upload_the_skill_profile(slack: SlackHarness):
    await slack.command("assess", "python")
    await slack.fake.wait_for(lambda: responses_for(slack.fake, "assess"))
    for _ in range(4):  # answer until the results (two questions per area)
        last = (slack.fake.responses or [{}])[-1]
        values = [
            e.get("value", "")
            for b in last.get("blocks", [])
            for e in b.get("elements", [])
            if e.get("value", "").startswith("assess:ans:")
        ]
        if not values:
            break
        n = len(slack.fake.responses)
        await slack.click(values[0])
        await slack.fake.wait_for(lambda n=n: len(slack.fake.responses) > n)
    await slack.fake.wait_for(lambda: slack.fake.find("files.completeUploadExternal"))
    names = [a.args["filename"] for a in slack.fake.find("files.getUploadURLExternal")]
    assert names == ["skill-profile.png"]
    alt = slack.fake.find("files.getUploadURLExternal")[0].args["alt_txt"]
    assert alt.startswith("Skill profile from /assess: Python ")


async def test_app_home_shows_text_only(slack: SlackHarness):
    await _checked_in(slack)
    published = len(slack.fake.find("views.publish"))
    await slack.click("progress:show", view={"id": "V0HOME", "type": "home"}, action_id="home:1")
    await slack.fake.wait_for(lambda: slack.fake.find("views.open"))
    # The Home tab is republished after the answer, so any upload would have been asked for by now.
    await slack.fake.wait_for(lambda: len(slack.fake.find("views.publish")) > published)
    assert slack.fake.find("files.getUploadURLExternal") == []


async def test_pictures_off_uploads_nothing(slack: SlackHarness):
    await slack.command("settings", "images:off")
    await slack.fake.wait_for(lambda: responses_for(slack.fake, "settings"))
    assert "Pictures: off" in str(responses_for(slack.fake, "settings")[0])
    await _checked_in(slack)
    published = len(slack.fake.find("views.publish"))
    await slack.command("progress")
    await slack.fake.wait_for(lambda: responses_for(slack.fake, "progress"))
    await slack.fake.wait_for(lambda: len(slack.fake.find("views.publish")) > published)
    assert slack.fake.find("files.getUploadURLExternal") == []

"""Pictures on Discord: each PNG is a `files[n]` part, named in `attachments` with its alt text as
the description, and shown as the image of an embed through `attachment://<filename>`."""

from __future__ import annotations

from bot.adapters.discord import limits
from bot.core.pictures import render
from tests.discord.helpers import answer, components, original, text_of
from tests.discord.spec import assert_valid
from tests.fakes.discord_fake import FakeDiscord

PNG = b"\x89PNG\r\n\x1a\n"


async def _enrolled(fake: FakeDiscord) -> None:
    inter, _ = await answer(fake, fake.slash("learn", {"roadmap": "ai-engineer"}))
    message = original(fake, inter)
    assert any(c.get("custom_id") == "learn:enrol:ai-engineer" for c in components(message))
    await answer(fake, fake.click(message, "learn:enrol:ai-engineer"))
    await answer(fake, fake.slash("checkin", {"minutes": 40}))


def _pictures(call) -> dict[str, bytes]:
    return {name: blob for name, blob in call.files if blob.startswith(PNG)}


async def test_progress_attaches_heatmap_and_burnup_as_embed_images(bot, fake: FakeDiscord) -> None:
    render.CACHE.clear()
    await _enrolled(fake)
    inter, call = await answer(fake, fake.slash("progress"))
    assert_valid([call])
    data = call.body["data"]
    files = _pictures(call)
    assert set(files) == {"study-heatmap.png", "plan-burnup.png"}
    # discord.py's multipart shape: payload_json plus files[n] parts, each named in attachments.
    assert [p[0] for p in call.parts] == [f"files[{i}]" for i in range(len(call.parts))]
    named = {a["filename"]: a for a in data["attachments"]}
    assert set(named) == set(files)
    assert [a["id"] for a in data["attachments"]] == list(range(len(files)))
    for name, blob in files.items():
        assert len(blob) <= limits.ATTACHMENT_BYTES_MAX
        assert len(blob) <= inter["attachment_size_limit"]
        assert 0 < len(named[name]["description"]) <= limits.ATTACHMENT_DESCRIPTION_MAX
    shown = [e["image"]["url"] for e in data["embeds"] if "image" in e]
    assert shown == ["attachment://study-heatmap.png", "attachment://plan-burnup.png"]
    assert len(data["embeds"]) <= limits.EMBEDS_MAX
    # The text still carries the numbers the pictures show.
    assert "40 min" in text_of(data) and "Streak" in text_of(data)
    assert "1 day" in named["study-heatmap.png"]["description"]
    message = original(fake, inter)
    assert {a["filename"] for a in message["attachments"]} == set(files)


async def test_admin_stats_attaches_the_community_card(bot, fake: FakeDiscord) -> None:
    await answer(fake, fake.slash("checkin", {"minutes": 25}))
    _, call = await answer(fake, fake.slash("admin", {"action": "stats"}, admin=True))
    assert set(_pictures(call)) == {"community.png"}
    embeds = call.body["data"]["embeds"]
    assert embeds[-1]["image"]["url"] == "attachment://community.png"
    assert "Community stats" in text_of(call.body["data"])


async def test_pictures_off_sends_text_only(bot, fake: FakeDiscord) -> None:
    await _enrolled(fake)
    _, saved = await answer(fake, fake.slash("settings", {"images": "off"}))
    assert "Pictures: off" in text_of(saved.body["data"])
    _, call = await answer(fake, fake.slash("progress"))
    assert call.files == []
    assert not any("image" in e for e in call.body["data"]["embeds"])
    assert "Hours logged" in text_of(call.body["data"])


async def test_a_button_that_updates_a_message_to_progress_sends_its_pictures(bot, fake: FakeDiscord) -> None:
    await _enrolled(fake)
    inter, _ = await answer(fake, fake.slash("today"))
    message = original(fake, inter)
    done = next(
        c["custom_id"] for c in components(message) if c.get("custom_id", "").startswith("topic:done:")
    )
    await answer(fake, fake.click(message, done))
    message = fake.messages[message["id"]]
    _, call = await answer(fake, fake.click(message, "progress:show"))
    assert call.body["type"] == 7  # the message is updated in place
    assert set(_pictures(call)) == {"study-heatmap.png", "plan-burnup.png"}
    updated = fake.messages[message["id"]]
    assert {a["filename"] for a in updated["attachments"]} == {"study-heatmap.png", "plan-burnup.png"}
    assert [e["image"]["url"] for e in updated["embeds"] if "image" in e] == [
        "attachment://study-heatmap.png",
        "attachment://plan-burnup.png",
    ]

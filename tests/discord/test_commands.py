"""Every slash command, end to end through the real client."""

from __future__ import annotations

import json

import pytest

from tests.discord.helpers import EPHEMERAL, answer, components, original, text_of
from tests.fakes.discord_fake import FakeDiscord

MESSAGE_COMMANDS = [
    ("learn", {}),
    ("learn", {"roadmap": "ai-engineer"}),
    ("assess", {}),
    ("assess", {"area": "ai"}),
    ("progress", {}),
    ("today", {}),
    ("checkin", {"minutes": 30, "note": "read about attention"}),
    ("paper", {}),
    ("explore", {}),
    ("settings", {}),
    ("settings", {"timezone": "Europe/Berlin"}),
    ("privacy", {}),
    ("help", {}),
]


@pytest.mark.parametrize(("name", "options"), MESSAGE_COMMANDS, ids=lambda v: str(v))
async def test_command_answers_with_ephemeral_embeds(bot, fake: FakeDiscord, name, options) -> None:
    _, call = await answer(fake, fake.slash(name, options))
    assert call.query.get("with_response") in ("1", "true")
    assert call.body["type"] == 4
    data = call.body["data"]
    assert data["flags"] & EPHEMERAL
    assert data["embeds"], data
    assert data["allowed_mentions"] == {"parse": []}
    assert "went wrong" not in text_of(data)


async def test_explore_topic_choice(bot, fake: FakeDiscord) -> None:
    spec = bot.app.engine.specs["explore"].option("topic")
    topic = spec.choices[0][1]
    _, call = await answer(fake, fake.slash("explore", {"topic": topic}))
    assert call.body["type"] == 4 and call.body["data"]["embeds"]


async def test_checkin_without_options_opens_a_modal(bot, fake: FakeDiscord) -> None:
    _, call = await answer(fake, fake.slash("checkin"))
    assert call.body["type"] == 9
    modal = call.body["data"]
    assert modal["custom_id"] == "checkin:log"
    inputs = [c for row in modal["components"] for c in row["components"]]
    assert [i["custom_id"] for i in inputs] == ["minutes", "note"]


async def test_modal_submit_logs_and_never_pings(bot, fake: FakeDiscord) -> None:
    _, call = await answer(
        fake, fake.submit("checkin:log", {"minutes": "45", "note": "@everyone look at this"})
    )
    assert call.body["type"] == 4
    data = call.body["data"]
    assert data["allowed_mentions"] == {"parse": []}
    assert "Logged 45 min" in text_of(data)


async def test_everyone_in_slash_checkin_note_is_not_a_ping(bot, fake: FakeDiscord) -> None:
    _, call = await answer(fake, fake.slash("checkin", {"minutes": 20, "note": "@everyone @here hi"}))
    assert call.body["data"]["allowed_mentions"] == {"parse": []}


async def test_bad_input_is_a_friendly_ephemeral_message(bot, fake: FakeDiscord) -> None:
    _, call = await answer(fake, fake.slash("settings", {"timezone": "Mars/Olympus"}))
    data = call.body["data"]
    assert data["flags"] & EPHEMERAL
    assert "Traceback" not in text_of(data)


async def test_privacy_export_is_a_json_attachment(bot, fake: FakeDiscord) -> None:
    await answer(fake, fake.slash("checkin", {"minutes": 10}))
    _, call = await answer(fake, fake.slash("privacy", {"action": "export"}))
    assert call.body["type"] == 4
    (name, blob), *_ = call.files
    assert name == "my-study-data.json"
    assert json.loads(blob)
    assert call.body["data"]["attachments"][0]["filename"] == "my-study-data.json"


async def test_privacy_delete_asks_first_then_deletes(bot, fake: FakeDiscord) -> None:
    await answer(fake, fake.slash("checkin", {"minutes": 10}))
    inter, _ = await answer(fake, fake.slash("privacy", {"action": "delete"}))
    message = original(fake, inter)
    ids = [c.get("custom_id") for c in components(message)]
    assert "privacy:delete:confirm" in ids
    _, click = await answer(fake, fake.click(message, "privacy:delete:confirm"))
    assert click.body["type"] == 7  # the ephemeral confirmation is updated in place
    assert "Deleted" in text_of(click.body["data"])
    assert click.body["data"]["components"] == []


async def test_admin_stats_for_admins(bot, fake: FakeDiscord) -> None:
    _, call = await answer(fake, fake.slash("admin", {"action": "stats"}, admin=True))
    assert "Community stats" in text_of(call.body["data"])
    assert call.body["data"]["flags"] & EPHEMERAL


async def test_admin_paper_channel(bot, fake: FakeDiscord) -> None:
    _, call = await answer(
        fake, fake.slash("admin", {"action": "paper-channel", "channel": "920000000000000002"}, admin=True)
    )
    assert "Weekly paper channel set" in text_of(call.body["data"])


async def test_admin_refused_for_members_even_if_discord_let_it_through(bot, fake: FakeDiscord) -> None:
    _, call = await answer(fake, fake.slash("admin", {"action": "stats"}, admin=False))
    data = call.body["data"]
    assert "Only community admins" in text_of(data)
    assert data["flags"] & EPHEMERAL


async def test_timezone_autocomplete(bot, fake: FakeDiscord) -> None:
    _, call = await answer(fake, fake.autocomplete("settings", "timezone", "Europe/Ber"))
    assert call.body["type"] == 8
    names = [c["value"] for c in call.body["data"]["choices"]]
    assert "Europe/Berlin" in names
    assert len(names) <= 25


async def test_select_menu_runs_the_chosen_option(bot, fake: FakeDiscord) -> None:
    inter, _ = await answer(fake, fake.slash("learn"))
    message = original(fake, inter)
    select = next(c for c in components(message) if c["type"] == 3)
    value = select["options"][0]["value"]
    _, call = await answer(fake, fake.click(message, select["custom_id"], values=[value]))
    assert call.body["type"] == 7
    assert call.body["data"]["embeds"]


async def test_button_click(bot, fake: FakeDiscord) -> None:
    inter, _ = await answer(fake, fake.slash("privacy"))
    message = original(fake, inter)
    _, call = await answer(fake, fake.click(message, "privacy:delete:ask"))
    assert call.body["type"] == 7
    assert "Delete everything?" in text_of(call.body["data"])


async def test_dm_blocked_notice_reaches_the_member(bot, fake: FakeDiscord) -> None:
    from sqlalchemy import update

    from storage.models import Member

    await answer(fake, fake.slash("today"))
    async with bot.app.sessions() as s, s.begin():
        await s.execute(update(Member).values(dm_blocked_reason="dm_closed: 50007", dm_blocked_notice=True))
    _, call = await answer(fake, fake.slash("help"))
    assert "couldn't send you a direct message" in call.body["data"]["content"]


async def test_a_replayed_interaction_is_acted_on_once(bot, fake: FakeDiscord) -> None:
    """A gateway resume may deliver the same INTERACTION_CREATE again: one callback, one log."""
    inter, call = await answer(fake, fake.slash("checkin", {"minutes": 30}))
    assert "Logged 30 min" in text_of(call.body["data"])
    await fake.dispatch("INTERACTION_CREATE", inter)
    # Another interaction after the replay proves the replay was processed (events are in order).
    _, progress = await answer(fake, fake.slash("progress"))
    callbacks = [c for c in fake.calls if c.path.endswith(f"/{inter['token']}/callback")]
    assert len(callbacks) == 1
    assert "30 min" in text_of(progress.body["data"])
    assert "1 h" not in text_of(progress.body["data"])

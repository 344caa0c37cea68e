"""Through the real client: study time as typed, and time zones as people name them."""

from __future__ import annotations

from bot.adapters.discord.commands import command_payloads
from tests.discord.helpers import answer, text_of
from tests.fakes.discord_fake import FakeDiscord


def test_minutes_is_a_text_option_so_1h30_can_be_typed(bot) -> None:
    checkin = next(c for c in command_payloads(bot.app.engine.specs.values()) if c["name"] == "checkin")
    minutes = next(o for o in checkin["options"] if o["name"] == "minutes")
    assert minutes["type"] == 3


async def test_slash_checkin_reads_hours_and_minutes(bot, fake: FakeDiscord) -> None:
    _, call = await answer(fake, fake.slash("checkin", {"minutes": "1h30"}))
    assert "Logged 1 h 30 min" in text_of(call.body["data"])


async def test_modal_refuses_a_fraction_of_a_minute(bot, fake: FakeDiscord) -> None:
    _, call = await answer(fake, fake.submit("checkin:log", {"minutes": "45.9", "note": ""}))
    shown = text_of(call.body["data"])
    assert "whole minutes" in shown and "46" in shown
    assert "Logged" not in shown


async def test_timezone_autocomplete_puts_the_city_people_type_first(bot, fake: FakeDiscord) -> None:
    _, call = await answer(fake, fake.autocomplete("settings", "timezone", "Bangalore"))
    names = [c["value"] for c in call.body["data"]["choices"]]
    assert names[0] == "Asia/Kolkata"


async def test_an_offset_in_the_picker_reads_as_the_offset_not_the_posix_name(bot, fake: FakeDiscord) -> None:
    _, call = await answer(fake, fake.autocomplete("settings", "timezone", "GMT+1"))
    first = call.body["data"]["choices"][0]
    assert first["value"] == "Etc/GMT-1"  # the POSIX name, stored as the zone
    assert first["name"] == "UTC+01:00 (no daylight saving)"

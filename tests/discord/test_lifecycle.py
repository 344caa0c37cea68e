"""Restarts, command sync, sharding, deferral and the error handler."""

from __future__ import annotations

import base64

import pytest

from bot.adapters.discord import router as router_module
from bot.adapters.discord.invite import invite_url
from bot.config import Settings
from tests.discord.conftest import Bot, discord_app
from tests.discord.helpers import EPHEMERAL, answer, original, text_of
from tests.fakes.discord_fake import GUILD_ID, FakeDiscord


async def test_button_works_after_restart(db_url, fake: FakeDiscord, clock, catalog) -> None:
    first = await Bot(discord_app(db_url, fake, clock, catalog)).start()
    inter, _ = await answer(fake, fake.slash("privacy"))
    message = original(fake, inter)
    await first.stop()
    await first.app.close()

    second = await Bot(discord_app(db_url, fake, clock, catalog)).start()
    try:
        assert second.client is not first.client
        _, call = await answer(fake, fake.click(message, "privacy:delete:ask"))
        assert call.body["type"] == 7
        assert "Delete everything?" in text_of(call.body["data"])
    finally:
        await second.stop()
        await second.app.close()


async def test_commands_sync_only_when_changed(db_url, fake: FakeDiscord, clock, catalog) -> None:
    for _ in range(2):
        bot = await Bot(discord_app(db_url, fake, clock, catalog)).start()
        await bot.stop()
        await bot.app.close()
    puts = fake.calls_to("PUT", r"/commands$")
    assert len(puts) == 1
    names = {c["name"] for c in puts[0].body}
    assert names == {
        "learn", "assess", "progress", "today", "checkin", "paper",
        "explore", "settings", "privacy", "help", "admin", "leaderboard", "review", "buddy",
    }  # fmt: skip
    admin = next(c for c in puts[0].body if c["name"] == "admin")
    assert int(admin["default_member_permissions"]) == 1 << 5
    settings = next(c for c in puts[0].body if c["name"] == "settings")
    assert next(o for o in settings["options"] if o["name"] == "timezone")["autocomplete"] is True


async def test_guild_ids_sync_to_those_guilds(db_url, fake: FakeDiscord, clock, catalog) -> None:
    bot = await Bot(discord_app(db_url, fake, clock, catalog, discord_guild_ids=GUILD_ID)).start()
    await bot.stop()
    await bot.app.close()
    assert fake.calls_to("PUT", rf"/applications/\d+/guilds/{GUILD_ID}/commands$")
    assert not fake.calls_to("PUT", r"/applications/\d+/commands$")


async def test_sharded_client(db_url, fake: FakeDiscord, clock, catalog) -> None:
    bot = await Bot(discord_app(db_url, fake, clock, catalog, discord_shard_count=1)).start()
    try:
        assert type(bot.client).__name__ == "ShardedStudyClient"
        assert fake.identifies[-1]["shard"] == [0, 1]
        _, call = await answer(fake, fake.slash("help"))
        assert call.body["type"] == 4
    finally:
        await bot.stop()
        await bot.app.close()


async def test_slow_work_is_deferred_then_edited(bot, fake: FakeDiscord) -> None:
    bot.client.router.defer_after = 0
    inter, call = await answer(fake, fake.slash("progress"))
    assert call.body["type"] == 5
    assert call.body["data"]["flags"] & EPHEMERAL
    edit = await fake.wait_for(lambda c: c.method == "PATCH" and inter["token"] in c.path)
    assert edit.path.endswith("/messages/@original")
    assert edit.body["embeds"]


async def test_errors_become_a_short_ephemeral_message(bot, fake: FakeDiscord, monkeypatch, caplog) -> None:
    async def broken(*_a, **_k):
        raise RuntimeError("boom: secret details")

    monkeypatch.setattr(bot.client.router.engine, "command", broken)
    _, call = await answer(fake, fake.slash("help"))
    data = call.body["data"]
    assert data["content"] == router_module.SORRY
    assert data["flags"] & EPHEMERAL
    assert "boom" not in data["content"]


async def test_page_buttons_work_statelessly(bot, fake: FakeDiscord, monkeypatch) -> None:
    from bot.adapters.discord import render

    monkeypatch.setattr(render, "DESCRIPTION_CHUNK", 60)
    monkeypatch.setattr(render, "PAGE_BUDGET", 70)
    inter, _ = await answer(fake, fake.slash("learn"))
    message = original(fake, inter)
    nav = [c for row in message["components"] for c in row["components"] if c["custom_id"].startswith("pg:")]
    assert [c["custom_id"] for c in nav] == ["pg:1:learn:list"]
    _, page = await answer(fake, fake.click(message, nav[-1]["custom_id"]))
    assert page.body["type"] == 7
    footer = page.body["data"]["embeds"][-1]["footer"]["text"]
    assert "Page 2 of" in footer


def test_invite_url_has_scopes_and_permissions() -> None:
    token = base64.b64encode(b"123456789012345678").decode().rstrip("=") + ".x.y"
    url = invite_url(Settings(_env_file=None, discord_token=token))
    assert "client_id=123456789012345678" in url
    assert "scope=bot+applications.commands" in url
    perms = int(url.rsplit("permissions=", 1)[1])
    for bit in (11, 14, 15, 16, 31, 35, 38):
        assert perms & (1 << bit)
    assert not perms & (1 << 3)  # never administrator


def test_invite_url_needs_a_token() -> None:
    with pytest.raises(SystemExit):
        invite_url(Settings(_env_file=None))

"""Bad input gets a friendly message and leaves the database exactly as it was."""

from __future__ import annotations

import pytest

from bot.adapters.memory import MemberDriver
from bot.core.identity import MemberKey
from tests.snapshots import snapshot

KEY = MemberKey("test", "guild-1", "carol")

BAD_LINES = [
    ("/learn quantum-basket-weaving", "not a known roadmap"),
    ("/settings timezone:Mars/Olympus_Mons", "not a time zone"),
    ("/settings timezone:Europe/Berln", "Did you mean Europe/Berlin"),
    ("/checkin -5", "at least 1"),
    ("/checkin 0", "at least 1"),
    ("/checkin 100000", "at most 1440"),
    ("/checkin lots", "1h30"),
    ("/checkin 30 " + "x" * 10_000, "the limit is 1000"),
    ("/frobnicate", "I don't know the command"),
    ("/settings checkin_time:25:99", "isn't a valid check-in time"),
    ("/settings hours_per_week:-3", "at least 0.5"),
    ("/settings pause_until:yesterday", "isn't a date"),
    ("/settings checkin_days:funday", "isn't a weekday"),
    ("/assess astrology", "not a known area"),
    ("/explore gossip", "not a known topic"),
    ("checkin 30", "Commands start with a slash"),
]


@pytest.mark.parametrize(("line", "expected"), BAD_LINES)
async def test_bad_command_changes_nothing(app, line, expected):
    member = MemberDriver(app.engine, KEY)
    await member.act("learn:enrol:ai-engineer")
    before = await snapshot(app.sessions)
    reply = await member.say(line)
    assert reply.error, reply
    assert expected.lower() in member.text.lower()
    assert await snapshot(app.sessions) == before


async def test_bad_input_from_a_new_member_stores_nothing(app):
    before = await snapshot(app.sessions)
    member = MemberDriver(app.engine, KEY)
    await member.say("/checkin -1")
    await member.command("checkin", minutes="30", note="   ")
    assert "note is empty" in member.text.lower()
    assert await snapshot(app.sessions) == before


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"minutes": "-5", "note": ""}, "at least 1"),
        ({"minutes": "abc", "note": ""}, "1h30"),
        ({"note": "no minutes"}, "how many minutes"),
        ({"minutes": "20", "note": "n" * 1001}, "limit is 1000"),
    ],
)
async def test_bad_checkin_form_changes_nothing(app, values, expected):
    member = MemberDriver(app.engine, KEY)
    await member.say("/checkin")
    assert member.last.form is not None
    before = await snapshot(app.sessions)
    await member.submit(values)
    assert member.last.error
    assert expected in member.text
    assert await snapshot(app.sessions) == before


async def test_unknown_and_foreign_buttons_change_nothing(app):
    owner = MemberDriver(app.engine, KEY)
    await owner.act("learn:enrol:ai-engineer")
    await owner.say("/today")
    done = owner.choice("Done:")
    intruder = MemberDriver(app.engine, MemberKey("test", "guild-1", "mallory"))
    await intruder.say("/help")
    before = await snapshot(app.sessions)
    for action in (
        done,
        "nonsense",
        "learn:enrol",
        "topic:done:abc",
        "assess:ans:1:x:9",
        "checkin:done:2001-01-01",
        "paper:rate:arxiv:1706.03762:9",
    ):
        reply = await intruder.act(action)
        assert reply.error, action
    assert await snapshot(app.sessions) == before


async def test_mentions_in_notes_are_kept_verbatim_but_never_rendered_as_pings(app):
    member = MemberDriver(app.engine, KEY)
    await member.say("/checkin 20 hello @everyone and <@&123>")
    from bot.core.features.privacy.handlers import export_member

    async with app.sessions() as s:
        data = await export_member(s, KEY)
    assert data["checkins"][0]["note"] == "hello @everyone and <@&123>"
    assert "@everyone" not in member.text

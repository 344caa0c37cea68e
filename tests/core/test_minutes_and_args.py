"""Study time as people type it, and typed arguments that keep a note exactly as written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.adapters.memory import MemberDriver
from bot.core.commands import parse_args
from bot.core.errors import UserError
from bot.core.identity import MemberKey
from bot.core.minutes import MINUTES_MAX, parse_minutes
from bot.core.registry import command_specs
from storage.models import CheckIn, Member

KEY = MemberKey("test", "guild-1", "erin")
SPECS = {s.name: s for s in command_specs((), (), ())}


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("45", 45),
        ("1h", 60),
        ("1h30", 90),
        ("1h30m", 90),
        ("1h 30m", 90),
        ("90m", 90),
        ("90 min", 90),
        ("1:30", 90),
        ("1.5h", 90),
        ("0.25 hours", 15),
        ("2 hrs", 120),
        (" 45 ", 45),
        (30, 30),
    ],
)
def test_every_typed_form_reads_as_minutes(typed, minutes):
    assert parse_minutes(typed) == minutes


@pytest.mark.parametrize("typed", ["lots", "1h75", "1:75", "h", "1.5.5", "", "1:3"])
def test_unreadable_time_shows_an_example_of_each_form(typed):
    with pytest.raises(UserError) as exc:
        parse_minutes(typed)
    shown = exc.value.message + " " + (exc.value.hint or "")
    for form in ("45", "90m", "1h", "1h30", "1:30", "1.5h"):
        assert form in shown


@pytest.mark.parametrize(("typed", "nearest"), [("45.9", "46"), ("1.33h", "80"), ("0.4", "1")])
def test_fractions_of_a_minute_are_refused_with_the_nearest_whole_value(typed, nearest):
    with pytest.raises(UserError) as exc:
        parse_minutes(typed)
    assert "whole minutes" in exc.value.message
    assert f"Log {nearest} instead" in (exc.value.hint or "")


@pytest.mark.parametrize("typed", ["٤٥", "４５", "४५", "1h٣٠", "१:३०"])
def test_digits_from_other_scripts_are_not_minutes(typed):
    with pytest.raises(UserError):
        parse_minutes(typed)


@pytest.mark.parametrize(
    ("typed", "expected"), [("0", "at least 1"), ("-5", "at least 1"), ("25h", "at most")]
)
def test_out_of_range(typed, expected):
    with pytest.raises(UserError) as exc:
        parse_minutes(typed)
    assert expected in exc.value.message


@given(st.integers(min_value=0, max_value=24), st.integers(min_value=0, max_value=59))
def test_hour_and_minute_forms_agree_with_h_mm(h, m):
    total = h * 60 + m
    if not 1 <= total <= MINUTES_MAX:
        with pytest.raises(UserError):
            parse_minutes(f"{h}:{m:02d}")
        return
    assert parse_minutes(f"{h}:{m:02d}") == total
    assert parse_minutes(f"{total}") == total
    assert parse_minutes(f"{total}m") == total
    if h:
        assert parse_minutes(f"{h}h{m}") == total
        assert parse_minutes(f"{h}h {m}m") == total
        assert parse_minutes(f"{h}h{m:02d}m") == total


@given(st.integers(min_value=1, max_value=24 * 4))
def test_quarter_hours_in_decimal_agree_with_minutes(quarters):
    assert parse_minutes(f"{quarters / 4}h") == quarters * 15


@given(st.text(max_size=12))
def test_any_text_is_whole_minutes_in_range_or_a_friendly_error(text):
    try:
        minutes = parse_minutes(text)
    except UserError:
        return
    assert isinstance(minutes, int) and 1 <= minutes <= MINUTES_MAX
    assert text.strip().isascii()


async def _notes(app) -> list[tuple[int, str]]:
    async with app.sessions() as s:
        rows = (await s.execute(select(CheckIn).order_by(CheckIn.id))).scalars()
        return [(c.minutes, c.note) for c in rows]


async def test_typed_checkin_keeps_the_note_exactly_and_reads_hours(app):
    member = MemberDriver(app.engine, KEY)
    await member.say("/checkin 30 I can't focus; it's \"hard\"")
    await member.say("/checkin 1h30 read  two papers")
    assert await _notes(app) == [(30, "I can't focus; it's \"hard\""), (90, "read  two papers")]


async def test_form_decimal_is_refused_not_truncated(app):
    member = MemberDriver(app.engine, KEY)
    await member.say("/checkin")
    await member.submit({"minutes": "45.9", "note": ""})
    assert member.last.error
    assert "46" in member.text
    await member.say("/checkin")
    await member.submit({"minutes": "1:15", "note": ""})
    assert await _notes(app) == [(75, "")]


@pytest.mark.parametrize(
    ("command", "typed", "expected"),
    [
        ("settings", "timezone Asia/Kolkata", {"timezone": "Asia/Kolkata"}),
        ("settings", "timezone:Asia/Kolkata", {"timezone": "Asia/Kolkata"}),
        (
            "settings",
            "timezone=Asia/Kolkata checkin_time 07:30",
            {"timezone": "Asia/Kolkata", "checkin_time": "07:30"},
        ),
        ("settings", "checkin-time: 07:30", {"checkin_time": "07:30"}),
        ("settings", "Asia/Kolkata 08:00", {"timezone": "Asia/Kolkata", "checkin_time": "08:00"}),
        ("settings", "08:00 timezone:Asia/Kolkata", {"timezone": "Asia/Kolkata", "checkin_time": "08:00"}),
        ("settings", 'timezone "new york"', {"timezone": "new york"}),
        ("checkin", "30 minutes of reading", {"minutes": "30", "note": "minutes of reading"}),
        ("checkin", 'minutes=1h30 note:read it; "twice"', {"minutes": "1h30", "note": 'read it; "twice"'}),
        ("checkin", "note it's done", {"note": "it's done"}),
        ("admin", "paper-channel #reading-group", {"action": "paper-channel", "channel": "#reading-group"}),
        (
            "admin",
            "paper-channel <#C0READING|reading-group>",
            {"action": "paper-channel", "channel": "<#C0READING|reading-group>"},
        ),
        ("admin", "paper-channel C0READING1", {"action": "paper-channel", "channel": "C0READING1"}),
        (
            "admin",
            "defaults Asia/Kolkata 08:00",
            {"action": "defaults", "timezone": "Asia/Kolkata", "checkin_time": "08:00"},
        ),
    ],
)
def test_options_by_name_or_position(command, typed, expected):
    assert parse_args(SPECS[command], typed) == expected


def _plain_note(text: str) -> bool:
    """A note that does not itself use option syntax (`note ...`, `minutes:...`)."""
    words = [w.lower() for w in text.split()]
    return bool(words) and text.strip() == text and not any(w.startswith(("note", "minutes")) for w in words)


@given(st.text(min_size=1, max_size=200).filter(_plain_note))
def test_a_note_after_minutes_is_kept_verbatim(note):
    parsed = parse_args(SPECS["checkin"], f"30 {note}")
    assert parsed == {"minutes": "30", "note": note}


async def test_settings_timezone_by_name_sets_only_the_zone(app):
    member = MemberDriver(app.engine, KEY)
    await member.say("/settings timezone Asia/Kolkata")
    assert not member.last.error, member.text
    assert "Asia/Kolkata" in member.text
    async with app.sessions() as s:
        saved = (await s.execute(select(Member))).scalar_one()
    assert saved.timezone == "Asia/Kolkata"
    assert saved.checkin_time != "Asia/Kolkata"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("pause 2026-12-20", {"pause_until": "2026-12-20"}),
        ("pause:off", {"pause_until": "off"}),
        ("quiet 22:00-07:00", {"quiet_hours": "22:00-07:00"}),
        ("hours 7", {"hours_per_week": "7"}),
        ("nudge=sun", {"nudge_day": "sun"}),
    ],
)
def test_the_first_word_of_an_option_name_names_it(typed, expected):
    assert parse_args(SPECS["settings"], typed) == expected


def test_a_first_word_two_options_share_names_neither():
    # checkin_time and checkin_days both start with "checkin": it stays a positional value.
    assert parse_args(SPECS["settings"], "checkin 07:30") == {"timezone": "checkin", "checkin_time": "07:30"}


async def test_settings_pause_as_people_type_it_is_not_a_time_zone(app):
    member = MemberDriver(app.engine, KEY)
    await member.say("/settings pause 3")
    assert member.last.error and "time zone" not in member.text and "date" in member.text
    await member.say("/settings pause 2026-12-20")
    assert not member.last.error, member.text
    # The date reads back the one way dates are shown, in the reply and in the settings card.
    assert "Paused until Sun 20 Dec 2026" in member.text and "2026-12-20" not in member.text
    async with app.sessions() as s:
        saved = (await s.execute(select(Member))).scalar_one()
    assert str(saved.paused_until) == "2026-12-20"


@pytest.mark.parametrize(("typed", "shown"), [("1h30", "1 h 30 min"), ("60", "1 h"), ("45", "45 min")])
async def test_the_logged_title_reads_like_every_other_logged_time(app, typed, shown):
    member = MemberDriver(app.engine, KEY)
    await member.say(f"/checkin {typed}")
    assert member.last.cards[0].title == f"Logged {shown} today"
    assert dict((f.name, f.value) for f in member.last.cards[0].fields)["This week"].startswith(shown)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (
            "defaults Mumbai 08:00 6",
            {"action": "defaults", "timezone": "Mumbai", "checkin_time": "08:00", "hours_per_week": "6"},
        ),
        (
            "defaults Mumbai checkin_time 08:00 6",
            {"action": "defaults", "timezone": "Mumbai", "checkin_time": "08:00", "hours_per_week": "6"},
        ),
    ],
)
def test_admin_defaults_read_in_the_order_the_usage_shows(typed, expected):
    assert parse_args(SPECS["admin"], typed) == expected


async def test_settings_report_only_what_changed(app):
    member = MemberDriver(app.engine, KEY)
    await member.say("/settings timezone Asia/Kolkata checkin_time 19:00")
    assert member.last.text == "Saved. Time zone: Asia/Kolkata (UTC+05:30 now)."
    await member.say("/settings checkin_time 19:00")
    assert member.last.text.startswith("Nothing to change")
    await member.press("Edit settings")
    await member.submit({f.id: f.default for f in member.last.form.fields})
    assert member.last.text == "Saved. Nothing changed."

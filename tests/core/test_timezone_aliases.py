"""Time zones as people type them: offsets east of Greenwich, cities, countries, abbreviations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.memory import MemberDriver
from bot.core import timezones
from bot.core.errors import UserError
from bot.core.identity import MemberKey

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
KEY = MemberKey("test", "guild-1", "fay")


def offset_now(zone: str, now: datetime = NOW) -> timedelta | None:
    return ZoneInfo(zone).utcoffset(now)


@pytest.mark.parametrize(
    ("typed", "offset"),
    [
        ("GMT+1", timedelta(hours=1)),
        ("gmt+1", timedelta(hours=1)),
        ("UTC+5:30", timedelta(hours=5, minutes=30)),
        ("+05:30", timedelta(hours=5, minutes=30)),
        ("+0530", timedelta(hours=5, minutes=30)),
        ("UTC-3", timedelta(hours=-3)),
        ("UTC−3", timedelta(hours=-3)),
        ("GMT+5:45", timedelta(hours=5, minutes=45)),
        ("UTC+14", timedelta(hours=14)),
        ("UTC-12", timedelta(hours=-12)),
        ("UTC+0", timedelta(0)),
    ],
)
def test_an_offset_means_east_of_greenwich(typed, offset):
    assert offset_now(timezones.validate(typed, NOW)) == offset


def test_gmt_plus_one_is_not_saved_as_the_posix_zone_of_the_opposite_sign():
    assert timezones.validate("GMT+1", NOW) != "Etc/GMT+1"


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Mumbai", "Asia/Kolkata"),
        ("delhi", "Asia/Kolkata"),
        ("New Delhi", "Asia/Kolkata"),
        ("Bangalore", "Asia/Kolkata"),
        ("Bengaluru", "Asia/Kolkata"),
        ("NYC", "America/New_York"),
        ("SF", "America/Los_Angeles"),
        ("PST", "America/Los_Angeles"),
        ("EST", "America/New_York"),
        ("CET", "Europe/Berlin"),
        ("BST", "Europe/London"),
        ("India", "Asia/Kolkata"),
        ("Germany", "Europe/Berlin"),
        ("Ho Chi Minh City", "Asia/Ho_Chi_Minh"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("utc", "UTC"),
    ],
)
def test_cities_countries_and_abbreviations(typed, zone):
    assert timezones.validate(typed, NOW) == zone


def test_an_ambiguous_abbreviation_lists_its_choices():
    with pytest.raises(UserError) as exc:
        timezones.validate("IST", NOW)
    hint = exc.value.hint or ""
    for zone in ("Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"):
        assert zone in hint
    assert "India" in hint and "Israel" in hint and "Irish" in hint


def test_an_offset_no_zone_has_says_so():
    with pytest.raises(UserError) as exc:
        timezones.validate("UTC+2:30", NOW)
    assert "UTC+02:30" in exc.value.message


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=-14, max_value=14),
    st.sampled_from([0, 15, 30, 45]),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(["UTC{s}{h}:{m:02d}", "GMT{s}{h}:{m:02d}", "{s}{h:02d}:{m:02d}", "utc {s}{h}{m:02d}"]),
)
def test_every_offset_round_trips_to_a_zone_with_that_offset_now(h, m, now, form):
    sign = "-" if h < 0 else "+"
    offset = (-1 if h < 0 else 1) * timedelta(hours=abs(h), minutes=m)
    typed = form.format(s=sign, h=abs(h), m=m)
    if abs(offset) > timedelta(hours=14):
        with pytest.raises(UserError):
            timezones.validate(typed, now)
        return
    try:
        zone = timezones.validate(typed, now)
    except UserError:
        assert all(offset_now(z, now) != offset for z in timezones.all_zones())
        return
    assert offset_now(zone, now) == offset
    assert timezones.format_offset(offset) in timezones.describe(zone, now)


@given(st.integers(min_value=-12, max_value=14))
def test_whole_hour_offsets_always_resolve(h):
    zone = timezones.validate(f"GMT{h:+d}", NOW)
    assert offset_now(zone) == timedelta(hours=h)


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("mumbai", "Asia/Kolkata"),
        ("mum", "Asia/Kolkata"),
        ("IST", "Asia/Kolkata"),
        ("nyc", "America/New_York"),
        ("sf", "America/Los_Angeles"),
        ("pst", "America/Los_Angeles"),
        ("+5:30", "Asia/Kolkata"),
        ("GMT+1", "Etc/GMT-1"),
    ],
)
def test_autocomplete_ranks_what_people_type_first(typed, first):
    assert timezones.complete(typed, now=NOW)[0] == first


def test_autocomplete_lists_every_choice_of_an_ambiguous_abbreviation_first():
    assert timezones.complete("ist", now=NOW)[:3] == ["Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"]


def test_every_curated_alias_names_a_real_zone():
    for choices in timezones.aliases().values():
        for choice in choices:
            ZoneInfo(choice.zone)


async def test_settings_reply_confirms_the_offset(app):
    member = MemberDriver(app.engine, KEY)
    await member.say("/settings timezone GMT+1")
    assert not member.last.error, member.text
    assert "UTC+01:00" in member.text
    await member.say("/settings timezone Mumbai")
    assert "Asia/Kolkata (UTC+05:30 now)" in member.text


async def test_engine_autocomplete_uses_the_alias_table(app):
    assert app.engine.autocomplete("timezone", "bangalore")[0] == "Asia/Kolkata"


@pytest.mark.parametrize(("typed", "shown"), [("GMT+1", "UTC+01:00"), ("UTC-3", "UTC-03:00")])
def test_a_fixed_offset_reads_back_as_the_offset_typed_not_its_backwards_posix_name(typed, shown):
    text = timezones.describe(timezones.validate(typed, NOW), NOW)
    assert text.startswith(shown) and "Etc/GMT" not in text

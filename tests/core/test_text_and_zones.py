"""Time zone validation and completion, text splitting and mention defusing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import timezones
from bot.core.commands import parse_args
from bot.core.errors import UserError
from bot.core.registry import command_specs
from bot.core.text import defuse_mentions, split_text


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("utc", "UTC"),
        ("Kathmandu", "Asia/Kathmandu"),
        ("new york", "America/New_York"),
        ("Pacific/Kiritimati", "Pacific/Kiritimati"),
        ("Australia/Lord_Howe", "Australia/Lord_Howe"),
    ],
)
def test_valid_zones(typed, zone):
    assert timezones.validate(typed) == zone


def test_near_miss_suggests():
    with pytest.raises(UserError) as exc:
        timezones.validate("Amerca/New_Yrok")
    assert "America/New_York" in (exc.value.hint or "")


def test_completion_is_prefix_then_substring_and_capped():
    assert timezones.complete("Europe/Be")[:2] == ["Europe/Belfast", "Europe/Belgrade"]
    assert "America/Argentina/Buenos_Aires" in timezones.complete("buenos")
    assert len(timezones.complete("")) == 25


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500), st.integers(min_value=20, max_value=200))
def test_split_text_never_loses_words_or_exceeds_limit(text, limit):
    chunks = split_text(text, limit)
    assert all(len(c) <= limit for c in chunks)
    assert "".join(text.split()) == "".join("".join(chunks).split())


def test_split_text_prefers_word_breaks():
    chunks = split_text("alpha beta gamma delta", 11)
    assert chunks == ["alpha beta", "gamma delta"]


@pytest.mark.parametrize("raw", ["@everyone", "@here", "<@&123>", "<!channel>", "<@456>", "<#789>"])
def test_defuse_mentions(raw):
    out = defuse_mentions(f"hi {raw}!")
    assert raw not in out


def test_parse_args_positional_and_named():
    specs = {s.name: s for s in command_specs((("AI Engineer", "ai-engineer"),), (), ())}
    assert parse_args(specs["checkin"], "30 read the attention paper") == {
        "minutes": "30",
        "note": "read the attention paper",
    }
    assert parse_args(specs["settings"], "timezone:Asia/Tokyo checkin_time:07:30") == {
        "timezone": "Asia/Tokyo",
        "checkin_time": "07:30",
    }
    assert parse_args(specs["learn"], "AI Engineer") == {"roadmap": "AI Engineer"}

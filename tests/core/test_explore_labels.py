"""Explore sections show their facts with capitalised labels ("As of: 2025"), never as raw keys."""

from __future__ import annotations

import re

import pytest

from bot.adapters.memory import MemberDriver
from bot.core.identity import MemberKey
from content.loader import load_default_catalog

KEY = MemberKey("test", "guild-1", "eve")
SECTIONS = sorted(load_default_catalog().explore)


@pytest.mark.parametrize("topic", SECTIONS)
async def test_no_fact_label_starts_lower_case(app, topic):
    member = MemberDriver(app.engine, KEY)
    await member.act(f"explore:show:{topic}")
    assert not member.last.error, member.text
    raw = [line for line in member.text.splitlines() if re.match(r"^[a-z][a-z ]*: ", line)]
    assert raw == []


async def test_the_source_date_reads_as_a_label(app):
    member = MemberDriver(app.engine, KEY)
    await member.act("explore:show:salaries")
    assert "As of: 2025, per the source guide" in member.text


async def test_a_paths_two_spans_say_which_is_which(app):
    member = MemberDriver(app.engine, KEY)
    await member.act("learn:view:ml-expert")
    assert "Usual range: 12-24 months" in member.text
    assert "These phases take: 18-24 months" in member.text
    assert "Duration:" not in member.text

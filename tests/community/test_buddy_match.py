"""The pairing rule: shared waking hours across zones and DST, hard constraints, weights, and the
odd member out first in line."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.community.buddy_match import MIN_SHARED_HOURS, Candidate, match, shared_hours

MONDAY = date(2026, 11, 9)


def fixed(offset: int) -> str:
    """The fixed zone `offset` hours east of UTC (POSIX names have the opposite sign)."""
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


@settings(max_examples=60, deadline=None)
@given(st.integers(-12, 14), st.integers(-12, 14), st.dates(date(2020, 1, 1), date(2035, 12, 31)))
def test_fixed_offsets_share_twelve_hours_less_the_distance_between_them(a, b, on):
    d = abs(a - b) % 24
    expected = max(0, 12 - min(d, 24 - d))
    assert shared_hours(fixed(a), fixed(b), on) == expected
    assert shared_hours(fixed(b), fixed(a), on) == expected


ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Australia/Sydney",
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ZONES), st.sampled_from(ZONES), st.dates(date(2024, 1, 1), date(2030, 12, 31)))
def test_shared_hours_are_symmetric_and_at_most_a_waking_day(a, b, on):
    hours = shared_hours(a, b, on)
    assert hours == shared_hours(b, a, on)
    assert 0 <= hours <= 12


def test_dst_changes_the_overlap_on_the_pairing_date():
    # New York moves to summer time on Sun 8 Mar 2026, Berlin only on 29 Mar: three weeks in
    # which the two are five hours apart, not six.
    assert shared_hours("Europe/Berlin", "America/New_York", date(2026, 3, 7)) == 6
    assert shared_hours("Europe/Berlin", "America/New_York", date(2026, 3, 9)) == 7
    assert shared_hours("Europe/Berlin", "America/New_York", date(2026, 3, 30)) == 6
    # Tokyo's morning meets Los Angeles's evening across the date line.
    assert shared_hours("Asia/Tokyo", "America/Los_Angeles", MONDAY) == 5


def test_same_track_is_preferred():
    people = [
        Candidate(1, "ai-engineer", 2, "Europe/Berlin"),
        Candidate(2, "data-scientist", 2, "Europe/Berlin"),
        Candidate(3, "ai-engineer", 2, "Europe/Paris"),
        Candidate(4, "data-scientist", 2, "Europe/Paris"),
    ]
    pairs, left = match(people, MONDAY)
    assert pairs == [(1, 3), (2, 4)] and left == []


def test_similar_level_is_preferred_within_a_track():
    people = [Candidate(i, "t", lvl, "UTC") for i, lvl in ((1, 1), (2, 3), (3, 1), (4, 3))]
    pairs, _ = match(people, MONDAY)
    assert pairs == [(1, 3), (2, 4)]


def test_too_few_waking_hours_in_common_is_never_paired():
    # Eleven hours apart: one hour in common. UTC+14 and UTC-10 are a calendar day apart but
    # keep the same clock, so they share the whole waking day.
    assert shared_hours(fixed(10), fixed(-1), MONDAY) < MIN_SHARED_HOURS
    assert shared_hours(fixed(14), fixed(-10), MONDAY) == 12
    pairs, left = match([Candidate(1, "t", 1, fixed(10)), Candidate(2, "t", 1, fixed(-1))], MONDAY)
    assert pairs == [] and left == [1, 2]


def test_no_pair_repeats_within_eight_weeks():
    people = [Candidate(i, "t", 1, "UTC") for i in (1, 2, 3, 4)]
    pairs, _ = match(people, MONDAY, recent=[frozenset((1, 2)), frozenset((3, 4))])
    assert frozenset((1, 2)) not in map(frozenset, pairs) and frozenset((3, 4)) not in map(frozenset, pairs)
    assert len(pairs) == 2
    only, left = match(people[:2], MONDAY, recent=[frozenset((1, 2))])
    assert only == [] and left == [1, 2]


def test_the_member_left_out_last_time_is_first_in_line():
    people = [Candidate(i, "t", 1, "UTC") for i in (1, 2, 3)]
    _, left = match(people, MONDAY)
    (out,) = left
    again = [Candidate(c.member_id, c.track, c.level, c.zone, waiting=c.member_id == out) for c in people]
    pairs, left_again = match(again, MONDAY)
    assert out in {m for p in pairs for m in p}
    assert left_again != [out]


def test_everyone_who_can_be_paired_is_paired_in_a_large_round():
    zones = ["UTC", "Europe/Berlin", "Asia/Kolkata", "America/New_York"]
    people = [Candidate(i, f"t{i % 3}", i % 4, zones[i % 4]) for i in range(1, 301)]
    pairs, left = match(people, MONDAY + timedelta(days=7))
    flat = [m for p in pairs for m in p]
    assert len(flat) == len(set(flat)), "nobody is in two pairs"
    assert len(left) <= 6
    by_id = {c.member_id: c for c in people}
    assert all(shared_hours(by_id[a].zone, by_id[b].zone, MONDAY + timedelta(days=7)) >= 2 for a, b in pairs)

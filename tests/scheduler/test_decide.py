"""The dispatcher's rules for a claimed row, checked with plain values and no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.scheduler.decide import SEND, Drop, GiveUp, Wait, decide

NOW = datetime(2027, 3, 2, 12, 0, tzinfo=UTC)
MAX = 8


@dataclass
class Row:
    target: str = "dm"
    member_id: int | None = 1
    community_id: int | None = 1
    channel_id: str | None = None
    expires_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None


@dataclass
class Person:
    timezone: str = "UTC"
    paused_until: date | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None
    dm_blocked_reason: str | None = None


def test_a_deliverable_dm_is_sent() -> None:
    assert decide(Row(), Person(), True, True, NOW, MAX) == SEND


def test_an_expired_row_is_dropped_as_stale_before_anything_else() -> None:
    row = Row(expires_at=NOW, attempts=MAX)
    assert decide(row, None, None, False, NOW, MAX) == Drop("stale")


def test_the_last_attempt_gives_up_and_keeps_the_error() -> None:
    row = Row(attempts=MAX, last_error="HTTP 503")
    assert decide(row, Person(), True, True, NOW, MAX) == GiveUp("HTTP 503 (gave up)")


def test_a_dm_to_a_gone_or_blocked_member_is_dropped() -> None:
    assert decide(Row(), None, None, True, NOW, MAX) == Drop("member gone")
    assert decide(Row(), Person(dm_blocked_reason="closed"), True, True, NOW, MAX) == Drop("DMs blocked")


def test_paused_comes_before_turned_off() -> None:
    paused = Person(paused_until=date(2027, 3, 9))
    assert decide(Row(), paused, False, True, NOW, MAX) == Drop("paused")
    assert decide(Row(), Person(), False, True, NOW, MAX) == Drop("turned off")
    assert decide(Row(), Person(), None, True, NOW, MAX) == SEND


def test_a_pause_that_ends_today_no_longer_holds_the_message() -> None:
    assert decide(Row(), Person(paused_until=NOW.date()), True, True, NOW, MAX) == SEND


def test_quiet_hours_hold_the_message_until_they_end() -> None:
    quiet = Person(timezone="Europe/Berlin", quiet_start="12:00", quiet_end="15:00")
    ends = datetime(2027, 3, 2, 14, 0, tzinfo=UTC)  # 15:00 in Berlin (UTC+1 in March)
    assert decide(Row(), quiet, True, True, NOW, MAX) == Wait(ends)


def test_quiet_hours_that_outlast_the_message_drop_it() -> None:
    quiet = Person(quiet_start="11:00", quiet_end="23:00")
    row = Row(expires_at=NOW + timedelta(hours=2))
    assert decide(row, quiet, True, True, NOW, MAX) == Drop("quiet hours")


def test_channel_posts_need_their_community_and_channel() -> None:
    post = Row(target="channel", member_id=None, channel_id="C1")
    assert decide(post, None, None, True, NOW, MAX) == SEND
    assert decide(post, None, None, False, NOW, MAX) == Drop("community or channel gone")
    no_channel = Row(target="channel", member_id=None, channel_id=None)
    assert decide(no_channel, None, None, True, NOW, MAX) == Drop("community or channel gone")


@given(
    attempts=st.integers(0, 12),
    expires_in=st.one_of(st.none(), st.integers(-120, 2_000)),
    blocked=st.booleans(),
    enabled=st.sampled_from([True, False, None]),
    quiet=st.booleans(),
)
def test_a_row_is_sent_only_when_no_rule_holds_it_back(
    attempts: int, expires_in: int | None, blocked: bool, enabled: bool | None, quiet: bool
) -> None:
    expires = None if expires_in is None else NOW + timedelta(minutes=expires_in)
    person = Person(
        dm_blocked_reason="closed" if blocked else None,
        quiet_start="11:00" if quiet else None,
        quiet_end="13:00" if quiet else None,
    )
    outcome = decide(Row(attempts=attempts, expires_at=expires), person, enabled, True, NOW, MAX)
    held = (expires is not None and NOW >= expires) or attempts >= MAX or blocked or enabled is False or quiet
    assert (outcome == SEND) is (not held)
    if isinstance(outcome, Wait):
        assert outcome.until > NOW and (expires is None or outcome.until < expires)

"""The check-in DM offers "Remind me in 2 h" only when a snooze would really remind."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.replies import choices_of
from tests.scheduler.conftest import add_member, key, step


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def labels(messenger) -> list[str]:
    checkins = [m for m in messenger.sent if m.key.startswith("checkin:")]
    return [label for label, _ in choices_of(checkins[-1].reply)]


async def test_no_snooze_when_two_hours_on_is_quiet_until_tomorrow(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="21:00", quiet_hours="22:00-07:00")
    await step(sapp, messenger, at(2, 21, 1))
    assert "Remind me in 2 h" not in labels(messenger)
    assert "Skipped today" in labels(messenger)


async def test_no_snooze_when_two_hours_on_is_tomorrow(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="22:30")
    await step(sapp, messenger, at(2, 22, 31))
    assert "Remind me in 2 h" not in labels(messenger)


async def test_a_snooze_that_works_is_offered_and_works(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00", quiet_hours="22:00-07:00")
    await step(sapp, messenger, at(2, 19, 1))
    assert "Remind me in 2 h" in labels(messenger)
    checkin = [m for m in messenger.sent if m.key.startswith("checkin:")][-1]
    snooze = next(a for lb, a in choices_of(checkin.reply) if lb == "Remind me in 2 h")
    reply = await sapp.engine.action(key("ada"), snooze)
    assert not reply.error

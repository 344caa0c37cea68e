"""/settings names the next check-in that will really arrive: a slot already delivered is
passed over when the member changes the time afterwards."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.replies import render_text
from tests.scheduler.conftest import add_member, key, schedule_row, step


def checkins(messenger) -> list:
    return [m for m in messenger.sent if m.key.startswith("checkin:")]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


async def test_moving_the_checkin_after_todays_arrived_names_tomorrows(sapp, messenger):
    mid = await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    await step(sapp, messenger, at(2, 19, 1))
    assert len(messenger.sent) == 1
    reply = await sapp.engine.command(key("ada"), "settings", {"checkin_time": "21:00"})
    assert "next Tue 3 Mar 2026 21:00" in render_text(reply)
    assert (await schedule_row(sapp, mid, "checkin")).next_due_at == at(3, 21)
    await step(sapp, messenger, at(2, 21, 1))
    assert len(checkins(messenger)) == 1, "no second check-in for Monday"
    await step(sapp, messenger, at(3, 21, 1))
    assert len(checkins(messenger)) == 2


async def test_moved_into_quiet_hours_overnight_names_the_next_day_that_arrives(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    await step(sapp, messenger, at(2, 19, 1))
    reply = await sapp.engine.command(
        key("ada"), "settings", {"quiet_hours": "22:00-07:00", "checkin_time": "23:00"}
    )
    # Monday's check-in already came; Tuesday's 23:00 one is held to Wednesday 07:00.
    assert "next Wed 4 Mar 2026 07:00" in render_text(reply)
    await step(sapp, messenger, at(3, 7, 1))
    assert len(checkins(messenger)) == 1
    await step(sapp, messenger, at(4, 7, 1))
    assert len(checkins(messenger)) == 2 and "Tue 3 Mar" in render_text(checkins(messenger)[-1].reply)

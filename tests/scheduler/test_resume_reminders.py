"""After a failed DM, one button turns every reminder back on, and nothing shows a raw error."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.core.ports import PermanentDeliveryError
from bot.core.replies import render_text
from storage.models import Schedule
from tests.scheduler.conftest import add_member, key, step


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


RAW = "dm_closed: Cannot send messages to this user"


async def _streams(sapp) -> dict[str, bool]:
    async with sapp.sessions() as s:
        rows = (await s.execute(select(Schedule).where(Schedule.member_id == 1))).scalars().all()
        return {r.stream: r.enabled for r in rows}


async def test_one_button_turns_every_reminder_back_on(sapp, messenger):
    await add_member(sapp, "closed", timezone="UTC", checkin_time="19:00")
    messenger.fail_next.append(PermanentDeliveryError(RAW))
    await step(sapp, messenger, at(2, 19))
    assert not any((await _streams(sapp)).values())

    progress = await sapp.engine.command(key("closed"), "progress")
    notice = " ".join(progress.notices)
    assert "direct messages are closed to me" in notice
    assert "dm_closed" not in notice and "Cannot send" not in notice

    shown = await sapp.engine.command(key("closed"), "settings")
    text = render_text(shown)
    assert "dm_closed" not in text and "Cannot send" not in text
    assert "couldn't reach you by direct message" in text
    resume = [b for b in shown.buttons if b.label == "Turn my reminders back on"]
    assert len(resume) == 1

    back = await sapp.engine.action(key("closed"), resume[0].action)
    assert not back.error, render_text(back)
    assert "Reassessment reminder" in (back.text or "")
    streams = await _streams(sapp)
    assert streams and all(streams.values())
    assert not [b for b in back.buttons if b.label == "Turn my reminders back on"]

    await step(sapp, messenger, at(3, 19))
    assert [s.key for s in messenger.sent] == ["checkin:1:2026-03-03"]


async def test_the_reassessment_reminder_can_be_switched_by_name(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    off = await sapp.engine.command(key("ada"), "settings", {"stream": "reassess", "enabled": "off"})
    assert not off.error, render_text(off)
    assert (await _streams(sapp))["reassess"] is False
    on = await sapp.engine.run_line(key("ada"), "/settings stream reassess enabled on")
    assert not on.error, render_text(on)
    assert (await _streams(sapp))["reassess"] is True

"""The check-in DM and its buttons: each DM logs once, the DM adapts to what is already
logged, snoozes never land inside quiet hours, and a check-in held overnight by quiet
hours stays about its own day."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from bot.core.clock import FrozenClock
from bot.core.replies import choices_of, render_text
from storage.models import CheckIn, OutboxMessage
from tests.conftest import make_settings
from tests.scheduler.conftest import add_member, key, outbox_rows, step


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


async def logged(app, d: date) -> list[tuple[str, int]]:
    async with app.sessions() as s:
        rows = (
            await s.execute(select(CheckIn).where(CheckIn.local_date == d).order_by(CheckIn.id))
        ).scalars()
        return [(r.kind, r.minutes) for r in rows]


def action(reply, label: str) -> str:
    return next(a for lb, a in choices_of(reply) if lb == label)


async def test_pressing_done_twice_logs_once(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    await step(sapp, messenger, at(2, 19))
    done = action(messenger.sent[-1].reply, "Done: 30 min")
    first = await sapp.engine.action(key("ada"), done)
    second = await sapp.engine.action(key("ada"), done)
    assert not first.error and "Logged 30 min" in render_text(first)
    assert second.error and "already logged" in render_text(second) and "30 min today" in render_text(second)
    assert await logged(sapp, date(2026, 3, 2)) == [("study", 30)]
    # A typed /checkin is not a press of that button: it adds.
    typed = await sapp.engine.command(key("ada"), "checkin", {"minutes": 15})
    assert not typed.error
    assert await logged(sapp, date(2026, 3, 2)) == [("study", 30), ("study", 15)]


async def test_the_form_from_a_dm_logs_once_too(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    await step(sapp, messenger, at(2, 19))
    opened = await sapp.engine.action(key("ada"), action(messenger.sent[-1].reply, "Done: other time"))
    assert opened.form is not None
    for _ in range(2):
        await sapp.engine.action(key("ada"), opened.form.action, {"minutes": "45"})
    assert await logged(sapp, date(2026, 3, 2)) == [("study", 45)]


async def test_the_database_refuses_a_second_entry_from_the_same_source(any_db_url, shared_catalog):
    """Two presses at the same moment, each in its own transaction: the unique key decides."""
    from bot.runtime import build_app

    app = build_app(make_settings(any_db_url), clock=FrozenClock(at(2, 19)), catalog=shared_catalog)
    try:
        await add_member(app, "ada", timezone="UTC")
        replies = await asyncio.gather(
            *(app.engine.action(key("ada"), "checkin:done:2026-03-02:30") for _ in range(4))
        )
        assert sum(not r.error for r in replies) == 1
        async with app.sessions() as s:
            total = (await s.execute(select(func.sum(CheckIn.minutes)))).scalar_one()
        assert total == 30
    finally:
        await app.close()


async def test_skip_after_a_logged_day_is_refused(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    await step(sapp, messenger, at(2, 19))
    reply = messenger.sent[-1].reply
    await sapp.engine.action(key("ada"), action(reply, "Done: 1 hour"))
    skipped = await sapp.engine.action(key("ada"), action(reply, "Skipped today"))
    assert skipped.error and "already logged 1 h today" in render_text(skipped)
    assert await logged(sapp, date(2026, 3, 2)) == [("study", 60)]


async def test_skip_twice_records_one_rest_day(sapp):
    await add_member(sapp, "ada", timezone="UTC")
    sapp.clock.set(at(2, 19))
    for _ in range(2):
        reply = await sapp.engine.action(key("ada"), "checkin:skip:2026-03-02")
        assert not reply.error
    assert await logged(sapp, date(2026, 3, 2)) == [("skip", 0)]


async def test_a_day_holds_at_most_24_hours(sapp):
    await add_member(sapp, "ada", timezone="UTC")
    sapp.clock.set(at(2, 19))
    assert not (await sapp.engine.command(key("ada"), "checkin", {"minutes": 1000})).error
    over = await sapp.engine.command(key("ada"), "checkin", {"minutes": 500})
    text = render_text(over)
    assert over.error and "24 hours" in text and "at most 7 h 20 min more" in text
    assert not (await sapp.engine.command(key("ada"), "checkin", {"minutes": 440})).error
    full = await sapp.engine.action(key("ada"), "checkin:done:2026-03-02:30")
    assert full.error and "That day is full" in render_text(full)
    assert sum(m for _, m in await logged(sapp, date(2026, 3, 2))) == 24 * 60


async def test_the_dm_after_a_logged_day_offers_only_to_add_more(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    await sapp.engine.action(key("ada"), "learn:enrol:ai-engineer")
    sapp.clock.set(at(2, 15))
    await sapp.engine.command(key("ada"), "checkin", {"minutes": 45})
    await step(sapp, messenger, at(2, 19))
    [sent] = [s for s in messenger.sent if s.key.startswith("checkin")]
    text = render_text(sent.reply)
    assert "How did it go?" not in text and "You've logged 45 min today" in text
    labels = [lb for lb, _ in choices_of(sent.reply)]
    assert labels == ["Add 30 min", "Add 1 hour", "Add other time"]
    added = await sapp.engine.action(key("ada"), action(sent.reply, "Add 30 min"))
    assert "Logged 30 min today" in render_text(added)
    assert await logged(sapp, date(2026, 3, 2)) == [("study", 45), ("study", 30)]


async def test_snooze_into_quiet_hours_moves_to_their_end_and_says_so(sapp, messenger):
    await add_member(sapp, "q", timezone="UTC", checkin_time="20:00", quiet_hours="21:30-22:30")
    await step(sapp, messenger, at(2, 20))
    snoozed = await sapp.engine.action(key("q"), "checkin:snooze:2026-03-02")
    text = render_text(snoozed)
    assert "22:30" in text and "quiet hours" in text and "22:00" not in text
    [row] = [r for r in await outbox_rows(sapp) if r.key.startswith("checkin-snooze")]
    assert row.not_before == at(2, 22, 30)
    await step(sapp, messenger, at(2, 22, 30))
    assert [s.key for s in messenger.sent][-1] == "checkin-snooze:1:2026-03-02"


async def test_snooze_into_quiet_hours_that_last_past_midnight_is_refused(sapp, messenger):
    # Told "I'll remind you at 23:00" with quiet hours from 22:00: nothing would ever arrive.
    await add_member(sapp, "q", timezone="UTC", checkin_time="21:00", quiet_hours="22:00-07:00")
    await step(sapp, messenger, at(2, 21))
    snoozed = await sapp.engine.action(key("q"), "checkin:snooze:2026-03-02")
    assert snoozed.error and "quiet hours" in render_text(snoozed) and "23:00" not in render_text(snoozed)
    async with sapp.sessions() as s:
        assert (await s.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.key.like("checkin-snooze:%")))).scalar_one() == 0  # fmt: skip


async def test_a_checkin_held_overnight_is_about_its_own_day(sapp, messenger):
    await add_member(sapp, "de", timezone="UTC", checkin_time="23:00", quiet_hours="22:00-07:00")
    await step(sapp, messenger, at(2, 23))
    assert messenger.sent == []
    await step(sapp, messenger, at(3, 7))
    [sent] = messenger.sent
    assert sent.key == "checkin:1:2026-03-02"
    text = render_text(sent.reply)
    assert "Mon 2 Mar" in text and "How did Monday go?" in text
    assert "Daily check-in · Tue" not in text and "How did it go?" not in text
    labels = [lb for lb, _ in choices_of(sent.reply)]
    assert "Remind me in 2 h" not in labels and "Skipped Mon" in labels
    done = await sapp.engine.action(key("de"), action(sent.reply, "Done: 30 min"))
    assert "Logged 30 min for Mon 2 Mar" in render_text(done)
    assert await logged(sapp, date(2026, 3, 2)) == [("study", 30)]
    assert await logged(sapp, date(2026, 3, 3)) == []


async def test_logging_the_day_cancels_its_pending_snooze(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    await step(sapp, messenger, at(2, 19))
    await sapp.engine.action(key("ada"), "checkin:snooze:2026-03-02")
    await sapp.engine.command(key("ada"), "checkin", {"minutes": 25})
    await step(sapp, messenger, at(2, 21, 1))
    assert [s.key for s in messenger.sent] == ["checkin:1:2026-03-02"]
    [row] = [r for r in await outbox_rows(sapp) if r.key.startswith("checkin-snooze")]
    assert (row.status, row.last_error) == ("dropped", "already logged")


async def test_what_a_skip_says_about_the_streak_is_true(sapp, messenger):
    """Mon logged, Tue skipped: the week's freeze covers it, and the streak does survive.
    Wed logged, Thu skipped: the freeze is spent, so the bot must not promise safety, and
    the streak does end."""
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    sapp.clock.set(at(2, 20))
    first = await sapp.engine.command(key("ada"), "checkin", {"minutes": "45"})
    fields = dict((f.name, f.value) for c in first.cards for f in c.fields)
    assert fields["Streak"] == "1 day 🔥 (best 1)"
    assert fields["This week"].startswith("45 min of ")

    sapp.clock.set(at(3, 20))
    covered = render_text(await sapp.engine.action(key("ada"), "checkin:skip:2026-03-03"))
    assert "safe if you're back tomorrow" in covered

    sapp.clock.set(at(4, 20))
    again = await sapp.engine.command(key("ada"), "checkin", {"minutes": "30"})
    assert dict((f.name, f.value) for c in again.cards for f in c.fields)["Streak"] == "2 days 🔥 (best 2)"

    sapp.clock.set(at(5, 20))
    spent = render_text(await sapp.engine.action(key("ada"), "checkin:skip:2026-03-05"))
    assert "safe if you're back tomorrow" not in spent
    assert "already used" in spent and "ends your streak of 2 days" in spent
    # Every surface agrees at once: the streak the skip ended is not shown for the rest of the day.
    shown = render_text(await sapp.engine.command(key("ada"), "progress", {}))
    assert "Streak: log today to start a new one (best 2 days)" in shown

    sapp.clock.set(at(6, 20))
    after = await sapp.engine.command(key("ada"), "checkin", {"minutes": "30"})
    assert dict((f.name, f.value) for c in after.cards for f in c.fields)["Streak"] == "1 day 🔥 (best 2)"

"""Claim and dispatch: content, member controls, downtime, retries and permanent failures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.core.ports import PermanentDeliveryError, RetryableDeliveryError
from bot.core.replies import Button, Card, Reply, choices_of, render_text
from bot.core.reply_codec import reply_from_dict, reply_to_dict
from storage import outbox_store
from storage.models import Assessment, Community, Member, OutboxMessage, Schedule
from tests.scheduler.conftest import add_member, key, outbox_rows, schedule_row, step


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def test_checkin_dm_has_todays_task_buttons_and_streak(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    await sapp.engine.action(key("ada"), "learn:enrol:ai-engineer")
    await step(sapp, messenger, at(2, 19))
    [sent] = [s for s in messenger.sent if s.key.startswith("checkin")]
    assert sent.key == "checkin:1:2026-03-02"
    text = render_text(sent.reply)
    assert "Today's task" in text and "How did it go?" in text and "Streak:" in text
    actions = [a for _, a in choices_of(sent.reply)]
    # Each carries its community (~g1): one person's DMs are shared by all their communities.
    assert actions == [
        "checkin:done:2026-03-02:30~g1",
        "checkin:done:2026-03-02:60~g1",
        "checkin:done:2026-03-02~g1",
        "checkin:skip:2026-03-02~g1",
        "checkin:snooze:2026-03-02~g1",
    ]
    # The buttons work: "Done: 1 hour" logs an hour for that day.
    done = await sapp.engine.action(key("ada"), actions[1])
    assert not done.error and "Logged 1 h" in render_text(done)
    # Nothing more this evening; the next one is tomorrow.
    await step(sapp, messenger, at(2, 21))
    assert len([s for s in messenger.sent if s.key.startswith("checkin")]) == 1
    assert (await schedule_row(sapp, 1, "checkin")).next_due_at == at(3, 19)


async def test_reply_codec_round_trip():
    reply = Reply(
        text="hi",
        cards=(Card("t", "b"),),
        buttons=(Button("x", "a:b:c"), Button("open", url="https://example.org")),
    )
    assert reply_from_dict(reply_to_dict(reply)) == reply


async def test_pause_stream_off_and_dms_blocked_skip_without_queueing(sapp, messenger):
    await add_member(sapp, "p", timezone="UTC", checkin_time="19:00", pause_until="2026-03-05")
    await add_member(sapp, "o", timezone="UTC", checkin_time="19:00", stream="checkin", enabled="off")
    await add_member(sapp, "b", timezone="UTC", checkin_time="19:00")
    async with sapp.sessions() as s, s.begin():
        blocked = (await s.execute(select(Member).where(Member.user_id == "b"))).scalar_one()
        blocked.dm_blocked_reason = "50007: Cannot send messages to this user"
    for day in (2, 3, 4):
        await step(sapp, messenger, at(day, 19))
    assert [r.key for r in await outbox_rows(sapp) if r.stream == "checkin"] == []
    await step(sapp, messenger, at(5, 19))  # the pause has ended
    assert [s.key for s in messenger.sent if s.key.startswith("checkin")] == ["checkin:1:2026-03-05"]


async def test_stale_after_long_outage_is_dropped_and_recorded(sapp, messenger):
    await add_member(sapp, "ada", timezone="Europe/Berlin", checkin_time="19:00")
    await step(sapp, messenger, at(4, 10))  # down from Mon 12:00 to Wed 10:00
    rows = await outbox_rows(sapp)
    assert [(r.key, r.status, r.last_error) for r in rows] == [("checkin:1:2026-03-02", "dropped", "stale")]
    assert messenger.sent == []
    assert (await schedule_row(sapp, 1, "checkin")).next_due_at == at(4, 18)  # today 19:00 CET
    await step(sapp, messenger, at(4, 18))
    assert [s.key for s in messenger.sent if s.key.startswith("checkin")] == ["checkin:1:2026-03-04"]


async def test_short_downtime_sends_late_on_the_same_local_day(sapp, messenger):
    await add_member(sapp, "ada", timezone="America/Los_Angeles", checkin_time="19:00")
    await step(sapp, messenger, at(3, 6, 30))  # 22:30 in Los Angeles, 3.5 h late
    assert [s.key for s in messenger.sent] == ["checkin:1:2026-03-02"]


async def test_queued_message_expires_if_delivery_is_down_past_midnight(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    sapp.clock.set(at(2, 19))
    from bot.scheduler.service import claim_pass

    await claim_pass(sapp)  # queued, but no dispatcher ran that day
    await step(sapp, messenger, at(3, 0, 5))
    [row] = await outbox_rows(sapp)
    assert (row.status, row.last_error) == ("dropped", "stale")
    assert messenger.sent == []


async def test_quiet_hours_hold_a_snoozed_checkin_until_they_end(sapp, messenger):
    await add_member(sapp, "q", timezone="UTC", checkin_time="20:30", quiet_hours="22:00-23:30")
    await step(sapp, messenger, at(2, 20, 30))
    snoozed = await sapp.engine.action(key("q"), "checkin:snooze:2026-03-02")
    assert "23:30" in render_text(snoozed) and "quiet hours" in render_text(snoozed)
    again = await sapp.engine.action(key("q"), "checkin:snooze:2026-03-02")
    assert "Already snoozed" in render_text(again)
    await step(sapp, messenger, at(2, 22, 30))
    assert len(messenger.sent) == 1
    await step(sapp, messenger, at(2, 23, 30))
    assert [s.key for s in messenger.sent] == ["checkin:1:2026-03-02", "checkin-snooze:1:2026-03-02"]
    assert "checkin:snooze" not in str(choices_of(messenger.sent[1].reply))


async def test_snooze_too_late_in_the_day_is_refused(sapp):
    await add_member(sapp, "late", timezone="UTC")
    sapp.clock.set(at(2, 22, 30))
    reply = await sapp.engine.action(key("late"), "checkin:snooze:2026-03-02")
    assert reply.error and "too late" in render_text(reply)
    assert await outbox_rows(sapp) == []


async def test_retryable_error_backs_off_honouring_retry_after(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    messenger.fail_next.append(RetryableDeliveryError("429", retry_after=120))
    stats = await step(sapp, messenger, at(2, 19))
    assert stats.retried == 1 and messenger.sent == []
    [row] = await outbox_rows(sapp)
    assert row.status == "pending" and row.not_before >= at(2, 19, 2) and row.attempts == 1
    await step(sapp, messenger, at(2, 19, 1))
    assert messenger.sent == []
    await step(sapp, messenger, row.not_before)
    assert [s.key for s in messenger.sent] == ["checkin:1:2026-03-02"]
    [row] = await outbox_rows(sapp)
    assert row.status == "sent" and row.attempts == 2


async def test_gives_up_after_max_attempts(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="13:00")
    messenger.fail_next.extend(RetryableDeliveryError("HTTP 503") for _ in range(3))
    t = at(2, 13)
    for _ in range(5):
        await step(sapp, messenger, t, max_attempts=3)
        t += timedelta(hours=1)
    rows = [r for r in await outbox_rows(sapp) if r.stream == "checkin"]
    assert [(r.status, r.attempts) for r in rows] == [("failed", 3)]
    assert messenger.sent == []


async def test_permanent_failure_turns_dm_streams_off_and_tells_the_member(sapp, messenger):
    await add_member(sapp, "closed", timezone="UTC", checkin_time="19:00")
    messenger.fail_next.append(PermanentDeliveryError("50007: Cannot send messages to this user"))
    stats = await step(sapp, messenger, at(2, 19))
    assert stats.failed == 1
    [row] = await outbox_rows(sapp)
    assert row.status == "failed" and row.last_error.startswith("50007")
    async with sapp.sessions() as s:
        streams = (await s.execute(select(Schedule).where(Schedule.member_id == 1))).scalars().all()
        assert all(not r.enabled and r.disabled_reason.startswith("DM failed") for r in streams)
    reply = await sapp.engine.command(key("closed"), "progress")
    assert any("couldn't send you a direct message" in n for n in reply.notices)
    # Turning the check-in back on clears the block.
    await sapp.engine.command(key("closed"), "settings", {"stream": "checkin", "enabled": "on"})
    await step(sapp, messenger, at(3, 19))
    assert [s.key for s in messenger.sent] == ["checkin:1:2026-03-03"]


async def test_dm_channel_is_cached_and_passed_back(sapp):
    from bot.adapters.memory.messenger import MemoryMessenger

    seen: list[str | None] = []

    class Recording(MemoryMessenger):
        async def send_dm(self, member, reply, *, key, dm_channel_id=None):
            seen.append(dm_channel_id)
            return await super().send_dm(member, reply, key=key, dm_channel_id=dm_channel_id)

    m = Recording(platform="discord")
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    await step(sapp, m, at(2, 19))
    await step(sapp, m, at(3, 19))
    assert seen == [None, "D-ada"]


async def test_weekly_nudge_and_reassessment_reminder(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="18:00", nudge_day="sun")
    await sapp.engine.action(key("ada"), "learn:enrol:ai-engineer")
    async with sapp.sessions() as s, s.begin():
        s.add(
            Assessment(
                member_id=1,
                scope="ai",
                status="complete",
                state={},
                result={},
                started_at=at(1, 9, month=1),
                completed_at=at(1, 10, month=1),
            )
        )
    from bot.core.services import due_times

    async with sapp.sessions() as s, s.begin():
        await due_times.refresh(s, await s.get(Member, 1), sapp.clock.now())
    await step(sapp, messenger, at(8, 18))  # Sunday
    nudge = next(s for s in messenger.sent if s.key == "nudge:1:2026-W10")
    text = render_text(nudge.reply)
    assert "Focus for week" in text and "Last 7 days" in text and "Pace" in text
    assert not [s for s in messenger.sent if s.key.startswith("reassess")]
    await step(sapp, messenger, at(1, 18, month=4))  # 90 days after 1 January
    assert [s.key for s in messenger.sent if s.key.startswith("reassess")] == ["reassess:1:2026-04-01"]
    await step(sapp, messenger, at(2, 18, month=4))
    assert len([s for s in messenger.sent if s.key.startswith("reassess")]) == 1
    assert (await schedule_row(sapp, 1, "reassess")).next_due_at.date() == date(2026, 6, 30)


async def test_weekly_paper_dm_and_community_channel_post(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="18:00", nudge_day="sun")
    await step(sapp, messenger, at(5, 18))  # the paper goes out three days after the nudge day
    [paper] = [s for s in messenger.sent if s.key.startswith("paper:")]
    assert paper.key == "paper:1:2026-W10" and paper.reply.cards
    async with sapp.sessions() as s, s.begin():
        community = (await s.execute(select(Community))).scalar_one()
        await outbox_store.insert(
            s,
            key="test-channel:1",
            platform="discord",
            stream="paper",
            target="channel",
            community_id=community.id,
            channel_id="C1",
            payload={
                "reply": reply_to_dict(Reply(text="Paper of the week")),
                "thread_name": "Discussion",
                "thread_reply": reply_to_dict(Reply(text="What did you think?")),
            },
            not_before=at(5, 18),
            created_at=at(5, 18),
        )
    await step(sapp, messenger, at(5, 18, 1))
    post = next(s for s in messenger.sent if s.key == "test-channel:1")
    assert (post.target, post.to, post.thread_name) == ("channel", "C1", "Discussion")
    assert post.thread_reply.text == "What did you think?"


async def test_a_claim_left_by_a_crash_is_retaken_only_after_the_lease(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    sapp.clock.set(at(2, 19))
    from bot.scheduler.service import claim_pass

    await claim_pass(sapp)
    async with sapp.sessions() as s, s.begin():
        row = (await s.execute(select(OutboxMessage))).scalar_one()
        row.status, row.claimed_at, row.claimed_by, row.attempts = "sending", at(2, 19), "dead:1", 1
    await step(sapp, messenger, at(2, 19, 1))  # inside the 120 s lease
    assert messenger.sent == []
    await step(sapp, messenger, at(2, 19, 3))
    assert [s.key for s in messenger.sent] == ["checkin:1:2026-03-02"]
    [row] = await outbox_rows(sapp)
    assert (row.status, row.attempts) == ("sent", 2) and row.claimed_by != "dead:1"


async def test_changing_settings_after_a_reassessment_reminder_does_not_repeat_it(sapp, messenger):
    await add_member(sapp, "ada", timezone="UTC", checkin_time="18:00")
    async with sapp.sessions() as s, s.begin():
        s.add(
            Assessment(
                member_id=1,
                scope="ai",
                status="complete",
                state={},
                result={},
                started_at=at(1, 9, month=1),
                completed_at=at(1, 10, month=1),
            )
        )
    await sapp.engine.command(key("ada"), "settings", {"checkin_time": "18:00"})
    await step(sapp, messenger, at(1, 18, month=4))
    await sapp.engine.command(key("ada"), "settings", {"checkin_time": "20:00"})
    await step(sapp, messenger, at(2, 20, month=4))
    assert [s.key for s in messenger.sent if s.key.startswith("reassess")] == ["reassess:1:2026-04-01"]
    assert (await schedule_row(sapp, 1, "reassess")).next_due_at.date() == date(2026, 6, 30)


async def test_a_send_that_hangs_times_out_and_is_retried(sapp, monkeypatch):
    import asyncio

    from bot.adapters.memory.messenger import MemoryMessenger
    from bot.scheduler import dispatcher

    class Hangs(MemoryMessenger):
        hung = False

        async def send_dm(self, member, reply, *, key, dm_channel_id=None):
            if not self.hung:
                self.hung = True
                await asyncio.sleep(3600)
            return await super().send_dm(member, reply, key=key, dm_channel_id=dm_channel_id)

    monkeypatch.setattr(dispatcher, "SEND_TIMEOUT", 0.1)
    m = Hangs(platform="discord")
    await add_member(sapp, "ada", timezone="UTC", checkin_time="19:00")
    stats = await step(sapp, m, at(2, 19))
    assert stats.retried == 1
    [row] = await outbox_rows(sapp)
    assert row.status == "pending" and "TimeoutError" in row.last_error
    await step(sapp, m, at(2, 19, 5))
    assert [s.key for s in m.sent] == ["checkin:1:2026-03-02"]


async def test_an_unknown_time_zone_is_refused_and_changes_nothing(sapp):
    await add_member(sapp, "ada", timezone="Asia/Kathmandu", checkin_time="07:00")
    before = (await schedule_row(sapp, 1, "checkin")).next_due_at
    reply = await sapp.engine.command(key("ada"), "settings", {"timezone": "Mars/Olympus_Mons"})
    assert reply.error
    assert (await schedule_row(sapp, 1, "checkin")).next_due_at == before

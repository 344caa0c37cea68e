"""One person in two communities on one platform: one check-in a day, naming the community
it belongs to; its buttons act for that community only; person-level settings are shared."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.core.call import Context
from bot.core.identity import MemberKey
from bot.core.replies import choices_of, render_text
from storage.models import CheckIn, Member
from tests.scheduler.conftest import step

A = MemberKey("discord", "g1", "u")
B = MemberKey("discord", "g2", "u")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


async def join(app, key: MemberKey, name: str, **settings: str) -> None:
    reply = await app.engine.command(key, "settings", settings, Context(community_name=name))
    assert not reply.error, render_text(reply)


async def member_row(app, key: MemberKey) -> Member:
    async with app.sessions() as s:
        stmt = select(Member).where(Member.workspace_id == key.workspace_id, Member.user_id == key.user_id)
        return (await s.execute(stmt)).scalar_one()


async def logged_by(app, key: MemberKey) -> list[int]:
    member = await member_row(app, key)
    async with app.sessions() as s:
        return list(
            (await s.execute(select(CheckIn.minutes).where(CheckIn.member_id == member.id))).scalars()
        )


async def test_settings_are_shared_and_a_new_membership_starts_from_them(sapp):
    await join(sapp, A, "Server A", timezone="Asia/Kolkata", checkin_time="08:30", quiet_hours="22:00-07:00")
    await join(sapp, B, "Server B")
    b = await member_row(sapp, B)
    assert (b.timezone, b.checkin_time, b.quiet_start, b.quiet_end) == (
        "Asia/Kolkata",
        "08:30",
        "22:00",
        "07:00",
    )
    await join(sapp, B, "Server B", timezone="Europe/Berlin", checkin_days="mon,tue,wed", hours_per_week="9")
    a, b = await member_row(sapp, A), await member_row(sapp, B)
    assert (a.timezone, a.checkin_days) == ("Europe/Berlin", "012")
    assert (a.hours_per_week, b.hours_per_week) == (5.0, 9.0), "each community's plan keeps its own pace"


async def test_one_checkin_a_day_naming_its_community_and_logging_there(sapp, messenger):
    await join(sapp, A, "Server A", timezone="UTC", checkin_time="19:00")
    await join(sapp, B, "Server B")
    await step(sapp, messenger, at(2, 19))
    [sent] = [s for s in messenger.sent if s.key.startswith("checkin")]
    text = render_text(sent.reply)
    assert "Community: Server A" in text, "the oldest membership, while neither has a plan"
    done = next(a for label, a in choices_of(sent.reply) if label == "Done: 30 min")
    assert done.endswith("~g1")
    # The button acts for its own community only.
    refused = await sapp.engine.action(B, done)
    assert refused.error and "another community" in render_text(refused)
    assert not (await sapp.engine.action(A, done)).error
    assert (await logged_by(sapp, A), await logged_by(sapp, B)) == ([30], [])

    # Once B has a plan, B's check-in is the one that comes.
    await sapp.engine.action(B, "learn:enrol:ai-engineer")
    await step(sapp, messenger, at(3, 19))
    today = [s for s in messenger.sent if s.key.startswith("checkin") and s.key.endswith("2026-03-03")]
    assert len(today) == 1 and "Community: Server B" in render_text(today[0].reply)
    assert all(a.endswith("~g2") for _, a in choices_of(today[0].reply))


async def test_a_single_membership_is_not_named(sapp, messenger):
    await join(sapp, A, "Server A", timezone="UTC", checkin_time="19:00")
    await step(sapp, messenger, at(2, 19))
    [sent] = messenger.sent
    assert "Community" not in render_text(sent.reply)


async def test_the_form_opened_from_a_scoped_button_stays_in_its_community(sapp, messenger):
    await join(sapp, A, "Server A", timezone="UTC", checkin_time="19:00")
    await join(sapp, B, "Server B")
    await step(sapp, messenger, at(2, 19))
    [sent] = [s for s in messenger.sent if s.key.startswith("checkin")]
    other = next(a for label, a in choices_of(sent.reply) if label == "Done: other time")
    form = (await sapp.engine.action(A, other)).form
    assert form is not None and form.action.endswith("~g1")
    assert (await sapp.engine.action(B, form.action, {"minutes": "20"})).error
    assert not (await sapp.engine.action(A, form.action, {"minutes": "20"})).error
    assert await logged_by(sapp, A) == [20]


async def test_a_membership_with_the_checkin_off_leaves_it_to_the_other(sapp, messenger):
    await join(sapp, A, "Server A", timezone="UTC", checkin_time="19:00")
    await join(sapp, B, "Server B")
    await join(sapp, A, "Server A", stream="checkin", enabled="off")
    await step(sapp, messenger, at(2, 19))
    [sent] = [s for s in messenger.sent if s.key.startswith("checkin")]
    assert "Community: Server B" in render_text(sent.reply)

"""Milestones through the memory adapter on a real database: each recorded exactly once (across a
restart and under concurrent commands), congratulated in the earning reply, announced only for
members who opted in, and role grants queued once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.adapters.memory.messenger import MemoryMessenger
from bot.core.identity import MemberKey
from bot.core.ports import PermanentDeliveryError
from bot.core.replies import render_text
from bot.runtime import build_app
from storage.models import Member, MemberMilestone, PlanItem, Schedule
from tests.community.helpers import ADMIN, check_in_days, ctx, drain, member_id, opt_in_public, outbox_rows
from tests.conftest import make_settings

ALICE = MemberKey("discord", "910000000000000001", "940000000000000011")
BOB = MemberKey("discord", "910000000000000001", "940000000000000012")
ROLE = "950000000000000777"


async def kinds_of(app, key) -> list[str]:
    mid = await member_id(app, key)
    async with app.sessions() as session:
        rows = await session.execute(select(MemberMilestone.kind).where(MemberMilestone.member_id == mid))
        return sorted(rows.scalars())


async def test_seven_day_streak_once_with_announcement_and_role_across_a_restart(
    any_app, any_db_url, clock, catalog
):
    app = any_app
    await app.engine.command(
        ALICE, "admin", {"action": "celebrations", "channel": "<#920000000000000001>"}, ADMIN
    )
    reply = await app.engine.command(
        ALICE, "admin", {"action": "milestones", "milestone": "streak-7", "role": f"<@&{ROLE}>"}, ADMIN
    )
    assert not reply.error and ROLE in render_text(reply)
    await app.engine.command(ALICE, "checkin", {"minutes": "30"}, ctx("Alice @everyone"))
    await opt_in_public(app, ALICE)
    clock.advance(timedelta(days=1))
    replies = await check_in_days(app, clock, ALICE, 6, "Alice @everyone")
    assert all("Milestone" not in render_text(r) for r in replies[:-1])
    assert "You reached a 7-day streak" in render_text(replies[-1])
    assert await kinds_of(app, ALICE) == ["streak-7"]

    announce = await outbox_rows(app, "milestone:")
    roles = await outbox_rows(app, "milestone-role:")
    assert [r.target for r in announce] == ["channel"] and announce[0].channel_id == "920000000000000001"
    assert [r.payload["role_id"] for r in roles] == [ROLE]

    messenger = MemoryMessenger(platform="discord")
    await drain(app, messenger)
    posted = [s for s in messenger.sent if s.target == "channel"]
    assert len(posted) == 1
    text = render_text(posted[0].reply)
    assert "reached a 7-day study streak" in text
    assert "@everyone" not in text and "@\u200beveryone" in text, "a display name never pings"
    assert messenger.roles == [(ALICE.workspace_id, ALICE.user_id, ROLE)]

    # A restart: a new process on the same database records and sends nothing again.
    again = build_app(make_settings(any_db_url), clock=clock, catalog=catalog)
    try:
        clock.advance(timedelta(days=1))
        reply = await again.engine.command(ALICE, "checkin", {"minutes": "30"}, ctx("Alice"))
        assert "Milestone" not in render_text(reply)
        await drain(again, messenger)
    finally:
        await again.close()
    assert await kinds_of(app, ALICE) == ["streak-7"]
    assert len(await outbox_rows(app, "milestone")) == 2
    assert len([s for s in messenger.sent if s.target == "channel"]) == 1
    assert len(messenger.roles) == 1


async def test_a_member_who_did_not_opt_in_is_congratulated_privately_only(any_app, clock):
    app = any_app
    await app.engine.command(BOB, "admin", {"action": "celebrations", "channel": "#wins"}, ADMIN)
    replies = await check_in_days(app, clock, BOB, 7, "Bob")
    assert "You reached a 7-day streak" in render_text(replies[-1])
    assert await outbox_rows(app, "milestone:") == []


async def test_concurrent_commands_record_a_milestone_once(any_app, clock):
    app = any_app
    await check_in_days(app, clock, ALICE, 6)
    clock.advance(timedelta(days=1))
    first, second = await asyncio.gather(
        app.engine.command(ALICE, "checkin", {"minutes": "20"}, ctx("Alice")),
        app.engine.command(ALICE, "checkin", {"minutes": "25"}, ctx("Alice")),
    )
    assert not first.error and not second.error
    congratulated = [r for r in (first, second) if "7-day streak" in render_text(r)]
    assert len(congratulated) == 1
    assert await kinds_of(app, ALICE) == ["streak-7"]


async def test_plan_milestones_use_the_progress_figure_and_show_in_progress(any_app, clock):
    app = any_app
    await app.engine.action(ALICE, "learn:enrol:prompt-engineering", None, ctx("Alice"))
    mid = await member_id(app, ALICE)
    async with app.sessions() as session:
        from storage.models import Plan

        items = (
            (
                await session.execute(
                    select(PlanItem)
                    .join(Plan, Plan.id == PlanItem.plan_id)
                    .where(Plan.member_id == mid, PlanItem.state != "skipped")
                    .order_by(PlanItem.week, PlanItem.position)
                )
            )
            .scalars()
            .all()
        )
    total = sum(i.hours for i in items)
    done = 0.0
    seen: list[str] = []
    for item in items:
        reply = await app.engine.action(ALICE, f"topic:done:{item.id}", None, ctx("Alice"))
        done += item.hours
        got = await kinds_of(app, ALICE)
        new = sorted(set(got) - set(seen))
        seen = got
        expected = set()
        if len(seen) and done == item.hours:
            expected.add("first-topic")
        for share, kind in ((0.25, "plan-quarter"), (0.5, "plan-half"), (1.0, "plan-all")):
            if done >= share * total - 1e-9 and done - item.hours < share * total - 1e-9:
                expected.add(kind)
        assert set(new) == expected, (done, total, new)
        assert ("Milestone reached" in render_text(reply)) == bool(new)
    assert {"first-topic", "plan-quarter", "plan-half", "plan-all"} <= set(seen)
    progress = render_text(await app.engine.command(ALICE, "progress", {}, ctx("Alice")))
    assert "Milestones" in progress and "Your whole plan" in progress
    # Marking a done topic again earns nothing twice.
    again = await app.engine.action(ALICE, f"topic:done:{items[0].id}", None, ctx("Alice"))
    assert "Milestone" not in render_text(again)


async def test_ten_papers_read(any_app, catalog):
    app = any_app
    papers = list(catalog.papers)[:11]
    for i, pid in enumerate(papers):
        reply = await app.engine.action(ALICE, f"paper:read:{pid}", None, ctx("Alice"))
        assert not reply.error, reply
        assert ("10 papers read" in render_text(reply)) == (i == 9)
    assert await kinds_of(app, ALICE) == ["papers-10"]


async def test_turned_off_milestones_record_nothing(any_app, clock):
    app = any_app
    await app.engine.command(ALICE, "admin", {"action": "celebrations", "enabled": "off"}, ADMIN)
    replies = await check_in_days(app, clock, ALICE, 7)
    assert "Milestone" not in render_text(replies[-1])
    assert await kinds_of(app, ALICE) == []


async def test_a_reassessment_that_moved_up_a_level(any_app):
    from bot.adapters.memory import MemberDriver
    from tests.core.test_journeys import take_placement

    m = MemberDriver(any_app.engine, ALICE, ctx("Alice"))
    await take_placement(m, correct=False)
    assert "Milestone" not in m.text, "a first assessment has nothing to move up from"
    await take_placement(m, correct=True)
    assert "level up" in m.text
    assert await kinds_of(any_app, ALICE) == ["level-up"]
    await take_placement(m, correct=True)
    assert "Milestone" not in m.text


async def test_a_celebration_post_that_can_never_be_delivered_leaves_the_members_dms_on(any_app, clock):
    app = any_app
    await app.engine.command(
        ALICE, "admin", {"action": "celebrations", "channel": "<#920000000000000001>"}, ADMIN
    )
    await app.engine.command(ALICE, "checkin", {"minutes": "30"}, ctx("Alice"))
    await opt_in_public(app, ALICE)
    clock.advance(timedelta(days=1))
    await check_in_days(app, clock, ALICE, 6, "Alice")
    assert [r.target for r in await outbox_rows(app, "milestone:")] == ["channel"]
    messenger = MemoryMessenger(platform="discord", fail_next=[PermanentDeliveryError("Unknown Channel")])
    await drain(app, messenger)
    [row] = await outbox_rows(app, "milestone:")
    assert row.status == "failed"
    async with app.sessions() as session:
        member = await session.get(Member, await member_id(app, ALICE))
        assert member is not None and member.dm_blocked_reason is None
        checkin = (
            await session.execute(
                select(Schedule).where(Schedule.member_id == member.id, Schedule.stream == "checkin")
            )
        ).scalar_one()
        assert checkin.enabled

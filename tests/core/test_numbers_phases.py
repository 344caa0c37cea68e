"""A member on a learning path: the week's topics and a change of pace wait for the path's phases.

- /checkin credits, and finishes, only topics whose phase has opened; when every open topic
  is done, /today, the check-in DM and /checkin all say so, name the day the next phase
  opens, and the minutes are still logged.
- /settings hours_per_week re-lays the plan with the /learn pace menu's rule: no topic
  before its phase's week, and the plan's finish reads the same in the whole plan,
  /progress and the weekly nudge.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.adapters.memory import MemberDriver
from bot.core.display import day
from bot.core.domain import planner
from bot.core.identity import MemberKey
from bot.core.replies import choices_of
from storage.models import CheckIn, Member, Plan, PlanItem
from tests.core.numbers_support import checkin_dm, fields, weekly_nudge

ALICE = MemberKey("test", "guild-1", "alice")
BOB = MemberKey("test", "guild-1", "bob")
PATH = "no-code-to-code"


def _text(reply) -> str:
    return "\n".join(f"{c.title}\n{c.body}" for c in reply.cards)


async def _items(app, key: MemberKey) -> list[PlanItem]:
    async with app.sessions() as s:
        stmt = (
            select(PlanItem)
            .join(Plan, Plan.id == PlanItem.plan_id)
            .join(Member, Member.id == Plan.member_id)
            .where(Member.user_id == key.user_id, Plan.status == "active")
            .order_by(PlanItem.position)
        )
        return list((await s.execute(stmt)).scalars())


async def test_checkin_waits_for_the_next_phase_and_every_surface_says_when_it_opens(app, catalog, clock):
    start = clock.now().replace(hour=18, minute=0)
    clock.set(start)
    m = MemberDriver(app.engine, ALICE)
    await m.say("/settings hours_per_week:25")
    await m.act(f"learn:enrol:{PATH}")
    phase = planner.earliest_weeks(catalog, PATH)
    first_phase = [i for i in await _items(app, ALICE) if phase[(i.roadmap_id, i.topic_id)] == 1]
    first_ids = {i.id for i in first_phase}
    assert len(first_phase) <= 6 and all(i.hours <= 24 for i in first_phase)
    for n, item in enumerate(first_phase):  # finish the first phase inside week 1, a topic a day
        clock.set(start + timedelta(days=n))
        await m.say(f"/checkin {round(item.hours * 60)}")
        assert "That completes" in m.text, m.text
    assert all(i.state == "done" for i in await _items(app, ALICE) if i.id in first_ids)

    clock.set(start + timedelta(days=6, hours=1))  # still week 1; phase two opens in week 3
    opens = day(start.date() + timedelta(days=14))
    next_title = catalog.resolve_topic(
        next(f"{i.roadmap_id}/{i.topic_id}" for i in await _items(app, ALICE) if i.state == "todo")
    )[1].title
    await m.say("/today")
    assert "Every topic open so far is done" in m.text and opens in m.text and next_title in m.text
    assert "Review" in [b.label for b in m.last.buttons]
    dm = _text(await checkin_dm(app, clock, ALICE))
    assert "Today's task" not in dm, "the DM suggests no topic of a phase that hasn't opened"
    assert "Every topic open so far is done" in dm and opens in dm
    await m.act("plan:week")
    assert opens in m.text and next_title in m.text
    nudge = _text(await weekly_nudge(app, clock, ALICE))  # for week 2, still before the phase
    assert opens in nudge and "Focus for week" not in nudge

    await m.say("/checkin 45 read ahead")
    assert "Logged 45 min today" in m.text
    assert "Every topic open so far is done" in m.text and opens in m.text
    assert "Counted towards" not in m.text and "That completes" not in m.text
    async with app.sessions() as s:
        last = (await s.execute(select(CheckIn).order_by(CheckIn.id.desc()).limit(1))).scalar_one()
    assert (last.minutes, last.topics) == (45, []), "the minutes are kept, credited to no topic"
    assert all(i.state == "todo" for i in await _items(app, ALICE) if i.id not in first_ids)

    clock.set(start + timedelta(days=14, hours=1))  # week 3: phase two is open
    await m.say("/today")
    assert next_title in m.text
    dm = _text(await checkin_dm(app, clock, ALICE))
    assert "Today's task" in dm and next_title in dm
    await m.say("/checkin 30")
    assert f"Counted towards **{next_title}**" in m.text


async def test_a_settings_pace_change_keeps_phases_and_every_surface_reads_one_finish(app, catalog, clock):
    start = clock.now().replace(hour=18, minute=0)
    clock.set(start)
    phase = planner.earliest_weeks(catalog, PATH)
    menus = {}
    for key in (ALICE, BOB):
        m = MemberDriver(app.engine, key)
        await m.say("/settings hours_per_week:12")
        await m.act(f"learn:enrol:{PATH}")
        menus[key] = (m, next(a for label, a in choices_of(m.last) if label == "25 h a week"))
    for i in range(24):  # three weeks and a bit at 12 h a week, the same for both
        clock.set(start + timedelta(days=i))
        for key in (ALICE, BOB):
            await menus[key][0].say(f"/checkin {12 * 60 // 7}")
    clock.set(start + timedelta(days=24))  # week 4
    alice, bob = menus[ALICE][0], menus[BOB][0]
    await alice.say("/settings hours_per_week:25")
    assert "Hours per week: 25 h" in alice.text
    await bob.act(menus[BOB][1])  # the pace menu under /learn, on the enrolment message
    assert "Pace changed to 25 h a week" in bob.text

    items = await _items(app, ALICE)
    for i in items:
        assert i.week >= phase[(i.roadmap_id, i.topic_id)], f"{i.topic_id} is before its phase"
        if i.state in ("todo", "learning"):
            assert i.week >= 4, f"{i.topic_id} was put in a week that is over"
    assert [(i.topic_id, i.week, i.state) for i in items] == [
        (i.topic_id, i.week, i.state) for i in await _items(app, BOB)
    ], "/settings and the /learn pace menu re-lay a plan the same way"

    await alice.act("learn:plan")
    finish = alice.last.cards[0].footer.split("finishing around ")[1]
    work = [(i.hours, i.week) for i in items if i.state != "skipped"]
    assert finish == day(planner.plan_dates.span(start.date(), 25, work).finish)
    await alice.command("progress")
    pf = fields(alice.last)
    nf = fields(await weekly_nudge(app, clock, ALICE))
    assert pf["Plan finish"] == nf["Plan finish"] == finish
    assert pf["Pace"] == nf["Pace"]
    assert pf.get("Projected finish") == nf.get("Projected finish")
    await bob.command("progress")
    assert fields(bob.last)["Plan finish"] == finish

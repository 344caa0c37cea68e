"""A check-in counts towards the topic in progress and finishes it once its hours are logged."""

from __future__ import annotations

from sqlalchemy import select

from bot.adapters.memory import MemberDriver
from bot.core.identity import MemberKey
from storage.models import CheckIn, Plan, PlanItem

KEY = MemberKey("test", "guild-1", "dana")


async def items(app) -> list[PlanItem]:
    async with app.sessions() as s:
        stmt = select(PlanItem).join(Plan, Plan.id == PlanItem.plan_id).order_by(PlanItem.position)
        return list((await s.execute(stmt)).scalars())


async def test_a_checkin_moves_the_first_topic_on_and_a_full_one_finishes_it(app):
    member = MemberDriver(app.engine, KEY)
    await member.act("learn:enrol:ai-engineer")
    first, second = (await items(app))[:2]
    assert (first.state, second.state) == ("todo", "todo")

    await member.say("/checkin 30 read the intro")
    assert "Counted towards" in member.text
    first_now, second_now = (await items(app))[:2]
    assert (first_now.state, second_now.state) == ("learning", "todo")

    rest = round(first.hours * 60) - 30
    assert 0 < rest <= 1440, "the first topic can be finished with one more check-in"
    await member.say(f"/checkin {rest}")
    assert "That completes" in member.text
    assert (await items(app))[0].state == "done"
    async with app.sessions() as s:
        logged = list((await s.execute(select(CheckIn).order_by(CheckIn.id))).scalars())
    ref = f"{first.roadmap_id}/{first.topic_id}"
    assert [c.topics for c in logged] == [[ref], [ref]]
    assert [c.minutes for c in logged] == [30, rest]
    assert logged[0].note == "read the intro"

    await member.say("/checkin 20")
    assert "Counted towards" in member.text
    assert [i.state for i in (await items(app))[:2]] == ["done", "learning"], "the next topic starts"

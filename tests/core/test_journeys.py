"""End-to-end member journeys through the in-memory adapter on a real database."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from bot.adapters.memory import MemberDriver
from bot.core.identity import MemberKey
from storage.models import Base, CheckIn, Member, Plan, PlanItem
from tests.snapshots import snapshot

ALICE = MemberKey("test", "guild-1", "alice")
BOB = MemberKey("test", "guild-1", "bob")


async def take_placement(m: MemberDriver, correct: bool) -> None:
    """Answer every goal with its first option and every question right or wrong."""
    await m.command("assess", area="ai")
    for _ in range(60):
        actions = [a for _, a in __import__("bot.core.replies", fromlist=["x"]).choices_of(m.last)]
        goal = [a for a in actions if a.startswith("assess:goal:")]
        answers = [a for a in actions if a.startswith("assess:ans:")]
        if goal:
            await m.act(goal[0])
        elif answers:
            aid, qid = answers[0].split(":")[2:4]
            q = next(q for a in m.engine.catalog.areas.values() for q in a.questions if q.id == qid)
            pick = q.answer if correct else (q.answer + 1) % len(q.choices)
            await m.act(f"assess:ans:{aid}:{qid}:{pick}")
        else:
            return
    raise AssertionError("placement did not finish")


async def test_assess_learn_checkin_progress(app, clock):
    m = MemberDriver(app.engine, ALICE)
    await take_placement(m, correct=True)
    assert m.last.cards[0].title == "Your results"
    fields = {f.name: f.value for f in m.last.cards[0].fields}
    assert set(fields.values()) == {"Advanced"}
    assert "Recommended roadmap" in m.text

    await m.act("learn:enrol:ml-engineer")
    assert m.last.cards[0].title == "Your plan: Machine Learning Engineer"
    async with app.sessions() as s:
        states = (await s.execute(select(PlanItem.state))).scalars().all()
    assert "skipped" in states, "topics the member already knows are skipped"
    assert "todo" in states, "topics without an assessed area stay in the plan"

    # Mon, Tue, (Wed missed), Thu: the freeze covers Wednesday.
    for day_offset, minutes in ((0, 30), (1, 45), (3, 20)):
        clock.set(app.clock.now().replace(day=2 + day_offset, hour=18))
        await m.say(f"/checkin {minutes} studied day {day_offset}")
        assert m.last.cards[0].title == f"Logged {minutes} min today"
    await m.say("/checkin 15 second session the same day")
    streak = {f.name: f.value for f in m.last.cards[0].fields}["Streak"]
    assert streak.startswith("3 days"), streak
    assert "streak freeze covered" in m.text

    await m.say("/progress")
    fields = {f.name: f.value for f in m.last.cards[0].fields}
    assert fields["Streak"].startswith("3 days")
    assert fields["Hours logged"].startswith("1 h 50 min")
    assert m.last.cards[0].progress is not None
    assert fields["Pace"].split(" ")[0] in ("ahead", "on", "behind")


async def test_beginner_placement_recommends_entry_path(app):
    m = MemberDriver(app.engine, ALICE)
    await take_placement(m, correct=False)
    fields = {f.name: f.value for f in m.last.cards[0].fields}
    assert set(fields.values()) == {"New"}
    async with app.sessions() as s:
        plan_count = (await s.execute(select(func.count()).select_from(Plan))).scalar_one()
    assert plan_count == 0
    await m.press("Start")
    async with app.sessions() as s:
        items = (await s.execute(select(PlanItem.state))).scalars().all()
    assert items and "skipped" not in items


async def test_assessment_survives_restart_and_rejects_stale_buttons(app, clock, catalog):
    m = MemberDriver(app.engine, ALICE)
    await m.command("assess", area="python")
    first = m.choice("A")
    await m.act(first)
    question_after_first = m.last.cards[0].body

    from bot.runtime import build_app
    from tests.conftest import make_settings

    restarted = build_app(make_settings(app.settings.database_url), clock=clock, catalog=catalog)
    try:
        m2 = MemberDriver(restarted.engine, ALICE)
        await m2.command("assess", area="python")
        assert "Picking up where you left off" in m2.text
        assert m2.last.cards[0].body.endswith(question_after_first.split("\n\n", 1)[-1])
        await m2.act(first)
        assert "already answered" in m2.text
    finally:
        await restarted.close()


async def test_switch_plans_keeps_history(app):
    m = MemberDriver(app.engine, ALICE)
    await m.act("learn:enrol:prompt-engineering")
    await m.say("/checkin 40 prompts")
    await m.act("learn:enrol:ai-agents")
    assert "Switch from Prompt Engineering" in m.last.cards[0].title
    await m.press("Switch to")
    assert m.last.cards[0].title == "Your plan: AI Agents Developer"
    async with app.sessions() as s:
        plans = (await s.execute(select(Plan.ref_id, Plan.status).order_by(Plan.id))).all()
        checkins = (await s.execute(select(func.count()).select_from(CheckIn))).scalar_one()
    assert plans == [("prompt-engineering", "archived"), ("ai-agents", "active")]
    assert checkins == 1
    await m.act("learn:enrol:ai-agents")
    assert "already on" in m.last.cards[0].title


async def test_export_then_delete_touches_no_one_else(app):
    alice, bob = MemberDriver(app.engine, ALICE), MemberDriver(app.engine, BOB)
    for who in (alice, bob):
        await who.act("learn:enrol:ai-engineer")
        await who.say("/checkin 25 notes")
        await who.say("/paper")
    await alice.say("/privacy export")
    data = json.loads(alice.last.attachment.content)
    assert data["member"]["user_id"] == "alice"
    assert len(data["checkins"]) == 1 and len(data["plans"]) == 1
    assert data["plan_items"] and data["member_papers"] and data["schedules"]
    assert "bob" not in json.dumps(data)

    before_bob = await _rows_for(app, "bob")
    await alice.say("/privacy delete")
    await alice.press("Yes, delete everything")
    assert alice.last.cards[0].title == "Deleted"
    assert await _rows_for(app, "alice") == {}
    assert await _rows_for(app, "bob") == before_bob


async def _rows_for(app, user_id: str) -> dict:
    async with app.sessions() as s:
        member = (await s.execute(select(Member).where(Member.user_id == user_id))).scalar_one_or_none()
        if member is None:
            return {}
    snap = await snapshot(app.sessions)
    out = {}
    for table in Base.metadata.sorted_tables:
        cols = [c.name for c in table.columns]
        key = "member_id" if "member_id" in cols else ("id" if table.name == "members" else None)
        if key is None:
            continue
        idx = cols.index(key)
        rows = [r for r in snap[table.name] if r[idx] == member.id]
        if rows:
            out[table.name] = rows
    return out


async def test_today_follows_the_plan(app, clock):
    m = MemberDriver(app.engine, ALICE)
    await m.say("/today")
    assert m.last.cards[0].title == "Nothing planned yet"
    await m.act("learn:enrol:prompt-engineering")
    await m.say("/today")
    first_topic = app.catalog.roadmaps["prompt-engineering"].topics[0]
    assert first_topic.title in m.last.cards[0].body
    await m.press("Done:")
    assert "Marked done" in m.last.cards[0].body
    clock.advance(timedelta(hours=1))
    await m.say("/today")
    assert first_topic.title not in m.last.cards[0].body


async def test_changing_hours_refits_the_plan(app):
    m = MemberDriver(app.engine, ALICE)
    await m.act("learn:enrol:prompt-engineering")
    async with app.sessions() as s:
        before = max((await s.execute(select(PlanItem.week))).scalars())
    await m.say("/settings hours_per_week:20")
    assert "Hours per week: 20 h" in m.text
    async with app.sessions() as s:
        after = max((await s.execute(select(PlanItem.week))).scalars())
        plan = (await s.execute(select(Plan))).scalar_one()
    assert plan.hours_per_week == 20
    assert after < before and after == 4  # 65 hours at 20 a week


async def test_week_focus_shows_this_weeks_topics_and_time(app):
    m = MemberDriver(app.engine, ALICE)
    await m.act("plan:week")
    assert "No plan yet" in m.text
    await m.act("learn:enrol:prompt-engineering")
    await m.say("/checkin 30 intro")
    await m.act("plan:week")
    card = m.last.cards[0]
    assert card.title.startswith("This week's focus · week 1 of Prompt Engineering")
    assert app.catalog.roadmaps["prompt-engineering"].topics[0].title in card.body
    assert card.progress is not None and card.progress.done == 0.5

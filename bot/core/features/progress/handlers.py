"""/progress and /today: where the member stands and what to study next."""

from __future__ import annotations

import math
from collections.abc import Mapping

from sqlalchemy import select

from bot.core.call import Call
from bot.core.community import milestones
from bot.core.display import hours
from bot.core.domain.logged import logged
from bot.core.errors import UserError
from bot.core.features.review import handlers as review
from bot.core.ids import row_id
from bot.core.replies import Button, Card, Field, Progress, Reply
from bot.core.services import pictures, plan_weeks, studylog
from storage import repo
from storage.models import Plan, PlanItem

STATE_MARK = {"done": "✅", "learning": "▶️", "skipped": "⏭️", "todo": "▫️"}


async def progress_command(call: Call) -> Reply:
    member = await call.member()
    st = await studylog.streak(call, member)
    week = await studylog.week_minutes(call, member, call.today(member))
    plan = await repo.active_plan_row(call.session, member.id)
    fields = [
        Field("Streak", studylog.streak_text(st)),
        Field("This week", f"{logged(week)} of {hours(member.hours_per_week)}"),
    ]
    extra = await _extra_sections(call, member.id)
    review_text, review_buttons = await review.progress_part(call, member)
    extra += review_text
    if plan is None:
        body = "You haven't picked a plan yet. Run /learn to choose a roadmap or path."
        reply = Reply(
            cards=(Card(title="Your progress", body=body + extra, fields=tuple(fields)),),
            buttons=(Button("Pick a plan", "learn:list:all", "primary"), *review_buttons),
        )
        return await pictures.progress_images(call, member, reply)
    items = await repo.plan_item_rows(call.session, plan.id)
    p = await studylog.pace(call, member, plan, items)
    done_hours, total = milestones.plan_hours(items)
    counts = {s: sum(1 for i in items if i.state == s) for s in STATE_MARK}
    fields += [
        Field("Hours logged", f"{logged(p.logged_minutes)} of {hours(total)}"),
        *studylog.pace_fields(p),
        Field(
            "Topics",
            f"{counts['done']} done · {counts['learning']} in progress · "
            f"{counts['skipped']} skipped · {counts['todo']} to go",
            inline=False,
        ),
    ]
    lines = []
    for it in items:
        found = call.catalog.resolve_topic(f"{it.roadmap_id}/{it.topic_id}")
        title = found[1].title if found else f"{it.topic_id} (removed from catalogue)"
        lines.append(f"{STATE_MARK.get(it.state, '▫️')} {title}")
    card = Card(
        title=f"Your progress: {plan.title}",
        body="\n".join(lines) + extra,
        fields=tuple(fields),
        progress=Progress(done_hours, total, "Plan"),
    )
    reply = Reply(
        cards=(card,),
        buttons=(
            Button("Today", "today:show", "primary"),
            Button("Log study", "checkin:open"),
            *review_buttons,
        ),
        origin="progress:show",
    )
    return await pictures.progress_images(call, member, reply, (plan, items, p))


async def _extra_sections(call: Call, member_id: int) -> str:
    """Other features (papers) contribute lines to /progress here."""
    from bot.core.features.papers import handlers as papers

    return await papers.progress_section(call, member_id) + await milestones.progress_section(call, member_id)


async def today_command(call: Call) -> Reply:
    member = await call.member()
    plan = await repo.active_plan_row(call.session, member.id)
    if plan is None:
        return Reply(
            cards=(
                Card(
                    title="Nothing planned yet",
                    body="Pick a roadmap or path with /learn and I'll suggest what to study each day.",
                ),
            ),
            buttons=(Button("Pick a plan", "learn:list:all", "primary"),),
        )
    items = await repo.plan_item_rows(call.session, plan.id)
    week = plan_weeks.today_topics(call, member, plan, items)
    if week.waiting is not None:
        return Reply(
            cards=(Card(title="You're up to date 🎉", body=plan_weeks.waiting_text(call, week)),),
            buttons=(Button("Review", "review:next", "primary"), Button("Log study", "checkin:open")),
            origin="today:show",
        )
    suggestion = await suggest_today(call, member, plan, items)
    if not suggestion:
        return Reply(
            cards=(
                Card(
                    title="You've finished your plan! 🎉",
                    body="Every topic is done. Pick your next roadmap with /learn.",
                    tone="success",
                ),
            )
        )
    lines, buttons = [], []
    for item, minutes in suggestion:
        found = call.catalog.resolve_topic(f"{item.roadmap_id}/{item.topic_id}")
        if found is None:
            continue
        _roadmap, topic = found
        res = topic.resources[0]
        lines.append(
            f"**{topic.title}** · about {minutes} min today\n{topic.explainer}\n"
            f"Start here: [{res.title}]({res.url})"
        )
        buttons.append(Button(f"Done: {topic.title[:60]}", f"topic:done:{item.id}", "success"))
    buttons.append(Button("Log study", "checkin:open", "primary"))
    daily = _daily_minutes(member.hours_per_week, member.checkin_days)
    return Reply(
        cards=(
            Card(
                title="Today's study",
                body="\n\n".join(lines),
                footer=f"About {daily} min a day at {hours(member.hours_per_week)} a week",
            ),
        ),
        buttons=tuple(buttons[:5]),
        origin="today:show",
    )


def _daily_minutes(hours_per_week: float, study_days: str) -> int:
    days = max(1, len({c for c in study_days if c.isdigit()}))
    return max(10, math.ceil(hours_per_week * 60 / days / 5) * 5)


async def suggest_today(call: Call, member, plan, items: list[PlanItem]) -> list[tuple[PlanItem, int]]:
    """The week's topics, then the others open now (plan_weeks), until the day's time is filled."""
    budget = _daily_minutes(member.hours_per_week, member.checkin_days)
    spent = await studylog.topic_minutes(call, member)
    out: list[tuple[PlanItem, int]] = []
    for item in plan_weeks.today_topics(call, member, plan, items).opened:
        left = max(5, round(item.hours * 60 - spent.get(f"{item.roadmap_id}/{item.topic_id}", 0)))
        take = min(left, budget)
        out.append((item, take))
        budget -= take
        if budget <= 0 or len(out) >= 3:
            break
    return out


async def mark_done(call: Call, args: list[str], _values: Mapping[str, str]) -> Reply:
    member = await call.member()
    item_id = row_id(args[0]) if args else None
    if item_id is None:
        raise UserError("That button is broken. Run /today for a fresh one.")
    stmt = (
        select(PlanItem)
        .join(Plan, Plan.id == PlanItem.plan_id)
        .where(PlanItem.id == item_id, Plan.member_id == member.id)
    )
    item = (await call.session.execute(stmt)).scalar_one_or_none()
    if item is None:
        raise UserError("That topic isn't in your plan.", hint="Run /today for your topics.")
    found = call.catalog.resolve_topic(f"{item.roadmap_id}/{item.topic_id}")
    title = found[1].title if found else item.topic_id
    if item.state != "done":
        item.state = "done"
        item.updated_at = call.now()
    await review.enqueue_topics(call, member, [item.topic_id])
    plan_items = await repo.plan_items(call.session, item.plan_id)
    plan = await call.session.get(Plan, item.plan_id)
    assert plan is not None
    week = plan_weeks.today_topics(call, member, plan, plan_items)
    if week.topics:
        after = "Next up: **" + _title(call, week.topics[0]) + "**."
    elif week.waiting is not None:
        after = plan_weeks.waiting_text(call, week)
    else:
        after = "That was the last topic!"
    reply = Reply(
        cards=(Card(title=f"✅ {title}", body=f"Marked done. {after}", tone="success"),),
        buttons=(Button("Today", "today:show", "primary"), Button("Progress", "progress:show")),
    )
    return await milestones.celebrate(call, member, reply, milestones.from_plan(plan_items))


def _title(call: Call, item: PlanItem) -> str:
    found = call.catalog.resolve_topic(f"{item.roadmap_id}/{item.topic_id}")
    return found[1].title if found else item.topic_id


async def progress_action(call: Call, _a: list[str], _v: Mapping[str, str]) -> Reply:
    return await progress_command(call)


async def today_action(call: Call, _a: list[str], _v: Mapping[str, str]) -> Reply:
    return await today_command(call)


async def week_focus(call: Call, _a: list[str], _v: Mapping[str, str]) -> Reply:
    """This week's focus: the plan's topics for the current week and the time logged so far."""
    member = await call.member()
    plan = await repo.active_plan(call.session, member.id)
    if plan is None:
        return Reply(cards=(Card(title="This week", body="No plan yet: pick one with /learn."),))
    today = call.today(member)
    week_no = plan_weeks.week_number(plan.start_date, today)
    items = await repo.plan_items(call.session, plan.id)
    week = plan_weeks.week_topics(call, plan, items, week_no)
    lines = [f"{STATE_MARK.get(i.state, '▫️')} {_title(call, i)} ({hours(i.hours)})" for i in week.topics[:5]]
    week_logged = await studylog.week_minutes(call, member, today)
    body = "\n".join(lines) if lines else "Every topic is done. Pick your next plan with /learn."
    if week.waiting is not None:
        body = plan_weeks.waiting_text(call, week)
    return Reply(
        cards=(
            Card(
                title=f"This week's focus · week {week_no} of {plan.title}",
                body=body,
                progress=Progress(week_logged / 60, member.hours_per_week, "This week"),
            ),
        ),
        origin="plan:week",
    )


ACTIONS = {
    "progress:show": progress_action,
    "today:show": today_action,
    "topic:done": mark_done,
    "plan:week": week_focus,
}

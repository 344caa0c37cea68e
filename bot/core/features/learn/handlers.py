"""/learn: browse roadmaps and paths, enrol, switch plans (history is kept)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import insert, select

from bot.core.call import Call
from bot.core.display import bullet, day, hours, stars
from bot.core.domain import plan_dates, planner
from bot.core.errors import UserError
from bot.core.replies import Button, Card, Field, Reply, Select, SelectOption
from bot.core.services import levels as levels_service
from bot.core.services import plan_weeks
from storage import repo
from storage.models import Member, Plan, PlanItem


async def learn_command(call: Call, roadmap: str | None = None) -> Reply:
    if roadmap:
        return await view(call, [planner.canonical_id(call.catalog, roadmap)], {})
    return await overview(call)


async def overview(call: Call) -> Reply:
    cat = call.catalog
    member = await call.existing_member()
    plan = await repo.active_plan(call.session, member.id) if member else None
    lines = [
        f"**{r.name}** · {hours(r.hours)} · demand {stars(r.demand)}\n  {r.tagline}"
        for r in cat.roadmap_list()
    ]
    path_lines = [f"**{p.name}** · {p.duration} · {p.outcome}" for p in cat.path_list()]
    body = "**Roadmaps**\n" + "\n".join(lines) + "\n\n**Learning paths**\n" + "\n".join(path_lines)
    footer = f"Your current plan: {plan.title}" if plan else "Not sure? Try /assess first."
    options = tuple(
        SelectOption(r.name, f"learn:view:{r.id}", f"{hours(r.hours)} · {r.best_for[:60]}")
        for r in cat.roadmap_list()
    ) + tuple(
        SelectOption(p.name, f"learn:view:{p.id}", f"{p.duration} · {p.outcome[:60]}")
        for p in cat.path_list()
    )
    return Reply(
        cards=(Card(title="Pick what to learn", body=body, footer=footer),),
        select=Select("learn:pick", "Choose a roadmap or path", options),
        origin="learn:list",
    )


async def view(call: Call, args: list[str], _values: Mapping[str, str]) -> Reply:
    if not args:
        return await overview(call)
    ref = planner.canonical_id(call.catalog, args[0])
    cat = call.catalog
    if ref in cat.roadmaps:
        r = cat.roadmaps[ref]
        fields = [Field("Hours", hours(r.hours)), Field("Demand", stars(r.demand))]
        if r.salary:
            fields.append(Field("Salary", r.salary))
        if r.timeline:
            fields.append(Field("Timeline", r.timeline))
        if r.career_progression:
            fields.append(Field("Career", " → ".join(r.career_progression), inline=False))
        topics = bullet([f"{t.title} ({hours(t.hours)})" for t in r.topics])
        body = f"_{r.tagline}_\n\n**Best for:** {r.best_for}\n\n{r.summary}\n\n**Topics**\n{topics}"
        card = Card(
            title=f"{r.emoji} {r.name}".strip(),
            body=body,
            fields=tuple(fields),
            url=str(r.link) if r.link else None,
        )
    else:
        p = cat.paths[ref]
        phases = bullet([f"**{ph.label}**: {ph.title}" for ph in p.phases])
        body = f"**Best for:** {p.best_for}\n\n{p.summary}\n\n{phases}".strip()
        card = Card(
            title=p.name,
            body=body,
            fields=(
                # Two spans from the source side by side: the range people take, and the phases above.
                Field("Usual range", p.duration),
                Field("These phases take", p.timeline),
                Field("Pace", f"about {hours(p.hours_per_week)} a week"),
                Field("Outcome", p.outcome, inline=False),
            ),
        )
    return Reply(
        cards=(card,),
        buttons=(
            Button("Start this plan", f"learn:enrol:{ref}", "primary"),
            Button("All roadmaps", "learn:list:all"),
        ),
        origin=f"learn:view:{ref}",
    )


async def enrol(call: Call, args: list[str], _values: Mapping[str, str]) -> Reply:
    if not args:
        raise UserError("Pick a roadmap or path first.", hint="Run /learn to see them.")
    ref = planner.canonical_id(call.catalog, args[0])
    member = await call.member()
    current = await repo.active_plan(call.session, member.id)
    if current is not None and current.ref_id == ref:
        return Reply(
            cards=(
                Card(
                    title=f"You're already on {current.title}",
                    body="Run /today to see what's next, or /progress for how far you've come.",
                ),
            )
        )
    if current is not None:
        _, title = planner.resolve(call.catalog, ref)
        return Reply(
            cards=(
                Card(
                    title=f"Switch from {current.title} to {title}?",
                    body="Your old plan and its history are kept; you can come back to it later. "
                    "Check-ins and your streak carry over.",
                    tone="warning",
                ),
            ),
            buttons=(
                Button(f"Switch to {title}"[:80], f"learn:switch:{ref}", "primary"),
                Button("Keep my plan", "learn:keep"),
            ),
        )
    return await _start(call, ref)


async def switch(call: Call, args: list[str], _values: Mapping[str, str]) -> Reply:
    if not args:
        raise UserError("Pick a roadmap or path first.", hint="Run /learn to see them.")
    ref = planner.canonical_id(call.catalog, args[0])
    member = await call.member()
    current = await repo.active_plan(call.session, member.id)
    if current is not None:
        if current.ref_id == ref:
            return await show_plan(call, [], {})
        current.status = "archived"
        current.archived_at = call.now()
    return await _start(call, ref, switched_from=current.title if current else None)


async def keep(call: Call, _args: list[str], _values: Mapping[str, str]) -> Reply:
    return Reply(cards=(Card(title="Plan unchanged", body="Carry on! /today shows what's next."),))


async def _previous_states(call: Call, member_id: int) -> dict[tuple[str, str], str]:
    """Topics finished under any earlier plan stay finished in a new one."""
    stmt = (
        select(PlanItem.roadmap_id, PlanItem.topic_id)
        .join(Plan, Plan.id == PlanItem.plan_id)
        .where(Plan.member_id == member_id, PlanItem.state == "done")
    )
    return {(r, t): "done" for r, t in (await call.session.execute(stmt)).all()}


_NEW_PLAN = insert(Plan.__table__).returning(Plan.__table__.c.id)
_NEW_ITEMS = insert(PlanItem.__table__)


async def _start(call: Call, ref: str, switched_from: str | None = None) -> Reply:
    member = await call.member()
    levels = await levels_service.current_levels(call.session, member.id)
    draft = planner.build_plan(call.catalog, ref, member.hours_per_week, call.today(member), levels)
    now = call.now()
    # Plain statements rather than the ORM's unit of work: a new plan is one row and an
    # executemany of its items, and nothing in this call needs them as objects.
    new_plan = {
        "member_id": member.id,
        "kind": draft.kind,
        "ref_id": draft.ref_id,
        "title": draft.title,
        "status": "active",
        "hours_per_week": member.hours_per_week,
        "start_date": draft.start,
        "created_at": now,
        "archived_at": None,
    }
    plan_id = (await call.session.execute(_NEW_PLAN, new_plan)).scalar_one()
    done_before = await _previous_states(call, member.id)
    rows = [
        {
            "plan_id": plan_id,
            "week": item.week,
            "position": pos,
            "roadmap_id": item.roadmap_id,
            "topic_id": item.topic_id,
            "hours": item.hours,
            "state": "skipped" if item.skipped else done_before.get((item.roadmap_id, item.topic_id), "todo"),
            "updated_at": now,
        }
        for pos, item in enumerate(draft.items)
    ]
    if rows:
        await call.session.execute(_NEW_ITEMS, rows)
    lead = f"Switched from {switched_from}. " if switched_from else ""
    return _summary(
        call,
        plan_id,
        draft.ref_id,
        draft.title,
        member.hours_per_week,
        draft.span,
        [(i.title, i.hours, i.week, i.skipped, (i.roadmap_id, i.topic_id)) for i in draft.items],
        lead,
    )


PACE_CHOICES = (2, 3, 5, 7, 10, 15, 20, 25, 30)


def _summary(
    call: Call,
    plan_id: int,
    ref: str,
    title: str,
    hpw: float,
    span: plan_dates.Span,
    items: list[tuple[str, float, int, bool, tuple[str, str]]],
    lead: str = "",
) -> Reply:
    """What a member reads when a plan is laid out: its length, pace, fit and known topics."""
    known = [t for t, _h, _w, skipped, _k in items if skipped]
    study = [(t, h, w) for t, h, w, skipped, _k in items if not skipped]
    keys = [k for _t, _h, _w, skipped, k in items if not skipped]
    first = bullet([f"{t} ({hours(h)})" for t, h, w in study if w == 1]) or "—"
    parts = [
        f"{lead}At **{hours(hpw)} a week** this plan runs **{span.weeks} weeks**, "
        f"finishing around **{day(span.finish)}**."
    ]
    need = None
    path = call.catalog.paths.get(ref)
    if path is not None and span.weeks > path.weeks:
        earliest = planner.earliest_weeks(call.catalog, ref)
        work = [(h, earliest.get(k, 1)) for (_t, h, _w), k in zip(study, keys, strict=True)]
        need = plan_dates.pace_to_fit(path.weeks, work)
        fit = f" To fit that, plan about {hours(need)} a week." if need else ""
        parts.append(
            f"{path.name} is laid out for {path.duration} ({path.weeks} weeks); at {hours(hpw)} a week "
            f"it takes {span.weeks} weeks, about {_about(span.weeks)}.{fit}"
        )
    if known:
        shown = ", ".join(known[:8]) + (f" and {len(known) - 8} more" if len(known) > 8 else "")
        parts.append(f"**Marked as known from your placement** (no time planned): {shown}.")
    parts.append(f"**Week 1**\n{first}")
    fields = [
        Field("Topics", str(len(items))),
        Field("Study time", hours(sum(h for _t, h, _w in study))),
        Field("Pace", f"{hours(hpw)} a week"),
    ]
    if known:
        fields.append(Field("Marked as known", str(len(known))))
    choices = sorted({*PACE_CHOICES, *([need] if need else [])} - {hpw})
    buttons = [
        Button("What to study today", "today:show", "primary"),
        Button("Whole plan", "learn:plan"),
    ]
    if known:
        buttons.append(Button("Study known topics anyway", f"learn:unskip:{plan_id}"))
    return Reply(
        cards=(
            Card(title=f"Your plan: {title}", body="\n\n".join(parts), fields=tuple(fields), tone="success"),
        ),
        buttons=tuple(buttons),
        select=Select(
            "learn:pace",
            f"Change the pace ({hours(hpw)} a week now)",
            tuple(SelectOption(f"{hours(h)} a week", f"learn:pace:{plan_id}:{h:g}") for h in choices),
        ),
    )


def _about(weeks: int) -> str:
    months = weeks * 7 / 30.44
    if months < 24:
        return f"{round(months)} months"
    return f"{months / 12:.1f} years"


async def _own_plan(call: Call, arg: str) -> tuple[Member, Plan]:
    member = await call.member()
    plan = await repo.active_plan(call.session, member.id)
    if plan is None or str(plan.id) != arg:
        raise UserError("That button belongs to a plan that isn't active any more.", hint="Run /learn.")
    return member, plan


async def _relaid(call: Call, plan: Plan, hpw: float, lead: str) -> Reply:
    items = await plan_weeks.repace(call, await call.member(), plan, hpw)
    span = planner.stored_span(plan.start_date, hpw, items)
    rows = []
    for i in sorted(items, key=lambda x: x.position):
        found = call.catalog.resolve_topic(f"{i.roadmap_id}/{i.topic_id}")
        title = found[1].title if found else i.topic_id
        rows.append((title, i.hours, i.week, i.state == "skipped", (i.roadmap_id, i.topic_id)))
    return _summary(call, plan.id, plan.ref_id, plan.title, hpw, span, rows, lead)


async def change_pace(call: Call, args: list[str], _values: Mapping[str, str]) -> Reply:
    """`learn:pace:<plan>:<hours>`: the member's weekly hours and the plan re-laid at them."""
    if len(args) != 2:
        raise UserError("That pace button is broken. Use /settings hours_per_week.")
    try:
        hpw = float(args[1])
    except ValueError:
        raise UserError("That pace button is broken. Use /settings hours_per_week.") from None
    if not 0.5 <= hpw <= 80:
        raise UserError("Pick between 0.5 and 80 hours a week.")
    member, plan = await _own_plan(call, args[0])
    member.hours_per_week = hpw
    return await _relaid(call, plan, hpw, f"Pace changed to {hours(hpw)} a week. ")


async def unskip(call: Call, args: list[str], _values: Mapping[str, str]) -> Reply:
    """`learn:unskip:<plan>`: the topics placement marked as known go back into the plan."""
    _member, plan = await _own_plan(call, args[0] if args else "")
    items = await repo.plan_items(call.session, plan.id)
    back = [i for i in items if i.state == "skipped"]
    for i in back:
        i.state = "todo"
    return await _relaid(call, plan, plan.hours_per_week, f"{len(back)} known topics are back in your plan. ")


async def show_plan(call: Call, _args: list[str], _values: Mapping[str, str]) -> Reply:
    member = await call.member()
    plan = await repo.active_plan(call.session, member.id)
    if plan is None:
        raise UserError("You don't have a plan yet.", hint="Run /learn to pick one.")
    items = await repo.plan_items(call.session, plan.id)
    marks = {"done": "✅", "learning": "▶️", "skipped": "⏭️", "todo": "▫️"}
    weeks: dict[int, list[str]] = {}
    for it in items:
        topic = call.catalog.resolve_topic(f"{it.roadmap_id}/{it.topic_id}")
        title = topic[1].title if topic else f"{it.topic_id} (removed from catalogue)"
        weeks.setdefault(it.week, []).append(f"{marks.get(it.state, '▫️')} {title} ({hours(it.hours)})")
    body = "\n\n".join(
        f"**Week {w}** · {day(planner.week_start(plan.start_date, w))}\n" + "\n".join(lines)
        for w, lines in sorted(weeks.items())
    )
    span = planner.stored_span(plan.start_date, plan.hours_per_week, items)
    footer = f"{span.weeks} weeks at {hours(plan.hours_per_week)} a week, finishing around {day(span.finish)}"
    return Reply(cards=(Card(title=f"Plan: {plan.title}", body=body, footer=footer),), origin="learn:plan")


async def list_action(call: Call, _args: list[str], _values: Mapping[str, str]) -> Reply:
    return await overview(call)


ACTIONS = {
    "learn:list": list_action,
    "learn:pick": view,
    "learn:view": view,
    "learn:enrol": enrol,
    "learn:switch": switch,
    "learn:keep": keep,
    "learn:plan": show_plan,
    "learn:pace": change_pace,
    "learn:unskip": unskip,
}

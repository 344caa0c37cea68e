"""Shared reads over a member's plan and logs: streak, week totals, pace, current topic."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.core.call import Call
from bot.core.display import day, hours
from bot.core.domain import pace as pace_rule
from bot.core.domain import planner, streaks
from bot.core.replies import Field
from bot.core.services import pauses
from storage import repo
from storage.models import Member, Plan, PlanItem


async def logs(call: Call, member: Member) -> list[Any]:
    """The member's whole log (rows of local_date, kind, minutes, topics), read once per call;
    every figure below derives from it."""
    cached = call.cache.get(("logs", member.id))
    if cached is None:
        cached = await repo.all_checkins(call.session, member.id)
        call.cache[("logs", member.id)] = cached
    return cached


def forget_logs(call: Call, member: Member) -> None:
    call.cache.pop(("logs", member.id), None)


async def streak_inputs(call: Call, member: Member) -> dict[str, Any]:
    """What the streak rule reads, as `streaks.compute` takes it."""
    rows = await logs(call, member)
    days = {c.local_date for c in rows if c.kind == "study"}
    today = call.today(member)
    skipped = any(c.kind == "skip" and c.local_date == today for c in rows)
    spans = [(p.start, p.end) for p in await pauses.periods(call.session, member.id)]
    return {
        "days": days,
        "today": today,
        "study_weekdays": member.checkin_days,
        "paused": pauses.held_days(spans, today),
        "skipped_today": skipped,
    }


async def streak(call: Call, member: Member) -> streaks.Streak:
    return streaks.compute(**await streak_inputs(call, member))


def streak_text(st: streaks.Streak) -> str:
    """The streak as a member reads it; never "0 days 🔥"."""
    if st.current == 0:
        if st.best == 0:
            return "starts with your first logged day"
        return f"log today to start a new one (best {st.best} day{'s' if st.best != 1 else ''})"
    return f"{st.current} day{'s' if st.current != 1 else ''} 🔥 (best {st.best})"


def week_bounds(d: date) -> tuple[date, date]:
    start = d - timedelta(days=d.weekday())
    return start, start + timedelta(days=6)


async def week_minutes(call: Call, member: Member, d: date) -> int:
    start, end = week_bounds(d)
    return sum(c.minutes for c in await logs(call, member) if start <= c.local_date <= end)


async def minutes_since(call: Call, member: Member, since: date) -> int:
    return sum(c.minutes for c in await logs(call, member) if c.local_date >= since)


def current_items(items: list[PlanItem]) -> list[PlanItem]:
    """Open topics in plan order: the one in progress first."""
    open_items = [i for i in items if i.state in ("todo", "learning")]
    return sorted(open_items, key=lambda i: (i.state != "learning", i.position))


async def topic_minutes(call: Call, member: Member) -> dict[str, float]:
    """Minutes logged per 'roadmap/topic', a check-in's time split across its topics."""
    out: dict[str, float] = {}
    for c in await logs(call, member):
        refs = [t for t in (c.topics or []) if isinstance(t, str)]
        for ref in refs:
            out[ref] = out.get(ref, 0.0) + c.minutes / len(refs)
    return out


async def pace(call: Call, member: Member, plan: Plan, items: list[PlanItem]) -> pace_rule.Pace:
    """The plan's own dates and the member's measured pace (bot.core.domain.pace)."""
    by_day: dict[date, int] = {}
    for c in await logs(call, member):
        by_day[c.local_date] = by_day.get(c.local_date, 0) + c.minutes
    span = planner.stored_span(plan.start_date, plan.hours_per_week, items)
    return pace_rule.measure(
        plan.start_date,
        call.today(member),
        span.finish,
        work=planner.dated_work(call.catalog, plan.ref_id, plan.start_date, items),
        minutes_by_day=by_day,
        study_weekdays={int(c) for c in member.checkin_days if c.isdigit()},
    )


def pace_fields(p: pace_rule.Pace) -> list[Field]:
    """How every surface shows a pace: the plan's date, the measured pace, the projection."""
    fields = [Field("Plan finish", day(p.plan_finish))]
    if p.status == pace_rule.JUST_STARTED:
        fields.append(Field("Pace", "just started: measured after your first full study day"))
    elif p.status == pace_rule.NO_STUDY:
        # Pace counts full days only, so time logged today is named, not denied.
        if p.window_days >= pace_rule.WINDOW_DAYS:
            said = "nothing logged in the 28 days before today"
        elif p.logged_minutes:
            said = "nothing logged before today; today's time counts from tomorrow"
        else:
            said = "nothing logged since your plan started"
        fields.append(Field("Pace", said))
    elif p.status == pace_rule.DONE:
        fields.append(Field("Pace", "every planned hour is logged"))
    else:
        assert p.weekly_hours is not None and p.projected_finish is not None
        over = "since your plan started" if p.window_days < pace_rule.WINDOW_DAYS else "over the last 28 days"
        fields.append(Field("Pace", f"{p.status} · {hours(p.weekly_hours)} a week {over}"))
        far = p.projected_finish > p.plan_finish + timedelta(days=3653)
        shown = "more than 10 years away at this pace" if far else day(p.projected_finish)
        fields.append(Field("Projected finish", shown))
    return fields


VERDICTS = {
    pace_rule.AHEAD: "You're ahead of plan. Great momentum!",
    pace_rule.ON_PACE: "You're on pace. Keep it steady.",
    pace_rule.JUST_STARTED: "Your plan has just started; I'll measure your pace after a full study day.",
    pace_rule.NO_STUDY: "Nothing logged lately. Even 15 minutes this week gets you going again.",
    pace_rule.DONE: "You've logged every hour your plan asks for.",
}
# Behind by up to this many weeks is "a little": a couple of extra sessions close it.
A_LITTLE_WEEKS = 4


def verdict(p: pace_rule.Pace) -> str:
    """The nudge's one-line reading of the pace. Behind says by how much, from the same dates
    the Pace fields show, so the sentence never sounds milder than the projection."""
    if p.status != pace_rule.BEHIND:
        return VERDICTS[p.status]
    assert p.projected_finish is not None and p.weekly_hours is not None
    weeks = max(1, round((p.projected_finish - p.plan_finish).days / 7))
    if weeks <= A_LITTLE_WEEKS:
        return "You're a little behind. A couple of extra sessions this week will catch you up."
    slip = "more than 10 years" if weeks > 520 else f"about {weeks} weeks"
    return (
        f"You're behind: at {hours(p.weekly_hours)} a week you'd finish {slip} after your plan's date. "
        "More study each week, or a pace you can keep (in /settings), brings the dates together."
    )

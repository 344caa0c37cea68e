"""Shared reads over a member's plan and logs: streak, week totals, pace, current topic."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.core import streaks
from bot.core.call import Call
from storage import repo
from storage.models import Member, Plan, PlanItem


@dataclass(frozen=True, slots=True)
class Pace:
    expected_hours: float
    logged_hours: float
    status: str
    projected_finish: date | None


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


async def streak(call: Call, member: Member) -> streaks.Streak:
    days = {c.local_date for c in await logs(call, member) if c.kind == "study"}
    return streaks.compute(days, call.today(member), member.checkin_days)


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


async def pace(call: Call, member: Member, plan: Plan, items: list[PlanItem]) -> Pace:
    today = call.today(member)
    elapsed_weeks = max(0.0, ((today - plan.start_date).days + 1) / 7)
    total = sum(i.hours for i in items if i.state != "skipped")
    expected = min(total, elapsed_weeks * plan.hours_per_week)
    logged = await minutes_since(call, member, plan.start_date) / 60
    remaining = max(0.0, total - sum(i.hours for i in items if i.state == "done"))
    remaining = max(0.0, min(remaining, total - logged)) if logged < total else 0.0
    recent = await minutes_since(call, member, today - timedelta(days=27))
    weekly = max(recent / 60 / 4, 0.0)
    rate = weekly if weekly >= 0.25 else plan.hours_per_week
    finish = today + timedelta(days=math.ceil(remaining / rate * 7)) if remaining > 0 else today
    if logged >= expected * 1.1 and logged > 0:
        status = "ahead"
    elif logged >= expected * 0.8:
        status = "on pace"
    else:
        status = "behind"
    return Pace(round(expected, 1), round(logged, 1), status, finish)

"""Turns a roadmap or learning path into a dated, week-by-week personal plan.

Pure functions over the catalogue: no database, so the plan logic is easy to test
and reuse (the console, `/learn` and the content checks all call it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.errors import UserError
from content.schema import Catalog


@dataclass(frozen=True, slots=True)
class PlannedTopic:
    roadmap_id: str
    topic_id: str
    title: str
    hours: float
    week: int
    skipped: bool


@dataclass(frozen=True, slots=True)
class PlanDraft:
    kind: str
    ref_id: str
    title: str
    start: date
    hours_per_week: float
    items: tuple[PlannedTopic, ...]

    @property
    def weeks(self) -> int:
        active = [i.week for i in self.items if not i.skipped]
        return max(active, default=0)

    @property
    def study_hours(self) -> float:
        return round(sum(i.hours for i in self.items if not i.skipped), 2)

    @property
    def finish(self) -> date:
        return week_start(self.start, max(self.weeks, 1)) + timedelta(days=6)

    def week_items(self, week: int) -> list[PlannedTopic]:
        return [i for i in self.items if i.week == week and not i.skipped]


def week_start(start: date, week: int) -> date:
    return start + timedelta(days=7 * (week - 1))


def resolve(catalog: Catalog, ref_id: str) -> tuple[str, str]:
    """('roadmap' | 'path', title) for an id, or a UserError with suggestions."""
    if ref_id in catalog.roadmaps:
        return "roadmap", catalog.roadmaps[ref_id].name
    if ref_id in catalog.paths:
        return "path", catalog.paths[ref_id].name
    lowered = ref_id.strip().lower()
    for r in catalog.roadmap_list():
        if lowered in (r.name.lower(), r.id):
            return "roadmap", r.name
    for p in catalog.path_list():
        if lowered in (p.name.lower(), p.id):
            return "path", p.name
    names = ", ".join([r.id for r in catalog.roadmap_list()] + [p.id for p in catalog.path_list()])
    raise UserError(f"There is no roadmap or path called {ref_id[:60]!r}.", hint=f"Try: {names}")


def canonical_id(catalog: Catalog, ref_id: str) -> str:
    kind, title = resolve(catalog, ref_id)
    pool = catalog.roadmaps if kind == "roadmap" else catalog.paths
    return next(k for k, v in pool.items() if v.name == title)


def _sequence(catalog: Catalog, ref_id: str) -> list[tuple[str, str, int]]:
    """(roadmap_id, topic_id, earliest_week) in learning order, without repeats."""
    if ref_id in catalog.roadmaps:
        return [(ref_id, t.id, 1) for t in catalog.roadmaps[ref_id].topics]
    seen: set[tuple[str, str]] = set()
    out = []
    for phase in catalog.paths[ref_id].phases:
        for ref in phase.topics:
            rid, _, tid = ref.partition("/")
            if (rid, tid) not in seen:
                seen.add((rid, tid))
                out.append((rid, tid, phase.start_week))
    return out


def build_plan(
    catalog: Catalog,
    ref_id: str,
    hours_per_week: float,
    start: date,
    levels: dict[str, int] | None = None,
) -> PlanDraft:
    """Lay the topics out at the member's pace.

    A topic the member already knows (their assessed level in its area is at or
    above the topic's level) is kept but marked skipped and takes no time. A path
    phase never starts before the week the path gives it.
    """
    if hours_per_week <= 0:
        raise UserError("Hours per week must be more than zero.")
    ref_id = canonical_id(catalog, ref_id)
    kind, title = resolve(catalog, ref_id)
    levels = levels or {}
    cursor = 0.0
    items: list[PlannedTopic] = []
    for rid, tid, earliest in _sequence(catalog, ref_id):
        topic = catalog.roadmaps[rid].topic(tid)
        assert topic is not None
        skipped = topic.area is not None and levels.get(topic.area, 0) >= topic.level
        if skipped:
            week = max(1, math.floor(cursor / hours_per_week) + 1)
            items.append(PlannedTopic(rid, tid, topic.title, topic.hours, week, True))
            continue
        cursor = max(cursor, (earliest - 1) * hours_per_week)
        week = math.floor(cursor / hours_per_week + 1e-9) + 1
        items.append(PlannedTopic(rid, tid, topic.title, topic.hours, week, False))
        cursor += topic.hours
    return PlanDraft(kind, ref_id, title, start, hours_per_week, tuple(items))


def refit_weeks(open_hours: list[float], from_week: int, hours_per_week: float) -> list[int]:
    """Weeks for the remaining topics, laid out from `from_week` at a new pace."""
    if hours_per_week <= 0:
        raise UserError("Hours per week must be more than zero.")
    cursor = (from_week - 1) * hours_per_week
    weeks = []
    for h in open_hours:
        weeks.append(math.floor(cursor / hours_per_week + 1e-9) + 1)
        cursor += h
    return weeks

"""Turns a roadmap or learning path into a dated, week-by-week personal plan.

Pure functions over the catalogue: no database, so the plan logic is easy to test
and reuse (the console, `/learn` and the content checks all call it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.domain import placement, plan_dates
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
    earliest_week: int = 1


@dataclass(frozen=True, slots=True)
class PlanDraft:
    kind: str
    ref_id: str
    title: str
    start: date
    hours_per_week: float
    items: tuple[PlannedTopic, ...]

    @property
    def span(self) -> plan_dates.Span:
        return plan_dates.span(self.start, self.hours_per_week, self.work())

    def work(self) -> list[tuple[float, int]]:
        return [(i.hours, i.earliest_week) for i in self.items if not i.skipped]

    @property
    def weeks(self) -> int:
        return self.span.weeks

    @property
    def study_hours(self) -> float:
        return round(sum(i.hours for i in self.items if not i.skipped), 2)

    @property
    def finish(self) -> date:
        return self.span.finish

    def known(self) -> list[PlannedTopic]:
        return [i for i in self.items if i.skipped]

    def week_items(self, week: int) -> list[PlannedTopic]:
        return [i for i in self.items if i.week == week and not i.skipped]


week_start = plan_dates.week_start


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
    study_known: bool = False,
) -> PlanDraft:
    """Lay the topics out at the member's pace.

    Topics the placement rule (bot.core.domain.placement) marks as known are kept
    but marked skipped and take no time, unless `study_known`. A path phase never
    starts before the week the path gives it.
    """
    if hours_per_week <= 0:
        raise UserError("Hours per week must be more than zero.")
    ref_id = canonical_id(catalog, ref_id)
    kind, title = resolve(catalog, ref_id)
    sequence = []
    for rid, tid, earliest in _sequence(catalog, ref_id):
        topic = catalog.roadmaps[rid].topic(tid)
        assert topic is not None
        candidate = placement.Candidate(rid, tid, topic.title, topic.area, topic.level, topic.hours)
        sequence.append((candidate, earliest))
    known = set() if study_known else placement.known([c for c, _ in sequence], levels or {})
    cursor = 0.0
    items: list[PlannedTopic] = []
    for c, earliest in sequence:
        if (c.roadmap_id, c.topic_id) in known:
            week = plan_dates.week_of(cursor, hours_per_week)
            items.append(PlannedTopic(c.roadmap_id, c.topic_id, c.title, c.hours, week, True, earliest))
            continue
        cursor = max(cursor, (earliest - 1) * hours_per_week)
        week = plan_dates.week_of(cursor, hours_per_week)
        items.append(PlannedTopic(c.roadmap_id, c.topic_id, c.title, c.hours, week, False, earliest))
        cursor += c.hours
    return PlanDraft(kind, ref_id, title, start, hours_per_week, tuple(items))


def stored_span(start: date, hours_per_week: float, items: list) -> plan_dates.Span:
    """The dates of a stored plan: its topics (skipped ones aside) from their stored weeks.

    A stored item's week is where the layout put it, which is never before its
    phase's week, so laying the items out again from those weeks gives back the
    dates the plan was enrolled with.
    """
    work = sorted((i for i in items if i.state != "skipped"), key=lambda i: i.position)
    return plan_dates.span(start, hours_per_week, [(i.hours, i.week) for i in work])


def relayout(
    catalog: Catalog,
    ref_id: str,
    hours_per_week: float,
    items: list,
    skipped: set[tuple[str, str]],
    from_week: int = 1,
) -> dict[tuple[str, str], int]:
    """Weeks for a stored plan's topics from its start at a pace, phases kept, `skipped` taking no time.

    The one rule for a change of pace (the `/learn` pace menu and `/settings hours_per_week`):
    every topic waits for its phase's week, and a topic not done yet never lands before
    `from_week` (the week of the change: the weeks behind it are over). Done topics keep
    their place in the cursor, so the stored weeks re-date to the same finish.
    Topics gone from the catalogue keep their stored week as their earliest.
    """
    if hours_per_week <= 0:
        raise UserError("Hours per week must be more than zero.")
    earliest = earliest_weeks(catalog, ref_id)
    cursor = 0.0
    out: dict[tuple[str, str], int] = {}
    for it in sorted(items, key=lambda i: i.position):
        key = (it.roadmap_id, it.topic_id)
        if key in skipped:
            out[key] = plan_dates.week_of(cursor, hours_per_week)
            continue
        first = earliest.get(key, it.week)
        if it.state != "done":
            first = max(first, from_week)
        cursor = max(cursor, (first - 1) * hours_per_week)
        out[key] = plan_dates.week_of(cursor, hours_per_week)
        cursor += it.hours
    return out


def earliest_weeks(catalog: Catalog, ref_id: str) -> dict[tuple[str, str], int]:
    """The week each topic may start at the earliest (its path phase's week), by (roadmap, topic)."""
    if ref_id not in catalog.roadmaps and ref_id not in catalog.paths:
        return {}
    return {(r, t): e for r, t, e in _sequence(catalog, ref_id)}


def dated_work(catalog: Catalog, ref_id: str, start: date, items: list) -> list[tuple[float, date, bool]]:
    """A stored plan's topics (skipped ones aside) in order: hours, first day of earliest week, done.

    The earliest week is the topic's path phase, or its stored week where a stored
    plan has it earlier (plans laid before a change of pace kept phases); the week's
    topics (services/plan_weeks) open a topic from the same week.
    """
    earliest = earliest_weeks(catalog, ref_id)
    out = []
    for it in sorted(items, key=lambda i: i.position):
        if it.state != "skipped":
            week = min(earliest.get((it.roadmap_id, it.topic_id), it.week), it.week)
            out.append((it.hours, week_start(start, week), it.state == "done"))
    return out

"""Which of a plan's topics belong to a week, and re-laying a plan at a new weekly pace.

One rule for every surface that names topics to study (/today, the check-in DM's
"Today's task", /checkin's credit, the weekly nudge and the week's focus): a topic
is open for study once its earliest week has begun (its path phase's week, or its
stored week where a plan put it earlier, as the pace projection counts it). The
week's topics are the open ones scheduled up to that week; when those are done,
the next open ones (reading ahead within phases that have opened). A phase that
hasn't opened is never on the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.call import Call
from bot.core.display import day
from bot.core.domain import planner
from bot.core.services import studylog
from storage import repo
from storage.models import Member, Plan, PlanItem


def week_number(start: date, d: date) -> int:
    """The plan week (1-based) of day `d`; days before the start are week 1."""
    return max(1, (d - start).days // 7 + 1)


def opens_in(call: Call, plan: Plan, item: PlanItem) -> int:
    earliest = _earliest(call, plan)
    return min(earliest.get((item.roadmap_id, item.topic_id), item.week), item.week)


def _earliest(call: Call, plan: Plan) -> dict[tuple[str, str], int]:
    key = ("earliest-weeks", plan.ref_id)
    if key not in call.cache:
        call.cache[key] = planner.earliest_weeks(call.catalog, plan.ref_id)
    return call.cache[key]


@dataclass(frozen=True, slots=True)
class WeekTopics:
    topics: list[PlanItem]  # the week's topics, the one to credit first
    opened: list[PlanItem]  # every open topic that may be studied now, the week's first
    waiting: PlanItem | None  # when none is open: the first topic of the next phase
    opens_on: date | None  # the day that phase opens

    @property
    def finished(self) -> bool:
        return not self.topics and self.waiting is None


def week_topics(call: Call, plan: Plan, items: list[PlanItem], week_no: int) -> WeekTopics:
    open_items = studylog.current_items(items)
    opened = [i for i in open_items if opens_in(call, plan, i) <= week_no]
    due = [i for i in opened if i.week <= week_no]
    topics = due or opened[:2]
    ordered = topics + [i for i in opened if i not in topics]
    if topics or not open_items:
        return WeekTopics(topics, ordered, None, None)
    nxt = min(open_items, key=lambda i: (opens_in(call, plan, i), i.position))
    return WeekTopics([], [], nxt, planner.week_start(plan.start_date, opens_in(call, plan, nxt)))


def waiting_text(call: Call, week: WeekTopics) -> str:
    """What every surface says when all the topics open so far are done."""
    assert week.waiting is not None and week.opens_on is not None
    found = call.catalog.resolve_topic(f"{week.waiting.roadmap_id}/{week.waiting.topic_id}")
    title = found[1].title if found else week.waiting.topic_id
    return (
        f"Every topic open so far is done. The next phase opens on {day(week.opens_on)}, "
        f"starting with **{title}**. Until then, go over what you've learned with /review "
        "or read ahead; the time you log still counts towards your week and your streak."
    )


def today_topics(call: Call, member: Member, plan: Plan, items: list[PlanItem]) -> WeekTopics:
    return week_topics(call, plan, items, week_number(plan.start_date, call.today(member)))


async def repace(call: Call, member: Member, plan: Plan, hours_per_week: float) -> list[PlanItem]:
    """Re-lay `plan` at `hours_per_week` (planner.relayout): phases kept, nothing left undone
    put in a week that is over. The `/learn` pace menu and `/settings hours_per_week` both land here."""
    items = await repo.plan_items(call.session, plan.id)
    skipped = {(i.roadmap_id, i.topic_id) for i in items if i.state == "skipped"}
    this_week = week_number(plan.start_date, call.today(member))
    weeks = planner.relayout(call.catalog, plan.ref_id, hours_per_week, items, skipped, this_week)
    now = call.now()
    for i in items:
        week = weeks[(i.roadmap_id, i.topic_id)]
        if week != i.week:
            i.week = week
            i.updated_at = now
    plan.hours_per_week = hours_per_week
    await call.session.flush()
    return items

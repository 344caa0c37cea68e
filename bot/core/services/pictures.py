"""What each picture shows, read from the same places the text replies read.

The heatmap takes its streak from the streak rule (`studylog.streak_inputs` into
`streaks.replay`) and its minutes from the study log; the burn-up takes the plan's dates from
`plan_dates` and its projection and words from `studylog.pace` / `pace_fields`; the skill
profile takes the placements /assess stored; the community card sums the study totals the
leaderboard ranks (the same week cut). Nothing here restates a rule. Each function returns
`Image`s with a spec; the engine draws them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.call import Call
from bot.core.community import study_totals
from bot.core.domain import pace as pace_rule
from bot.core.domain import plan_dates, streaks
from bot.core.pictures import burnup, heatmap, skills
from bot.core.pictures.community import WEEKS as COMMUNITY_WEEKS
from bot.core.pictures.community import CommunityCounts, alt_text
from bot.core.replies import Image, Reply
from bot.core.services import studylog
from storage.models import Assessment, Member, Plan, PlanItem, StudyTotal

HEATMAP_FILE = "study-heatmap.png"
BURNUP_FILE = "plan-burnup.png"
SKILLS_FILE = "skill-profile.png"
COMMUNITY_FILE = "community.png"


def wanted(call: Call, member: Member | None) -> bool:
    """Pictures for this reply: the member's setting (on by default), on a surface that shows them."""
    return not call.ctx.text_only and (member is None or member.images_enabled is not False)


def with_images(reply: Reply, images: list[Image]) -> Reply:
    return replace(reply, images=(*reply.images, *images)) if images else reply


async def progress_images(
    call: Call,
    member: Member,
    reply: Reply,
    plan: tuple[Plan, list[PlanItem], pace_rule.Pace] | None = None,
) -> Reply:
    """/progress with the heatmap (once there is a log) and the burn-up (with a plan)."""
    if not wanted(call, member):
        return reply
    images = []
    if await studylog.logs(call, member):
        images.append(await heatmap_image(call, member))
    if plan is not None:
        images.append(await burnup_image(call, member, *plan))
    return with_images(reply, images)


async def heatmap_image(call: Call, member: Member) -> Image:
    inputs = await studylog.streak_inputs(call, member)
    st, spent = streaks.replay(**inputs)
    by_day: dict[date, int] = {}
    for c in await studylog.logs(call, member):
        if c.kind == "study":
            by_day[c.local_date] = by_day.get(c.local_date, 0) + c.minutes
    today = inputs["today"]
    start = heatmap.first_day(today)
    spec = heatmap.HeatmapSpec(
        today=today,
        minutes=tuple(sorted((d, m) for d, m in by_day.items() if start <= d <= today)),
        frozen=tuple(d for d in spent if d >= start),
        paused=tuple(sorted(d for d in inputs["paused"] if d >= start)),
        current_streak=st.current,
        best_streak=st.best,
        all_time_minutes=sum(c.minutes for c in await studylog.logs(call, member)),
    )
    return Image(HEATMAP_FILE, heatmap.alt_text(spec), spec=spec)


async def burnup_image(
    call: Call, member: Member, plan: Plan, items: list[PlanItem], p: pace_rule.Pace
) -> Image:
    work = sorted((i for i in items if i.state != "skipped"), key=lambda i: i.position)
    planned: list[tuple[date, float]] = []
    done = 0.0
    finishes = plan_dates.prefix_finishes(
        plan.start_date, plan.hours_per_week, [(i.hours, i.week) for i in work]
    )
    for item, finish in zip(work, finishes, strict=True):
        done += item.hours
        planned.append((finish, done))
    today = call.today(member)
    by_day: dict[date, int] = {}
    for c in await studylog.logs(call, member):
        if plan.start_date <= c.local_date <= today:
            by_day[c.local_date] = by_day.get(c.local_date, 0) + c.minutes
    cumulative: list[tuple[date, int]] = []
    running, d = 0, plan.start_date
    while d <= today:
        running += by_day.get(d, 0)
        cumulative.append((d, running))
        d += timedelta(days=1)
    projected = (
        p.projected_finish if p.status in (pace_rule.AHEAD, pace_rule.ON_PACE, pace_rule.BEHIND) else None
    )
    spec = burnup.BurnupSpec(
        title=plan.title,
        start=plan.start_date,
        today=today,
        total_hours=sum(i.hours for i in work),
        planned=tuple(planned),
        logged=tuple(cumulative),
        plan_finish=p.plan_finish,
        projected_finish=projected,
        pace_lines=tuple(f"{f.name}: {f.value}" for f in studylog.pace_fields(p)),
    )
    return Image(BURNUP_FILE, burnup.alt_text(spec), spec=spec)


async def skill_image(call: Call, member: Member, latest: Assessment) -> Image | None:
    """Placements now (every completed assessment, later ones winning area by area) and, for the
    areas this assessment placed again, the placement before it."""
    stmt = (
        select(Assessment.id, Assessment.result)
        .where(Assessment.member_id == member.id, Assessment.status == "complete")
        .order_by(Assessment.completed_at, Assessment.id)
    )
    now: dict[str, int] = {}
    before: dict[str, int] = {}
    for aid, result in (await call.session.execute(stmt)).all():
        levels = {k: int(v) for k, v in (result or {}).get("levels", {}).items()}
        if aid != latest.id:
            before.update(levels)
        now.update(levels)
    now.update({k: int(v) for k, v in ((latest.result or {}).get("levels") or {}).items()})
    areas = call.catalog.areas
    placed_again = set((latest.result or {}).get("levels") or {})
    rows = tuple(
        (areas[k].name, level, before.get(k) if k in placed_again else None)
        for k, level in now.items()
        if k in areas
    )
    if not rows:
        return None
    spec = skills.SkillSpec(areas=rows)
    return Image(SKILLS_FILE, skills.alt_text(spec), spec=spec)


async def skill_profile(call: Call, member: Member, latest: Assessment, reply: Reply) -> Reply:
    """/assess results with the skill profile, unless the member turned pictures off."""
    if not wanted(call, member):
        return reply
    image = await skill_image(call, member, latest)
    return with_images(reply, [image] if image else [])


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


async def community_counts(session: AsyncSession, community_id: int, now: datetime) -> CommunityCounts:
    """Per week, the members who logged study and the minutes logged: one aggregate over the study
    totals (the ISO week of each check-in's local date, the leaderboard's cut), and the members on
    each active plan. Counts only. The last week is the one holding `now`'s date, in whatever zone
    `now` is given."""
    today = now.date()
    weeks = tuple(
        _monday(today) - timedelta(days=7 * (COMMUNITY_WEEKS - 1 - i)) for i in range(COMMUNITY_WEEKS)
    )
    keys = [study_totals.week_key(w) for w in weeks]
    stmt = (
        select(StudyTotal.period, func.count(), func.sum(StudyTotal.minutes))
        .where(StudyTotal.community_id == community_id, StudyTotal.period.in_(keys), StudyTotal.minutes > 0)
        .group_by(StudyTotal.period)
    )
    by_week = {period: (int(n), int(m or 0)) for period, n, m in await session.execute(stmt)}
    in_community = Member.community_id == community_id
    n = func.count(func.distinct(Plan.member_id)).label("n")
    plans = (
        await session.execute(
            select(Plan.title, n)
            .join(Member, Member.id == Plan.member_id)
            .where(in_community, Plan.status == "active")
            .group_by(Plan.title)
            .order_by(n.desc(), Plan.title)
        )
    ).all()
    members = (
        await session.execute(select(func.count()).select_from(Member).where(in_community))
    ).scalar_one()
    return CommunityCounts(
        week_starts=weeks,
        active=tuple(by_week.get(k, (0, 0))[0] for k in keys),
        minutes=tuple(by_week.get(k, (0, 0))[1] for k in keys),
        roadmaps=tuple((str(t), int(c)) for t, c in plans),
        members=int(members),
    )


async def community_image(call: Call, community_id: int) -> Image:
    counts = await community_counts(call.session, community_id, call.now())
    return Image(COMMUNITY_FILE, alt_text(counts), spec=counts)

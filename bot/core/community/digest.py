"""The weekly community digest: what the community did this week, in one channel post.

The week is the community's: Monday to Sunday of the posting day in the community's time zone,
the same ISO-week cut the leaderboard uses (a check-in counts in the week of its member's local
date). Counts (active learners, hours, topics) include everyone; names appear only for members
who opted in, as their display name when the digest is built, never as a mention.

Every figure is one aggregate over an index, so building it does not grow with members.

The scheduler's digest carries the community card (`build(..., card=True)`), drawn in a worker
thread from the counts at building time; the drawn PNG is stored with the outbox post, so every
attempt to post it sends the same picture. A card that cannot be drawn is left out with a log
line, and the text goes alone.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import zone
from bot.core.community import leaderboard, study_totals
from bot.core.community.board_admin import community_zone
from bot.core.display import day
from bot.core.pictures import community_card
from bot.core.replies import Card, Field, Image, Reply
from bot.core.services.pictures import community_counts
from bot.core.services.studylog import week_bounds
from content.schema import Catalog
from storage.models import (
    Community,
    CommunityPaper,
    CommunityPaperRead,
    Member,
    Plan,
    PlanItem,
    StudyTotal,
)

log = logging.getLogger(__name__)

TOP = 5
NAMES_MAX = 10


@dataclass(frozen=True)
class DigestFigures:
    community_id: int
    week_start: date
    week_end: date
    active: int = 0
    minutes: int = 0
    last_week_minutes: int = 0
    topics_done: int = 0
    finished: tuple[tuple[str, str], ...] = ()  # (name, plan title), opted-in members only
    finished_more: int = 0
    paper_title: str | None = None
    paper_reads: int = 0
    top: tuple[leaderboard.Standing, ...] = field(default=())
    leaderboard_on: bool = True


def digest_week(community: Community, now: datetime) -> tuple[date, date]:
    return week_bounds(now.astimezone(zone(community_zone(community))).date())


async def _period_sums(session: AsyncSession, community_id: int, key: str) -> tuple[int, int]:
    stmt = select(func.count(), func.coalesce(func.sum(StudyTotal.minutes), 0)).where(
        StudyTotal.community_id == community_id, StudyTotal.period == key, StudyTotal.minutes > 0
    )
    count, minutes = (await session.execute(stmt)).one()
    return int(count), int(minutes)


async def _finished_plans(
    session: AsyncSession, community_id: int, start: datetime, end: datetime
) -> tuple[list[tuple[str, str]], int]:
    """Opted-in members whose plan had its last open topic done this week."""
    touched = (
        select(PlanItem.plan_id)
        .join(Plan, Plan.id == PlanItem.plan_id)
        .join(Member, Member.id == Plan.member_id)
        .where(
            PlanItem.state == "done",
            PlanItem.updated_at >= start,
            PlanItem.updated_at < end,
            Member.community_id == community_id,
            Member.community_opt_in.is_(True),
        )
        .distinct()
    )
    open_items = func.count().filter(PlanItem.state.not_in(("done", "skipped")))
    stmt = (
        select(Member.display_name, Plan.title)
        .select_from(PlanItem)
        .join(Plan, Plan.id == PlanItem.plan_id)
        .join(Member, Member.id == Plan.member_id)
        .where(PlanItem.plan_id.in_(touched))
        .group_by(PlanItem.plan_id, Member.display_name, Plan.title, Member.id)
        .having(open_items == 0)
        .order_by(Member.id)
    )
    rows = (await session.execute(stmt)).all()
    shown = [(leaderboard.shown_name(n), t) for n, t in rows[:NAMES_MAX]]
    return shown, max(0, len(rows) - NAMES_MAX)


async def _paper(session: AsyncSession, catalog: Catalog, community_id: int) -> tuple[str | None, int]:
    latest = (
        await session.execute(
            select(CommunityPaper)
            .where(CommunityPaper.community_id == community_id)
            .order_by(CommunityPaper.posted_at.desc(), CommunityPaper.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if latest is None:
        return None, 0
    reads = (
        await session.execute(select(func.count()).where(CommunityPaperRead.community_paper_id == latest.id))
    ).scalar_one()
    paper = catalog.papers.get(latest.paper_id)
    return (paper.title if paper is not None else latest.paper_id), int(reads)


async def figures(
    session: AsyncSession, catalog: Catalog, community: Community, now: datetime
) -> DigestFigures:
    start, end = digest_week(community, now)
    tz = zone(community_zone(community))
    start_at = datetime.combine(start, time(), tz)
    end_at = datetime.combine(end + timedelta(days=1), time(), tz)
    active, minutes = await _period_sums(session, community.id, study_totals.week_key(start))
    _, last = await _period_sums(session, community.id, study_totals.week_key(start - timedelta(days=7)))
    topics = (
        await session.execute(
            select(func.count())
            .select_from(PlanItem)
            .join(Plan, Plan.id == PlanItem.plan_id)
            .join(Member, Member.id == Plan.member_id)
            .where(
                PlanItem.state == "done",
                PlanItem.updated_at >= start_at,
                PlanItem.updated_at < end_at,
                Member.community_id == community.id,
            )
        )
    ).scalar_one()
    finished, more = await _finished_plans(session, community.id, start_at, end_at)
    paper, reads = await _paper(session, catalog, community.id)
    top: list[leaderboard.Standing] = []
    if community.leaderboard_enabled:
        ranked = await leaderboard.top(session, community.id, study_totals.week_key(start), TOP)
        top = await leaderboard.dress(session, ranked, now)
    return DigestFigures(
        community.id,
        start,
        end,
        active,
        minutes,
        last,
        int(topics),
        tuple(finished),
        more,
        paper,
        reads,
        tuple(top),
        community.leaderboard_enabled,
    )


def _against(now: int, before: int) -> str:
    if before <= 0:
        return "nothing logged the week before" if now else "none the week before either"
    change = (now - before) / before
    if abs(change) < 0.005:
        return f"the same as the week before ({leaderboard.study_hours(before)})"
    word = "up" if change > 0 else "down"
    return f"{word} {abs(change):.0%} on the week before ({leaderboard.study_hours(before)})"


def render(f: DigestFigures) -> Reply:
    """The digest as a channel post. Names come from `leaderboard.shown_name`: plain text."""
    when = f"{day(f.week_start)} to {day(f.week_end)}"
    if f.active == 0:
        lead = (
            "A quiet week: nobody has logged study yet. A short session still counts; "
            "/checkin logs it, and /leaderboard shows who's studying."
        )
    else:
        people = f"{f.active} learner{'s' if f.active != 1 else ''}"
        against = _against(f.minutes, f.last_week_minutes)
        lead = f"{people} studied {leaderboard.study_hours(f.minutes)} this week, {against}."
    fields = [
        Field("Active learners", str(f.active)),
        Field("Hours studied", leaderboard.study_hours(f.minutes)),
        Field("Last week", leaderboard.study_hours(f.last_week_minutes) if f.last_week_minutes else "none"),
        Field("Topics finished", str(f.topics_done)),
    ]
    if f.finished:
        names = [f"{name} finished {title}" for name, title in f.finished]
        if f.finished_more:
            names.append(f"and {f.finished_more} more")
        fields.append(Field("Finished a plan", "\n".join(names), inline=False))
    if f.paper_title:
        reads = f"{f.paper_reads} member{'s' if f.paper_reads != 1 else ''} read it"
        fields.append(Field("Reading group", f"{f.paper_title} · {reads}", inline=False))
    if f.leaderboard_on:
        board = "\n".join(leaderboard.line(s) for s in f.top) or "Nobody on the board yet."
        fields.append(Field("Top 5 this week", board, inline=False))
    card = Card(
        title=f"This week in the community · {when}",
        body=lead,
        fields=tuple(fields),
        footer="Only members who opted in are named. Join the board with /leaderboard.",
        tone="info",
    )
    return Reply(cards=(card,), private=False)


async def card(session: AsyncSession, community: Community, now: datetime) -> Image | None:
    """The community card on the community's calendar (its last week is the digest's week), drawn
    off the event loop; None when it cannot be drawn."""
    counts = await community_counts(session, community.id, now.astimezone(zone(community_zone(community))))
    try:
        return await asyncio.to_thread(community_card, counts)
    except Exception:
        log.exception("could not draw the community card of community %s", community.id)
        return None


async def build(
    session: AsyncSession, catalog: Catalog, community: Community, now: datetime, *, with_card: bool = False
) -> Reply:
    reply = render(await figures(session, catalog, community, now))
    image = await card(session, community, now) if with_card else None
    return replace(reply, images=(image,)) if image is not None else reply

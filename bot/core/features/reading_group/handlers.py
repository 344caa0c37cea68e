"""The community reading group: one paper of the week in the channel an admin chose
with `/admin paper-channel`, with a discussion thread carrying its questions.

A community never gets the same paper twice (the table's unique key backs this up).
The pick rotates across the tracks the community's members follow through their
active plans, always going to the track featured least recently, at the median
level of those members. The "Read it" button on the post records who read it, and
the next week's post says how many did.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.call import Call
from bot.core.community import milestones
from bot.core.errors import UserError
from bot.core.features.papers import handlers as papers
from bot.core.ids import row_id
from bot.core.replies import Button, Card, Reply
from content.schema import Catalog, Paper
from storage.models import Community, CommunityPaper, CommunityPaperRead, Member, MemberPaper, Plan

THREAD_NAME_MAX = 100


@dataclass(frozen=True, slots=True)
class CommunityPostPlan:
    """Everything the scheduler needs to post this week's paper and open its thread."""

    community_paper_id: int
    paper_id: str
    week: str
    channel_id: str
    reply: Reply
    thread_name: str
    thread_reply: Reply


def iso_week(now: datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


async def follower_tracks(session: AsyncSession, catalog: Catalog, community_id: int) -> dict[int, list[str]]:
    """member id -> the tracks of their active plan, for members who have one."""
    stmt = (
        select(Member.id)
        .join(Plan, Plan.member_id == Member.id)
        .where(Member.community_id == community_id, Plan.status == "active")
        .distinct()
    )
    out: dict[int, list[str]] = {}
    for member_id in (await session.execute(stmt)).scalars():
        tracks = await papers.tracks_of(session, catalog, member_id)
        if tracks:
            out[member_id] = tracks
    return out


async def community_level(session: AsyncSession, catalog: Catalog, followers: dict[int, list[str]]) -> int:
    """The lower median of the followers' levels, so most of the group can follow along."""
    if not followers:
        return 1
    levels = [await papers.level_of(session, catalog, mid, tracks) for mid, tracks in followers.items()]
    return int(statistics.median_low(levels))


def rotation(catalog: Catalog, followers: dict[int, list[str]], history: list[Paper]) -> list[str]:
    """Tracks in the order to try: least recently featured first, then most followed."""
    counts: Counter[str] = Counter(t for tracks in followers.values() for t in tracks)
    tracks = list(counts) or [r.id for r in catalog.roadmap_list()]
    last_featured: dict[str, int] = {}
    for i, paper in enumerate(history):
        for t in paper.tracks:
            last_featured[t] = i
    return sorted(tracks, key=lambda t: (last_featured.get(t, -1), -counts[t], t))


def _pick(catalog: Catalog, order: list[str], level: int, exclude: set[str]) -> Paper | None:
    pool = [p for p in catalog.papers.values() if p.id not in exclude]
    for lvl in papers._level_order(level):
        for track in order:
            fits = [p for p in pool if track in p.tracks and p.level == lvl]
            if fits:
                return sorted(fits, key=lambda p: (p.year, p.id))[0]
    return papers.choose(catalog, [], level, exclude)


async def reads_of(session: AsyncSession, community_paper_id: int) -> int:
    stmt = select(func.count()).where(CommunityPaperRead.community_paper_id == community_paper_id)
    return int((await session.execute(stmt)).scalar_one())


def _people(n: int) -> str:
    return f"{n} member{'s' if n != 1 else ''}"


async def _last_week_line(session: AsyncSession, catalog: Catalog, previous: CommunityPaper | None) -> str:
    if previous is None:
        return "Welcome to the reading group! Read along and join the discussion in the thread."
    n = await reads_of(session, previous.id)
    paper = catalog.papers.get(previous.paper_id)
    title = paper.title if paper else f"{previous.paper_id} ({papers.REMOVED})"
    if n == 0:
        return f"Last time, *{title}*: nobody marked it as read yet. There's still time!"
    return f"Last time, *{title}*, was read by {_people(n)}. Thanks for reading along!"


def post_reply(paper: Paper, community_paper_id: int, lead: str) -> Reply:
    card = papers.paper_card(paper, "📚 Paper of the week: ")
    return Reply(
        text=lead,
        cards=(card,),
        buttons=(
            Button("Read it", f"paper:groupread:{community_paper_id}", "success"),
            Button("Save for later", f"paper:save:{paper.id}"),
            Button("Open paper", url=paper.link),
        ),
        private=False,
    )


def thread_reply(paper: Paper) -> Reply:
    questions = "\n".join(f"{i}. {q}" for i, q in enumerate(paper.questions, 1))
    return Reply(
        text="Read it (or part of it)? Share what you made of it here.",
        cards=(Card(title="Discussion questions", body=questions, url=paper.link),),
        private=False,
    )


def thread_name(paper: Paper) -> str:
    name = f"Discussion: {paper.title}"
    return name if len(name) <= THREAD_NAME_MAX else name[: THREAD_NAME_MAX - 1].rstrip() + "…"


async def community_post(
    session: AsyncSession, catalog: Catalog, community: Community, now: datetime
) -> CommunityPostPlan | None:
    """Pick and record this week's paper for the community; None without a channel or papers."""
    if not community.paper_channel_id:
        return None
    stmt = (
        select(CommunityPaper)
        .where(CommunityPaper.community_id == community.id)
        .order_by(CommunityPaper.posted_at, CommunityPaper.id)
    )
    posted = list((await session.execute(stmt)).scalars())
    history = [catalog.papers[p.paper_id] for p in posted if p.paper_id in catalog.papers]
    followers = await follower_tracks(session, catalog, community.id)
    level = await community_level(session, catalog, followers)
    paper = _pick(catalog, rotation(catalog, followers, history), level, {p.paper_id for p in posted})
    if paper is None:
        return None
    lead = await _last_week_line(session, catalog, posted[-1] if posted else None)
    row = CommunityPaper(
        community_id=community.id,
        paper_id=paper.id,
        week=iso_week(now),
        channel_id=community.paper_channel_id,
        posted_at=now,
    )
    session.add(row)
    await session.flush()
    return CommunityPostPlan(
        community_paper_id=row.id,
        paper_id=paper.id,
        week=row.week,
        channel_id=community.paper_channel_id,
        reply=post_reply(paper, row.id, lead),
        thread_name=thread_name(paper),
        thread_reply=thread_reply(paper),
    )


async def group_read_action(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    post_id = row_id(args[0]) if len(args) == 1 else None
    if post_id is None:
        raise UserError("That reading-group button is broken.")
    row = await call.session.get(CommunityPaper, post_id)
    community = await call.community()
    if row is None or row.community_id != community.id:
        raise UserError("That reading-group post isn't from this community.")
    member = await call.member()
    if await call.session.get(CommunityPaperRead, (row.id, member.id)) is None:
        call.session.add(
            CommunityPaperRead(community_paper_id=row.id, member_id=member.id, read_at=call.now())
        )
    mine = await call.session.get(MemberPaper, (member.id, row.paper_id))
    if mine is None:
        mine = MemberPaper(
            member_id=member.id,
            paper_id=row.paper_id,
            status="read",
            source="group",
            sent_at=call.now(),
            updated_at=call.now(),
        )
        call.session.add(mine)
    elif mine.status != "read":
        mine.status = "read"
        mine.updated_at = call.now()
    await call.session.flush()
    n = await reads_of(call.session, row.id)
    paper = call.catalog.papers.get(row.paper_id)
    title = paper.title if paper else f"{row.paper_id} ({papers.REMOVED})"
    others = n - 1
    body = f"**{title}**\n\n" + (
        f"You and {_people(others)} from the group have read it."
        if others
        else "You're the first to read it!"
    )
    body += " Join the discussion in the thread. How was it? Rating is optional."
    rate = tuple(Button("★" * k, f"paper:rate:{row.paper_id}:{k}") for k in range(1, 6))
    reply = Reply(
        cards=(Card(title="Marked as read", body=body, tone="success"),),
        buttons=rate if paper else (),
    )
    earned = await milestones.from_papers(call.session, member.id)
    return await milestones.celebrate(call, member, reply, earned)


ACTIONS = {"paper:groupread": group_read_action}

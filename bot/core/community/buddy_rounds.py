"""A community's study-buddy round: who takes part, the matching, the pairs and their intros.

Rounds run on Mondays at ROUND_TIME UTC, every week or every two weeks as the admin chose.
One scheduled job looks for communities whose round is due (not one job per member). The
round's row is inserted first with ON CONFLICT DO NOTHING on (community, date), so a second
process, a rerun after a crash or a restart finds it taken and pairs nobody twice. Intros
and notices go through the outbox under keys of their own, so each is delivered once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.community import buddy_match, circle
from bot.core.features.reading_group.handlers import iso_week
from bot.core.replies import Button, Card, Reply
from bot.core.reply_codec import reply_to_dict
from bot.core.services.levels import overall_level
from content.schema import Catalog
from storage import outbox_store
from storage.inserts import insert_ignoring_taken
from storage.models import (
    Assessment,
    BuddyPairing,
    BuddyPairMember,
    BuddyProfile,
    BuddyRound,
    CommunityCircle,
    CommunityPaper,
    Member,
    Plan,
    PlanItem,
)

log = logging.getLogger(__name__)

ROUND_WEEKDAY = 0  # Monday
ROUND_TIME = time(9, 0)
INTRO_EXPIRES = timedelta(days=3)
UPCOMING = 5  # open topics per member looked at for a shared one


def first_round(now: datetime) -> datetime:
    """The first Monday ROUND_TIME UTC strictly after `now`."""
    today = now.astimezone(UTC).date()
    ahead = (ROUND_WEEKDAY - today.weekday()) % 7
    at = datetime.combine(today + timedelta(days=ahead), ROUND_TIME, tzinfo=UTC)
    return at if at > now else at + timedelta(days=7)


def next_round(scheduled: datetime, every_weeks: int, now: datetime) -> datetime:
    """The round after `scheduled`, past `now`: a long outage skips rounds, never bunches them."""
    step = timedelta(weeks=max(1, every_weeks))
    at = scheduled + step
    while at <= now:
        at += step
    return at


@dataclass(frozen=True, slots=True)
class RoundResult:
    community_id: int
    round_date: date
    pairs: int
    left_out: int


@dataclass(frozen=True, slots=True)
class Person:
    """What a round needs of one taking part: who they are, where to reach them, their name."""

    member_id: int
    platform: str
    user_id: str
    display_name: str
    waiting: bool


async def candidates(
    session: AsyncSession, community_id: int, on: date
) -> tuple[list[buddy_match.Candidate], dict[int, Person]]:
    """Everyone who opted in and takes part in the round on `on`, with their track and level."""
    two_weeks_ago = on - timedelta(days=13)
    recent_pair = (
        select(BuddyPairMember.member_id)
        .where(
            BuddyPairMember.member_id == BuddyProfile.member_id, BuddyPairMember.paired_on >= two_weeks_ago
        )
        .exists()
    )
    stmt = (
        select(
            Member.id,
            Member.platform,
            Member.user_id,
            Member.timezone,
            BuddyProfile.display_name,
            BuddyProfile.waiting_since,
        )
        .join(Member, Member.id == BuddyProfile.member_id)
        .where(
            BuddyProfile.community_id == community_id,
            BuddyProfile.active.is_(True),
            (BuddyProfile.skip_until.is_(None)) | (BuddyProfile.skip_until < on),
            Member.dm_blocked_reason.is_(None),
            (BuddyProfile.every_weeks < 2) | ~recent_pair,
        )
        .order_by(BuddyProfile.member_id)
    )
    rows = (await session.execute(stmt)).all()
    ids = select(BuddyProfile.member_id).where(
        BuddyProfile.community_id == community_id, BuddyProfile.active.is_(True)
    )
    tracks: dict[int, str] = {}
    plans = select(Plan.member_id, Plan.ref_id).where(Plan.member_id.in_(ids), Plan.status == "active")
    for member_id, ref in (await session.execute(plans)).all():
        tracks[member_id] = ref
    levels: dict[int, dict[str, int]] = defaultdict(dict)
    done = (
        select(Assessment.member_id, Assessment.result)
        .where(Assessment.member_id.in_(ids), Assessment.status == "complete")
        .order_by(Assessment.completed_at, Assessment.id)
    )
    for member_id, result in (await session.execute(done)).all():
        levels[member_id].update({k: int(v) for k, v in (result or {}).get("levels", {}).items()})
    out = [
        buddy_match.Candidate(
            member_id=r.id,
            track=tracks.get(r.id),
            level=overall_level(levels.get(r.id, {})),
            zone=r.timezone,
            waiting=r.waiting_since is not None,
        )
        for r in rows
    ]
    people = {
        r.id: Person(r.id, r.platform, r.user_id, r.display_name, r.waiting_since is not None) for r in rows
    }
    return out, people


async def recent_pairs(session: AsyncSession, community_id: int, on: date) -> set[frozenset[int]]:
    """Pairs made in this community in the REPEAT_WEEKS weeks before `on`."""
    since = on - timedelta(weeks=buddy_match.REPEAT_WEEKS)
    a = BuddyPairMember.__table__.alias("a")
    b = BuddyPairMember.__table__.alias("b")
    stmt = (
        select(a.c.member_id, b.c.member_id)
        .select_from(a)
        .join(b, and_(a.c.pairing_id == b.c.pairing_id, a.c.member_id < b.c.member_id))
        .join(BuddyPairing, BuddyPairing.id == a.c.pairing_id)
        .where(BuddyPairing.community_id == community_id, BuddyPairing.paired_on >= since)
    )
    return {frozenset(r) for r in (await session.execute(stmt)).all()}


async def _upcoming(
    session: AsyncSession, catalog: Catalog, member_ids: list[int]
) -> dict[int, list[tuple[str, str]]]:
    """Each member's next open topics: (ref, title), in plan order."""
    if not member_ids:
        return {}
    stmt = (
        select(Plan.member_id, PlanItem.roadmap_id, PlanItem.topic_id)
        .join(Plan, Plan.id == PlanItem.plan_id)
        .where(
            Plan.member_id.in_(member_ids), Plan.status == "active", PlanItem.state.in_(("todo", "learning"))
        )
        .order_by(Plan.member_id, PlanItem.week, PlanItem.position)
    )
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for member_id, roadmap_id, topic_id in (await session.execute(stmt)).all():
        if len(out[member_id]) >= UPCOMING:
            continue
        found = catalog.resolve_topic(f"{roadmap_id}/{topic_id}")
        out[member_id].append((topic_id, found[1].title if found else topic_id))
    return out


def suggestion(mine: list[tuple[str, str]], theirs: list[tuple[str, str]], paper_title: str | None) -> str:
    """Something concrete to do together: a topic both have coming up, else this week's
    reading-group paper, else each one's next topic."""
    theirs_ids = {t for t, _ in theirs}
    shared = next((title for t, title in mine if t in theirs_ids), None)
    if shared:
        return f"You both have **{shared}** coming up: study it together this week and compare notes."
    if paper_title:
        return f"Read this week's reading-group paper, **{paper_title}**, and talk it through together."
    if mine and theirs:
        return (
            f"Explain your next topics to each other: **{mine[0][1]}** and **{theirs[0][1]}**. "
            "Teaching is the fastest way to learn."
        )
    return "Set one study goal each for the week and check in with each other on Friday."


def intro_reply(names: tuple[str, str], idea: str, every_weeks: int) -> Reply:
    span = "this week" if every_weeks == 1 else "these two weeks"
    return Reply(
        cards=(
            Card(
                title="👋 Meet your study buddy",
                body=f"**{names[0]}** and **{names[1]}**, you're study buddies {span}.\n\n"
                f"Idea: {idea}\n\nEither of you can end the pairing or skip a round with /buddy.",
                tone="success",
            ),
        ),
        buttons=(Button("Skip next round", "buddy:set:skip"), Button("End pairing", "buddy:set:end")),
    )


def dm_intro_reply(other: str, idea: str) -> Reply:
    return Reply(
        cards=(
            Card(
                title="👋 Meet your study buddy",
                body=f"Your study buddy this round is **{other}**: find them in the server and say hi.\n\n"
                f"Idea: {idea}\n\nEnd the pairing or skip a round with /buddy.",
                tone="success",
            ),
        ),
        buttons=(Button("Skip next round", "buddy:set:skip"), Button("End pairing", "buddy:set:end")),
    )


def intro_replies(payload: dict[str, Any]) -> tuple[Reply, dict[str, Reply], str]:
    """An intro row's messages: the shared one, one DM per member naming the other, and the
    name of a thread holding it."""
    users = [str(u) for u in payload.get("user_ids") or []]
    names = tuple(str(n) for n in payload.get("names") or ("Buddy", "Buddy"))
    a, b = (*names, "Buddy", "Buddy")[:2]
    idea = str(payload.get("idea") or "")
    shared = intro_reply((a, b), idea, int(payload.get("every") or 1))
    dms = {users[0]: dm_intro_reply(b, idea), users[1]: dm_intro_reply(a, idea)} if len(users) == 2 else {}
    return shared, dms, f"Study buddies: {a} & {b}"[:100]


ODD_ONE_OUT = Reply(
    cards=(
        Card(
            title="No study buddy this round",
            body="I couldn't pair you this round: no other opted-in member was free to match you "
            "(an odd number of members, or nobody left who shares two waking hours with you and "
            "wasn't your buddy in the last 8 weeks). You're first in line for the next round.",
        ),
    )
)


async def _paper_title(
    session: AsyncSession, catalog: Catalog, community_id: int, now: datetime
) -> str | None:
    stmt = select(CommunityPaper.paper_id).where(
        CommunityPaper.community_id == community_id, CommunityPaper.week == iso_week(now)
    )
    pid = (await session.execute(stmt.limit(1))).scalar_one_or_none()
    paper = catalog.papers.get(pid) if pid else None
    return paper.title if paper is not None else None


@dataclass
class _Plan:
    """A round worked out from a read of the database, before anything is written."""

    community_id: int
    scheduled: datetime
    on: date
    pairs: list[tuple[int, int]]
    left: list[int]
    people: dict[int, Person]
    ideas: dict[tuple[int, int], str]


async def plan_round(
    session: AsyncSession, catalog: Catalog, settings: CommunityCircle, now: datetime
) -> _Plan:
    """Read who takes part and match them. Only reads: the matching (CPU work, run off the event
    loop) holds no write lock."""
    scheduled = settings.next_buddy_round_at or now
    on = scheduled.astimezone(UTC).date()
    found, people = await candidates(session, settings.community_id, on)
    history = await recent_pairs(session, settings.community_id, on)
    pairs, left = await asyncio.to_thread(buddy_match.match, found, on, history)
    upcoming = await _upcoming(session, catalog, [m for p in pairs for m in p])
    paper = await _paper_title(session, catalog, settings.community_id, now)
    ideas = {(a, b): suggestion(upcoming.get(a, []), upcoming.get(b, []), paper) for a, b in pairs}
    return _Plan(settings.community_id, scheduled, on, pairs, left, people, ideas)


_PROFILES = BuddyProfile.__table__
_SET_WAITING = (
    _PROFILES.update()
    .where(_PROFILES.c.member_id == bindparam("mid"), _PROFILES.c.waiting_since.is_(None))
    .values(waiting_since=bindparam("at"))
)
_CLEAR_WAITING = (
    _PROFILES.update().where(_PROFILES.c.member_id == bindparam("mid")).values(waiting_since=None)
)


async def write_round(
    session: AsyncSession, plan: _Plan, settings: CommunityCircle, now: datetime
) -> RoundResult | None:
    """Write a planned round in the caller's (short) transaction; None when the round was taken."""
    settings.next_buddy_round_at = next_round(plan.scheduled, settings.buddy_every_weeks, now)
    conn = await session.connection()
    claim = insert_ignoring_taken(
        BuddyRound.__table__, conn.dialect.name, ["community_id", "round_date"]
    ).returning(BuddyRound.__table__.c.id)
    values = {
        "community_id": plan.community_id,
        "round_date": plan.on,
        "pairs": len(plan.pairs),
        "created_at": now,
    }
    round_id = (await conn.execute(claim, values)).scalar_one_or_none()
    if round_id is None:
        return None
    rows = [
        {
            "community_id": plan.community_id,
            "round_id": round_id,
            "paired_on": plan.on,
            "suggestion": plan.ideas[pair],
            "created_at": now,
        }
        for pair in plan.pairs
    ]
    pairing_ids: list[int] = []
    if rows:
        stmt = insert(BuddyPairing.__table__).returning(
            BuddyPairing.__table__.c.id, sort_by_parameter_order=True
        )
        pairing_ids = list((await conn.execute(stmt, rows)).scalars())
        await conn.execute(
            insert(BuddyPairMember.__table__),
            [
                {"pairing_id": pid, "member_id": m, "paired_on": plan.on, "ended_by_me": False}
                for pid, pair in zip(pairing_ids, plan.pairs, strict=True)
                for m in pair
            ],
        )
        await conn.execute(_CLEAR_WAITING, [{"mid": m} for pair in plan.pairs for m in pair])
    if plan.left:
        await conn.execute(_SET_WAITING, [{"mid": m, "at": now} for m in plan.left])
    every = settings.buddy_every_weeks
    intros = []
    for pid, (a, b) in zip(pairing_ids, plan.pairs, strict=True):
        pa, pb = plan.people[a], plan.people[b]
        names = (circle.public_name(pa.display_name, "Buddy"), circle.public_name(pb.display_name, "Buddy"))
        idea = plan.ideas[(a, b)]
        intros.append(
            {
                "key": f"buddy-intro:{pid}",
                "platform": pa.platform,
                "stream": "buddy",
                "target": "intro",
                "member_id": None,
                "community_id": plan.community_id,
                "channel_id": settings.buddy_channel_id or "dm",
                # The intro's words are built when it is sent (`intro_replies`), from these facts.
                "payload": {
                    "user_ids": [pa.user_id, pb.user_id],
                    "names": list(names),
                    "idea": idea,
                    "every": every,
                },
                "status": outbox_store.Status.PENDING,
                "attempts": 0,
                "not_before": now,
                "expires_at": now + INTRO_EXPIRES,
                "created_at": now,
            }
        )
    odd = reply_to_dict(ODD_ONE_OUT)
    notices = [
        {
            "key": f"buddy-odd:{m}:{plan.on.isoformat()}",
            "platform": plan.people[m].platform,
            "stream": "buddy",
            "target": "dm",
            "member_id": m,
            "community_id": plan.community_id,
            "channel_id": None,
            "payload": {"reply": odd},
            "status": outbox_store.Status.PENDING,
            "attempts": 0,
            "not_before": now,
            "expires_at": now + INTRO_EXPIRES,
            "created_at": now,
        }
        for m in plan.left
    ]
    await outbox_store.insert_many(session, intros + notices)
    return RoundResult(plan.community_id, plan.on, len(plan.pairs), len(plan.left))


async def run_due_rounds(session_factory: Any, catalog: Catalog, now: datetime) -> list[RoundResult]:
    """Every community whose round is due: each read and matched, then written in a short
    transaction of its own that first claims the round."""
    async with session_factory() as session:
        due = (
            (
                await session.execute(
                    select(CommunityCircle.community_id).where(
                        CommunityCircle.buddies_enabled.is_(True),
                        CommunityCircle.next_buddy_round_at.is_not(None),
                        CommunityCircle.next_buddy_round_at <= now,
                    )
                )
            )
            .scalars()
            .all()
        )
    results = []
    for community_id in due:
        try:
            async with session_factory() as session:
                settings = await session.get(CommunityCircle, community_id)
                if settings is None:
                    continue
                plan = await plan_round(session, catalog, settings, now)
            async with session_factory() as session, session.begin():
                settings = await session.get(CommunityCircle, community_id)
                if (
                    settings is None
                    or not settings.buddies_enabled
                    or settings.next_buddy_round_at != plan.scheduled
                ):
                    continue  # another process ran it, or an admin changed it meanwhile
                result = await write_round(session, plan, settings, now)
                if result is not None:
                    results.append(result)
        except Exception:
            log.exception("buddy round for community %s failed", community_id)
    return results

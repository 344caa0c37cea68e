"""One person, several communities on one platform (a Discord user in two servers).

Each community keeps its own member row: plans, check-ins, streaks and papers stay apart.
What belongs to the person is shared across those rows:

- the settings in PERSON_SETTINGS (time zone, check-in time and days, nudge day, quiet
  hours, pause) are copied to every membership whenever one of them changes, and a new
  membership starts from them;
- the daily check-in: one a day, from the person's primary membership (`primary`).

Hours per week stay per community: each community's plan runs at its own pace.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.domain import schedule
from bot.core.services import due_times
from storage.models import Community, Member, Plan, Schedule

PERSON_SETTINGS = (*schedule.SCHEDULE_INPUTS, "timezone_source", "images_enabled")


async def all_of(session: AsyncSession, platform: str, user_id: str) -> list[Member]:
    """Every membership of the person, oldest first."""
    stmt = select(Member).where(Member.platform == platform, Member.user_id == user_id).order_by(Member.id)
    return list((await session.execute(stmt)).scalars())


async def others(session: AsyncSession, member: Member) -> list[Member]:
    return [m for m in await all_of(session, member.platform, member.user_id) if m.id != member.id]


async def share_settings(session: AsyncSession, member: Member, now: datetime) -> None:
    """Copy the member's person-level settings to their other memberships, rescheduled."""
    for other in await others(session, member):
        changed = False
        for name in PERSON_SETTINGS:
            if getattr(other, name) != getattr(member, name):
                setattr(other, name, getattr(member, name))
                changed = True
        if changed:
            await session.flush()
            await due_times.refresh(session, other, now)


def adopt_settings(member: Member, existing: list[Member]) -> None:
    """A new membership starts from the person's settings (their most recently active one)."""
    if not existing:
        return
    latest = max(existing, key=lambda m: (m.last_active_at or m.created_at, m.id))
    for name in PERSON_SETTINGS:
        setattr(member, name, getattr(latest, name))


async def primary(session: AsyncSession, member: Member) -> tuple[Member, int]:
    """The membership whose check-in the person gets, and how many memberships they have.

    Among the memberships with the check-in on: the one with the most recently started active
    plan, else the oldest. Decided from facts that change rarely, so every membership's due
    slot agrees on it. One query, since it runs for every check-in delivered.
    """
    stmt = (
        select(Member, Schedule.enabled, Plan.created_at)
        .outerjoin(Schedule, (Schedule.member_id == Member.id) & (Schedule.stream == "checkin"))
        .outerjoin(Plan, (Plan.member_id == Member.id) & (Plan.status == "active"))
        .where(Member.platform == member.platform, Member.user_id == member.user_id)
    )
    rows = (await session.execute(stmt)).all()
    count = len({m.id for m, _, _ in rows})
    candidates = [(m, started) for m, enabled, started in rows if enabled]
    if not candidates:
        return member, count
    planned = [(started, m) for m, started in candidates if started is not None]
    if planned:
        return max(planned, key=lambda p: (p[0], -p[1].id))[1], count
    return min((m for m, _ in candidates), key=lambda m: m.id), count


def community_label(community: Community | None, workspace_id: str) -> str:
    if community is not None and community.name:
        return community.name
    return f"community {workspace_id}"


async def labels(session: AsyncSession, members: list[Member]) -> dict[int, str]:
    """A name for each membership's community, by member id."""
    ids = {m.community_id for m in members}
    found = {
        c.id: c for c in (await session.execute(select(Community).where(Community.id.in_(ids)))).scalars()
    }
    return {m.id: community_label(found.get(m.community_id), m.workspace_id) for m in members}

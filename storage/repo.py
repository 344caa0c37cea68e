"""Queries shared by the services and the scheduler."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import STREAMS, CheckIn, Community, Member, Plan, PlanItem, Schedule


async def get_or_create_community(session: AsyncSession, key: Any, now: datetime) -> Community:
    stmt = select(Community).where(
        Community.platform == key.platform, Community.workspace_id == key.workspace_id
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is not None:
        return found
    community = Community(platform=key.platform, workspace_id=key.workspace_id, defaults={}, created_at=now)
    try:
        async with session.begin_nested():
            session.add(community)
    except IntegrityError:
        return (await session.execute(stmt)).scalar_one()
    return community


# Statements run on every command are built once; only their parameters change per call.
_FIND_MEMBER = select(Member).where(
    Member.platform == bindparam("platform"),
    Member.workspace_id == bindparam("workspace_id"),
    Member.user_id == bindparam("user_id"),
)


def _active_plan_of(target: Any) -> Any:
    """The member's active plan, as ORM objects (`Plan`) or plain rows (its table)."""
    return (
        select(target)
        .where(Plan.member_id == bindparam("member_id"), Plan.status == "active")
        .order_by(Plan.id.desc())
        .limit(1)
    )


def _items_of(target: Any) -> Any:
    """A plan's items in order, as ORM objects (`PlanItem`) or plain rows (its table)."""
    return select(target).where(PlanItem.plan_id == bindparam("plan_id")).order_by(PlanItem.position)


_ACTIVE_PLAN = _active_plan_of(Plan)
_PLAN_ITEMS = _items_of(PlanItem)
_ACTIVE_PLAN_ROW = _active_plan_of(Plan.__table__)
_PLAN_ITEM_ROWS = _items_of(PlanItem.__table__)
_CHECKINS = CheckIn.__table__
_CHECKIN_LOG = (
    select(_CHECKINS.c.local_date, _CHECKINS.c.kind, _CHECKINS.c.minutes, _CHECKINS.c.topics)
    .where(_CHECKINS.c.member_id == bindparam("member_id"))
    .order_by(_CHECKINS.c.id)
)


async def find_member(session: AsyncSession, key: Any) -> Member | None:
    params = {"platform": key.platform, "workspace_id": key.workspace_id, "user_id": key.user_id}
    return (await session.execute(_FIND_MEMBER, params)).scalar_one_or_none()


def _valid_zone(name: str | None) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


async def create_member(
    session: AsyncSession,
    community: Community,
    key: Any,
    now: datetime,
    timezone_hint: str | None = None,
) -> Member:
    defaults = community.defaults or {}
    hinted = _valid_zone(timezone_hint)
    tz = hinted or _valid_zone(defaults.get("timezone")) or "UTC"
    member = Member(
        community_id=community.id,
        platform=key.platform,
        workspace_id=key.workspace_id,
        user_id=key.user_id,
        timezone=tz,
        timezone_source="platform" if hinted else "default",
        hours_per_week=float(defaults.get("hours_per_week", 5.0)),
        checkin_time=str(defaults.get("checkin_time", "19:00")),
        checkin_days="0123456",
        nudge_weekday=6,
        created_at=now,
        last_active_at=now,
    )
    session.add(member)
    await session.flush()
    for stream in STREAMS:
        session.add(Schedule(member_id=member.id, stream=stream, enabled=True, updated_at=now))
    await session.flush()
    return member


async def get_or_create_member(
    session: AsyncSession,
    community: Community,
    key: Any,
    now: datetime,
    timezone_hint: str | None = None,
) -> tuple[Member, bool]:
    """The member's row and whether this call created it. Two first commands at once both try
    to create it; the one whose insert loses reads the winner's row instead of failing."""
    try:
        async with session.begin_nested():
            return await create_member(session, community, key, now, timezone_hint), True
    except IntegrityError:
        found = await find_member(session, key)
        if found is None:
            raise
        return found, False


async def schedules(session: AsyncSession, member_id: int) -> dict[str, Schedule]:
    rows = (await session.execute(select(Schedule).where(Schedule.member_id == member_id))).scalars()
    return {s.stream: s for s in rows}


async def active_plan(session: AsyncSession, member_id: int) -> Plan | None:
    return (await session.execute(_ACTIVE_PLAN, {"member_id": member_id})).scalar_one_or_none()


async def plan_items(session: AsyncSession, plan_id: int) -> list[PlanItem]:
    return list((await session.execute(_PLAN_ITEMS, {"plan_id": plan_id})).scalars())


async def checkins_between(session: AsyncSession, member_id: int, start: date, end: date) -> list[CheckIn]:
    stmt = (
        select(CheckIn)
        .where(CheckIn.member_id == member_id, CheckIn.local_date.between(start, end))
        .order_by(CheckIn.local_date, CheckIn.id)
    )
    return list((await session.execute(stmt)).scalars())


async def all_checkins(session: AsyncSession, member_id: int) -> list[Any]:
    """The member's whole log as read-only rows (local_date, kind, minutes, topics), oldest first.

    Plain rows, not ORM objects: a long log is read on most commands, and only read.
    """
    conn = await session.connection()
    return list((await conn.execute(_CHECKIN_LOG, {"member_id": member_id})).all())


async def active_plan_row(session: AsyncSession, member_id: int) -> Any | None:
    """The active plan as a read-only row (same attributes as `Plan`), for commands that only show it.

    Plain rows skip the ORM's per-object work; a command that changes the plan uses `active_plan`.
    """
    conn = await session.connection()
    return (await conn.execute(_ACTIVE_PLAN_ROW, {"member_id": member_id})).first()


async def plan_item_rows(session: AsyncSession, plan_id: int) -> list[Any]:
    """A plan's items in order as read-only rows (same attributes as `PlanItem`)."""
    conn = await session.connection()
    return list((await conn.execute(_PLAN_ITEM_ROWS, {"plan_id": plan_id})).all())

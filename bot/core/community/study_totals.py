"""Minutes studied per member and period, kept in `study_totals` as check-ins are written.

A check-in counts in exactly one week, one month and "all": the ISO week (Monday to Sunday)
and calendar month of its local date, which is the day on the member's own calendar. So
ranking a week is an index range read, not a sum over every member's log.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import Member, StudyTotal

ALL = "all"
_TABLE = StudyTotal.__table__


def week_key(d: date) -> str:
    iso = d.isocalendar()
    return f"{iso[0]:04d}-W{iso[1]:02d}"


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def periods_of(d: date) -> tuple[str, str, str]:
    """The periods a check-in on local date `d` counts in."""
    return ALL, month_key(d), week_key(d)


@cache
def _upsert(dialect: str) -> Any:
    """Built once per dialect: `excluded` builds a whole column collection each time it is read."""
    ins = (postgresql if dialect == "postgresql" else sqlite).insert(_TABLE)
    return ins.on_conflict_do_update(
        index_elements=["member_id", "period"],
        set_={"minutes": _TABLE.c.minutes + ins.excluded.minutes},
    )


async def record(conn: AsyncConnection, member: Member, values: dict[str, Any]) -> None:
    """Add one newly written check-in of `member` (the values it was inserted with) to its periods."""
    minutes = int(values.get("minutes") or 0)
    if values.get("kind", "study") != "study" or minutes <= 0:
        return
    rows = [
        {
            "member_id": values["member_id"],
            "period": period,
            "community_id": member.community_id,
            "opted_in": bool(member.community_opt_in),
            "minutes": minutes,
        }
        for period in periods_of(values["local_date"])
    ]
    await conn.execute(_upsert(conn.dialect.name), rows)


async def set_opt_in(session: AsyncSession, member: Member, on: bool) -> None:
    """The member's switch, and its copy on their totals (one indexed update). The display name is
    kept only while the member is shown somewhere, so opting out forgets it."""
    member.community_opt_in = on
    if not on:
        member.display_name = None
    await session.execute(update(StudyTotal).where(StudyTotal.member_id == member.id).values(opted_in=on))


def rows_for(
    checkins: Iterable[tuple[int, date, int]], members: dict[int, tuple[int, bool]]
) -> list[dict[str, Any]]:
    """Totals rows for (member id, local date, minutes) study entries; for bulk loads and copies.

    `members` maps a member id to (community id, opted in)."""
    sums: dict[tuple[int, str], int] = {}
    for member_id, d, minutes in checkins:
        if minutes <= 0:
            continue
        for period in periods_of(d):
            sums[(member_id, period)] = sums.get((member_id, period), 0) + minutes
    return [
        {
            "member_id": m,
            "period": p,
            "community_id": members[m][0],
            "opted_in": members[m][1],
            "minutes": v,
        }
        for (m, p), v in sums.items()
    ]

"""The member's current level per skill area, from their assessment history."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Assessment

LEVEL_WORDS = {0: "New", 1: "Beginner", 2: "Intermediate", 3: "Advanced"}


async def current_levels(session: AsyncSession, member_id: int) -> dict[str, int]:
    """Later results override earlier ones area by area."""
    stmt = (
        select(Assessment.result)
        .where(Assessment.member_id == member_id, Assessment.status == "complete")
        .order_by(Assessment.completed_at, Assessment.id)
    )
    levels: dict[str, int] = {}
    for result in (await session.execute(stmt)).scalars():
        levels.update({k: int(v) for k, v in (result or {}).get("levels", {}).items()})
    return levels


def overall_level(levels: dict[str, int]) -> int:
    """1-3 for picking papers: the rounded mean of assessed areas, beginner when unknown."""
    if not levels:
        return 1
    mean = sum(levels.values()) / len(levels)
    return max(1, min(3, round(mean)))

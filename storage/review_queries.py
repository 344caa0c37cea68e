"""The spaced-review queries: a member's card queue and review log, each on its own index."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert_ignoring_taken
from storage.models import Member, ReviewCardState, ReviewLogEntry

CARDS = ReviewCardState.__table__
LOGS = ReviewLogEntry.__table__


def _due_count(member_id: ColumnElement[int]) -> Select[tuple[int]]:
    """A member's cards due at `now`: one range scan of ix_review_cards_member_due."""
    return select(func.count()).where(CARDS.c.member_id == member_id, CARDS.c.due <= bindparam("now"))


DUE_COUNT = _due_count(bindparam("member_id"))
NEXT_DUE = (
    select(CARDS)
    .where(CARDS.c.member_id == bindparam("member_id"), CARDS.c.due <= bindparam("now"))
    .order_by(CARDS.c.due, CARDS.c.card_id)
    .limit(bindparam("n"))
)
NEXT_LATER = select(func.min(CARDS.c.due)).where(
    CARDS.c.member_id == bindparam("member_id"), CARDS.c.due > bindparam("now")
)
ONE_CARD = select(CARDS).where(
    CARDS.c.member_id == bindparam("member_id"), CARDS.c.card_id == bindparam("card_id")
)
REVIEWED_SINCE = select(func.count()).where(
    LOGS.c.member_id == bindparam("member_id"), LOGS.c.reviewed_at >= bindparam("since")
)
# The rating is written only while the card is as it was shown (same number of reviews, still
# due), so a second press of the same button, or a stale one, changes nothing.
RATE = (
    update(CARDS)
    .where(
        CARDS.c.member_id == bindparam("b_member_id"),
        CARDS.c.card_id == bindparam("b_card_id"),
        CARDS.c.reps == bindparam("b_seen_reps"),
        CARDS.c.due <= bindparam("b_now"),
    )
    .values(
        state=bindparam("b_state"),
        step=bindparam("b_step"),
        stability=bindparam("b_stability"),
        difficulty=bindparam("b_difficulty"),
        due=bindparam("b_new_due"),
        last_review=bindparam("b_now"),
        reps=CARDS.c.reps + 1,
        lapses=CARDS.c.lapses + bindparam("b_lapse"),
    )
)


async def enqueue(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert card rows that are not queued yet; returns how many were new."""
    if not rows:
        return 0
    conn = await session.connection()
    result = await conn.execute(
        insert_ignoring_taken(CARDS, conn.dialect.name, ["member_id", "card_id"]), rows
    )
    return max(0, result.rowcount or 0)


async def due_count(session: AsyncSession, member_id: int, now: datetime) -> int:
    return int((await session.execute(DUE_COUNT, {"member_id": member_id, "now": now})).scalar_one())


# The dispatcher's member load for a claimed chunk, each member with DUE_COUNT as a correlated
# column. Built once, so executing it reuses its cache key rather than computing one per chunk.
MEMBERS_WITH_DUE = select(Member, _due_count(Member.id).scalar_subquery()).where(
    Member.id.in_(bindparam("member_ids", expanding=True))
)


async def members_with_due(
    session: AsyncSession, member_ids: Collection[int], now: datetime
) -> list[tuple[Member, int]]:
    """The members, each with the count `due_count` gives, in one statement."""
    rows = await session.execute(MEMBERS_WITH_DUE, {"member_ids": sorted(member_ids), "now": now})
    return [(member, int(due)) for member, due in rows]


def _utc(value: Any) -> datetime | None:
    if isinstance(value, str):  # SQLite hands MIN() of a date column back as text
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


async def next_due(session: AsyncSession, member_id: int, now: datetime, n: int = 1) -> list[Any]:
    return list((await session.execute(NEXT_DUE, {"member_id": member_id, "now": now, "n": n})).all())


async def next_later(session: AsyncSession, member_id: int, now: datetime) -> datetime | None:
    return _utc((await session.execute(NEXT_LATER, {"member_id": member_id, "now": now})).scalar_one())


async def card(session: AsyncSession, member_id: int, card_id: str) -> Any | None:
    return (await session.execute(ONE_CARD, {"member_id": member_id, "card_id": card_id})).first()


async def reviewed_since(session: AsyncSession, member_id: int, since: datetime) -> int:
    return int((await session.execute(REVIEWED_SINCE, {"member_id": member_id, "since": since})).scalar_one())


async def rate(session: AsyncSession, values: dict[str, Any], log: dict[str, Any]) -> bool:
    """Write a rating and its log entry; False (nothing written) when the card moved on."""
    conn = await session.connection()
    result = await conn.execute(RATE, {f"b_{k}": v for k, v in values.items()})
    if not result.rowcount:
        return False
    await conn.execute(insert(LOGS), log)
    return True


async def logs_since(session: AsyncSession, member_id: int, since: datetime) -> list[Any]:
    stmt = select(LOGS.c.topic_id, LOGS.c.rating).where(
        LOGS.c.member_id == member_id, LOGS.c.reviewed_at >= since
    )
    return list((await session.execute(stmt)).all())


async def reviewed_cards(session: AsyncSession, member_id: int) -> int:
    stmt = select(func.count()).where(CARDS.c.member_id == member_id, CARDS.c.reps > 0)
    return int((await session.execute(stmt)).scalar_one())


async def queued_cards(session: AsyncSession, member_id: int) -> int:
    stmt = select(func.count()).where(CARDS.c.member_id == member_id)
    return int((await session.execute(stmt)).scalar_one())


def topics_of(rows: Iterable[Any]) -> list[str]:
    return [r.topic_id for r in rows]

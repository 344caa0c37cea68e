"""Writing to the outbox: one row per idempotency key, ever.

The insert is `ON CONFLICT (key) DO NOTHING` on both SQLite and PostgreSQL, so two
processes claiming the same slot, or a member pressing snooze twice, leave one row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.replies import Reply
from bot.core.reply_codec import reply_to_dict
from storage.inserts import insert_ignoring_taken
from storage.models import Member, OutboxMessage


def insert_skipping_taken_keys(dialect: str) -> Any:
    """An INSERT into the outbox that leaves out rows whose key is already taken."""
    return insert_ignoring_taken(OutboxMessage.__table__, dialect, ["key"])


async def add(session: AsyncSession, **values: Any) -> int | None:
    """Insert an outbox row; the new id, or None when the key already exists."""
    values.setdefault("payload", {})
    values.setdefault("status", "pending")
    values.setdefault("attempts", 0)
    values.setdefault("target", "dm")
    dialect = session.get_bind().dialect.name
    stmt = insert_skipping_taken_keys(dialect).values(**values).returning(OutboxMessage.__table__.c.id)
    return (await session.execute(stmt)).scalar_one_or_none()


def dm_payload(reply: Reply, **extra: Any) -> dict[str, Any]:
    return {"reply": reply_to_dict(reply), **extra}


async def add_dm(
    session: AsyncSession,
    member: Member,
    *,
    key: str,
    stream: str,
    reply: Reply,
    now: datetime,
    not_before: datetime,
    expires_at: datetime | None,
) -> int | None:
    return await add(
        session,
        key=key,
        platform=member.platform,
        stream=stream,
        target="dm",
        member_id=member.id,
        community_id=member.community_id,
        payload=dm_payload(reply),
        not_before=not_before,
        expires_at=expires_at,
        created_at=now,
    )


async def add_channel_post(
    session: AsyncSession,
    *,
    key: str,
    platform: str,
    stream: str,
    community_id: int,
    channel_id: str,
    payload: dict[str, Any],
    now: datetime,
    expires_at: datetime,
    member_id: int | None = None,
) -> int | None:
    """A post in a community channel (weekly paper, digest, milestone announcement), due now."""
    return await add(
        session,
        key=key,
        platform=platform,
        stream=stream,
        target="channel",
        member_id=member_id,
        community_id=community_id,
        channel_id=channel_id,
        payload=payload,
        not_before=now,
        expires_at=expires_at,
        created_at=now,
    )


async def add_many(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Insert many outbox rows in one statement; the keys that were new.

    Runs as a Core insert on the session's connection: the ORM's bulk-insert layer adds
    per-row work a claim pass of thousands of rows does not need.
    """
    if not rows:
        return set()
    conn = await session.connection()
    stmt = insert_skipping_taken_keys(conn.dialect.name).returning(OutboxMessage.__table__.c.key)
    result = await conn.execute(stmt, rows)
    return set(result.scalars())

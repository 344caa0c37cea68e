"""What the core puts in the outbox: a member's DM or a channel post, as a stored reply.

Rows are written by `storage.outbox_store`, which skips a key already taken, so two
processes claiming the same slot, or a member pressing snooze twice, leave one row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.replies import Reply
from bot.core.reply_codec import reply_to_dict
from storage import outbox_store
from storage.models import Member


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
    return await outbox_store.insert(
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
    return await outbox_store.insert(
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

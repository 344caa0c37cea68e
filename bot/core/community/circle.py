"""A community's milestone and study-buddy settings (one row per community, made on first use)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.text import clean_user_text, defuse_mentions
from storage.models import CommunityCircle

NAME_MAX = 80


async def find(session: AsyncSession, community_id: int) -> CommunityCircle | None:
    return await session.get(CommunityCircle, community_id)


async def get_or_create(session: AsyncSession, community_id: int, now: datetime) -> CommunityCircle:
    row = await session.get(CommunityCircle, community_id)
    if row is None:
        row = CommunityCircle(
            community_id=community_id,
            milestones_enabled=True,
            buddies_enabled=True,
            buddy_every_weeks=1,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
    return row


def public_name(name: str, fallback: str = "A member") -> str:
    """A display name fit for a public post: controls stripped, mention syntax made inert,
    markdown marks removed so a name can't restyle the message, at most NAME_MAX characters."""
    try:
        text = clean_user_text(name or "", max_length=10_000)
    except ValueError:
        text = ""
    text = " ".join(text.replace("\n", " ").split())
    text = "".join(ch for ch in text if ch not in "*_~`|>[]<")
    text = defuse_mentions(text)[:NAME_MAX].strip()
    return text or fallback

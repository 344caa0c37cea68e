"""Weekly job: queue the reading group's paper of the week for every community with a
paper channel that has no post yet this ISO week (UTC).

Each community is handled in its own savepoint. The outbox key
`community-paper:<community id>:<ISO week>` and the community_papers unique key
make a second run, or a second process, a no-op.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import outbox
from bot.core.features.reading_group.handlers import CommunityPostPlan, community_post, iso_week
from bot.core.reply_codec import reply_to_dict
from content.schema import Catalog
from storage.models import Community, CommunityPaper, OutboxMessage

log = logging.getLogger(__name__)

EXPIRES_AFTER = timedelta(days=2)


def outbox_key(community_id: int, week: str) -> str:
    return f"community-paper:{community_id}:{week}"


def payload(plan: CommunityPostPlan) -> dict[str, object]:
    return {
        "reply": reply_to_dict(plan.reply),
        "thread_name": plan.thread_name,
        "thread_reply": reply_to_dict(plan.thread_reply),
        "community_paper_id": plan.community_paper_id,
        "paper_id": plan.paper_id,
        "week": plan.week,
    }


class _AlreadyQueued(Exception):
    pass


async def _already_posted(session: AsyncSession, community_id: int, week: str) -> bool:
    posted = select(CommunityPaper.id).where(
        CommunityPaper.community_id == community_id, CommunityPaper.week == week
    )
    queued = select(OutboxMessage.id).where(OutboxMessage.key == outbox_key(community_id, week))
    return (await session.execute(posted.limit(1))).first() is not None or (
        await session.execute(queued.limit(1))
    ).first() is not None


async def enqueue_community_papers(session: AsyncSession, catalog: Catalog, now: datetime) -> int:
    """Write this week's community paper posts to the outbox; how many were queued.

    Runs inside the caller's transaction; the caller commits.
    """
    week = iso_week(now)
    stmt = select(Community).where(Community.paper_channel_id.is_not(None)).order_by(Community.id)
    queued = 0
    for community in list((await session.execute(stmt)).scalars()):
        if not community.paper_channel_id or await _already_posted(session, community.id, week):
            continue
        try:
            async with session.begin_nested():
                plan = await community_post(session, catalog, community, now)
                if plan is None:
                    log.info("no paper left for community %s", community.id)
                    continue
                new_id = await outbox.add_channel_post(
                    session,
                    key=outbox_key(community.id, week),
                    platform=community.platform,
                    stream="paper",
                    community_id=community.id,
                    channel_id=plan.channel_id,
                    payload=payload(plan),
                    now=now,
                    expires_at=now + EXPIRES_AFTER,
                )
                if new_id is None:
                    raise _AlreadyQueued
        except (_AlreadyQueued, IntegrityError):
            log.info("community %s paper for %s already queued elsewhere", community.id, week)
            continue
        queued += 1
    return queued

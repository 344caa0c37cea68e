"""Queue each community's weekly digest into the outbox at its weekday and time.

The slot is the admin's weekday and HH:MM in the community's time zone (the default set with
/admin defaults, else UTC). From the slot until EXPIRES_AFTER later, a claim pass builds the
digest and writes one outbox row keyed `digest:<community id>:<ISO week>`; the outbox's unique
key makes a second pass, a restart or a second process a no-op, and the dispatcher delivers it
like the reading group's post (rate limits, retries, Slack's metadata check). The row holds
the drawn community card too, so a retry posts the same picture. After a longer
outage the week's digest is skipped rather than posted late.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import outbox
from bot.core.clock import zone
from bot.core.community import digest, study_totals
from bot.core.community.board_admin import community_zone
from bot.core.features.settings.handlers import parse_time
from content.schema import Catalog
from storage.models import Community, OutboxMessage

log = logging.getLogger(__name__)

STREAM = "digest"
EXPIRES_AFTER = timedelta(hours=12)


def outbox_key(community_id: int, week: str) -> str:
    return f"digest:{community_id}:{week}"


def slot_of(community: Community, now: datetime) -> datetime:
    """This week's digest instant (UTC) for the community, on its own calendar."""
    tz = zone(community_zone(community))
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    hh, mm = parse_time(community.digest_time or "18:00").split(":")
    local = datetime.combine(monday + timedelta(days=community.digest_weekday), time(int(hh), int(mm)), tz)
    return local.astimezone(now.tzinfo)


class _AlreadyQueued(Exception):
    pass


async def enqueue_digests(session: AsyncSession, catalog: Catalog, now: datetime) -> int:
    """Write the digests due now to the outbox; how many were queued. The caller commits."""
    stmt = (
        select(Community)
        .where(Community.digest_enabled.is_(True), Community.digest_channel_id.is_not(None))
        .order_by(Community.id)
    )
    queued = 0
    for community in list((await session.execute(stmt)).scalars()):
        slot = slot_of(community, now)
        if not slot <= now < slot + EXPIRES_AFTER:
            continue
        week = study_totals.week_key(slot.astimezone(zone(community_zone(community))).date())
        key = outbox_key(community.id, week)
        if (await session.execute(select(OutboxMessage.id).where(OutboxMessage.key == key))).first():
            continue
        try:
            async with session.begin_nested():
                reply = await digest.build(session, catalog, community, now, with_card=True)
                new_id = await outbox.add_channel_post(
                    session,
                    key=key,
                    platform=community.platform,
                    stream=STREAM,
                    community_id=community.id,
                    channel_id=community.digest_channel_id,
                    payload=outbox.dm_payload(reply, week=week),
                    now=now,
                    expires_at=slot + EXPIRES_AFTER,
                )
                if new_id is None:
                    raise _AlreadyQueued
        except (_AlreadyQueued, IntegrityError):
            log.info("community %s digest for %s already queued elsewhere", community.id, week)
            continue
        except Exception:
            log.exception("building the digest of community %s failed", community.id)
            continue
        queued += 1
    return queued

"""The arxiv_entries cache and when to refresh it.

arXiv announces nothing on Saturdays and Sundays, so a cache filled since the last
announcement day (Friday) is left alone over the weekend. On weekdays it is
refreshed every few hours. After a failed attempt it waits before trying again,
so an outage does not turn into a request every scheduler tick.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.services.arxiv_picks import is_announcement_day, last_announcement_day
from bot.papers_live.feed import ArxivRecord
from storage.models import AppState, ArxivEntry

REFRESH_EVERY = timedelta(hours=6)
RETRY_AFTER = timedelta(minutes=30)
KEEP_FOR = timedelta(days=90)
LAST_SUCCESS = "arxiv:last_success"
LAST_ATTEMPT = "arxiv:last_attempt"


def due(now: datetime, last_success: datetime | None, last_attempt: datetime | None) -> bool:
    if last_attempt is not None and now - last_attempt < RETRY_AFTER:
        return False
    if last_success is None:
        return True
    if not is_announcement_day(now.astimezone(UTC).date()):
        friday = datetime.combine(last_announcement_day(now), time(0, 0), UTC)
        return last_success < friday
    return now - last_success >= REFRESH_EVERY


async def read_time(session: AsyncSession, key: str) -> datetime | None:
    row = await session.get(AppState, key)
    if row is None:
        return None
    try:
        return datetime.fromisoformat(row.value)
    except ValueError:
        return None


async def write_time(session: AsyncSession, key: str, at: datetime) -> None:
    row = await session.get(AppState, key)
    if row is None:
        session.add(AppState(key=key, value=at.isoformat(), updated_at=at))
    else:
        row.value = at.isoformat()
        row.updated_at = at


async def store(session: AsyncSession, records: Iterable[ArxivRecord], now: datetime) -> int:
    """Upsert by base id; a newer version replaces the text, categories accumulate.

    Returns how many new papers were added.
    """
    added = 0
    for rec in records:
        row = await session.get(ArxivEntry, rec.arxiv_id)
        if row is None:
            session.add(
                ArxivEntry(
                    arxiv_id=rec.arxiv_id,
                    version=rec.version,
                    title=rec.title,
                    authors=list(rec.authors),
                    summary=rec.summary,
                    categories=list(rec.categories),
                    published_at=rec.published_at,
                    fetched_at=now,
                )
            )
            added += 1
            continue
        if rec.version > row.version:
            row.version = rec.version
            row.title = rec.title
            row.authors = list(rec.authors)
            row.summary = rec.summary
        merged = list(row.categories or [])
        merged += [c for c in rec.categories if c not in merged]
        row.categories = merged
        row.fetched_at = now
    await session.flush()
    return added


async def prune(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(ArxivEntry).where(ArxivEntry.published_at < now - KEEP_FOR))


async def count(session: AsyncSession) -> int:
    return len((await session.execute(select(ArxivEntry.arxiv_id))).all())

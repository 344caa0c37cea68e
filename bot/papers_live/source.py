"""The optional live arXiv source: refresh the cache when it is due, never crash.

Every failure (network down, timeout, HTTP error, malformed or empty feed) is
logged as a warning and leaves the cache as it was; members then simply get the
curated catalogue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.papers_live import cache
from bot.papers_live.client import ArxivClient, fetch_all
from bot.papers_live.feed import merge

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.runtime import App

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RefreshResult:
    ran: bool
    stored: int = 0
    added: int = 0
    failures: tuple[str, ...] = ()


def make_client(settings: Settings) -> ArxivClient:
    return ArxivClient(
        settings.papers_arxiv_api_url,
        timeout=settings.papers_arxiv_timeout_seconds,
        max_results=settings.papers_arxiv_max_results,
    )


async def refresh(
    sessions: async_sessionmaker[AsyncSession],
    client: ArxivClient,
    categories: list[str],
    now: datetime,
    *,
    force: bool = False,
) -> RefreshResult:
    async with sessions() as s, s.begin():
        last_success = await cache.read_time(s, cache.LAST_SUCCESS)
        last_attempt = await cache.read_time(s, cache.LAST_ATTEMPT)
        if not force and not cache.due(now, last_success, last_attempt):
            return RefreshResult(ran=False)
        await cache.write_time(s, cache.LAST_ATTEMPT, now)
    try:
        batches, failures = await fetch_all(client, categories)
    except Exception as exc:  # a live source must never take the bot down
        batches, failures = [], [f"unexpected {type(exc).__name__}"]
    for reason in failures:
        log.warning("arXiv live source: %s; the curated catalogue is used instead", reason)
    if not batches:
        return RefreshResult(ran=True, failures=tuple(failures))
    records = merge(batches)
    async with sessions() as s, s.begin():
        added = await cache.store(s, records, now)
        await cache.prune(s, now)
        await cache.write_time(s, cache.LAST_SUCCESS, now)
    log.info("arXiv live source: %d listings cached (%d new)", len(records), added)
    return RefreshResult(ran=True, stored=len(records), added=added, failures=tuple(failures))


async def refresh_if_due(app: App, *, force: bool = False) -> RefreshResult | None:
    """The scheduler's entry point. None when the live source is off (the default)."""
    if app.settings.papers_live != "arxiv":
        return None
    client = app.arxiv_client
    if client is None:
        client = app.arxiv_client = make_client(app.settings)
    try:
        return await refresh(
            app.sessions, client, list(app.settings.papers_arxiv_categories), app.clock.now(), force=force
        )
    except Exception:
        log.warning("arXiv live source: refresh failed; the curated catalogue is used instead", exc_info=True)
        return RefreshResult(ran=True, failures=("refresh failed",))

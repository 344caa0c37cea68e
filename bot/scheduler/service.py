"""The in-process scheduler: two APScheduler interval jobs, never one job per member.

- `claim` (every SCHEDULER_INTERVAL_SECONDS): due schedule rows → outbox, and the
  weekly community paper posts;
- `drain` (every few seconds): pending outbox rows → the platform's Messenger. A long
  drain (a backlog at Slack's one message a second) is expected: a run that comes due
  while the previous one is still going returns at once, quietly, instead of APScheduler
  warning that the job's maximum number of running instances was reached;
- `prune` (hourly): retention, see `bot.scheduler.retention`.

Runners start it with `start_scheduler(app, messenger)` once their Messenger can
send, and stop it with `await handle.stop()`. State lives in the database, so a
restart loses nothing and several processes can run it on one PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.community.buddy_rounds import run_due_rounds
from bot.core.ports import Messenger
from bot.papers_live.source import refresh_if_due
from bot.runtime import App
from bot.scheduler.claim_process import ClaimProcessClosed, ClaimProcessLost
from bot.scheduler.claims import ClaimStats, claim_due
from bot.scheduler.community_digest import enqueue_digests
from bot.scheduler.community_papers import enqueue_community_papers
from bot.scheduler.dispatcher import Dispatcher, DrainStats
from bot.scheduler.pauses import DeliveryPauses
from bot.scheduler.ratelimit import RateLimiter, platform_limiter
from bot.scheduler.retention import prune
from content.schema import Catalog
from storage.db import make_sessionmaker

log = logging.getLogger(__name__)

DRAIN_INTERVAL_MAX = 5.0
PAPERS_INTERVAL = 15 * 60.0
PRUNE_INTERVAL = 60 * 60.0


def make_limiter(app: App, platform: str) -> RateLimiter:
    s = app.settings
    return platform_limiter(platform, s.discord_rate_per_second, s.slack_rate_per_second)


def pauses_of(app: App) -> DeliveryPauses:
    """The app's delivery pauses (one registry per process, read by /metrics and /readyz)."""
    return app.pauses


def make_dispatcher(app: App, messenger: Messenger, limiter: RateLimiter | None = None) -> Dispatcher:
    s = app.settings
    return Dispatcher(
        make_sessionmaker(app.db, background=True),
        app.clock,
        messenger,
        limiter or make_limiter(app, messenger.platform),
        lease_seconds=s.outbox_lease_seconds,
        max_attempts=s.outbox_max_attempts,
        catalog=app.catalog,
        concurrency=s.delivery_concurrency,
        pauses=pauses_of(app),
    )


async def claim_pass(app: App, now: datetime | None = None, seed: bool = True) -> ClaimStats:
    """Queue everything due at `now` (default: the app's clock): member slots and community posts.

    The pass runs in the claim process (`bot.scheduler.claim_process`), so its Python work
    (cohort planning, statements, buddy matching) never competes with members' commands for
    this process's GIL; its SQLite writes take their turns at this process's write gate. Where
    there is no claim process (CLAIM_PROCESS=false, an in-memory database) or it is lost, the
    pass runs on the app's scheduler database thread instead, off the event loop all the same.
    """
    now = now or app.clock.now()
    process = app.claim_process()
    if process is not None:
        try:
            return await process.claim(now, seed)
        except ClaimProcessLost:
            log.warning("the claim process ended during a pass; running it here instead")
    thread = app.scheduler_db()
    catalog, batch = app.catalog, app.settings.scheduler_batch_size
    if thread is None:
        return await run_pass(catalog, batch, app.sessions, now, seed)
    return await thread.run(lambda: run_pass(catalog, batch, thread.sessions, now, seed))


async def run_pass(
    catalog: Catalog, batch_size: int, sessions: async_sessionmaker[AsyncSession], now: datetime, seed: bool
) -> ClaimStats:
    """One claim pass on `sessions`: member slots, community papers and digests, buddy rounds."""
    stats = await claim_due(sessions, now, batch_size, seed)
    try:
        async with sessions() as session, session.begin():
            await enqueue_community_papers(session, catalog, now)
    except Exception:
        log.exception("queueing community papers failed")
    try:
        async with sessions() as session, session.begin():
            await enqueue_digests(session, catalog, now)
    except Exception:
        log.exception("queueing community digests failed")
    try:
        await run_due_rounds(sessions, catalog, now)
    except Exception:
        log.exception("study-buddy rounds failed")
    return stats


@dataclass
class SchedulerHandle:
    scheduler: AsyncIOScheduler
    dispatcher: Dispatcher

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)


def start_scheduler(app: App, messenger: Messenger) -> SchedulerHandle:
    """Start the claim and drain jobs on the running event loop; both run once right away."""
    # APScheduler logs every run at INFO; our jobs log what they did themselves.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    dispatcher = make_dispatcher(app, messenger)
    interval = app.settings.scheduler_interval_seconds
    scheduler = AsyncIOScheduler(timezone="UTC")

    # Members get due times when they are created; rows left unseeded (imports, older
    # versions) are picked up by the first pass, so later passes skip that scan.
    seeded = False

    async def claim_job() -> None:
        nonlocal seeded
        try:
            stats = await claim_pass(app, seed=not seeded)
            seeded = True
            if stats.queued or stats.stale or stats.errors:
                log.info("scheduler claim: %s", stats)
        except ClaimProcessClosed:
            log.info("scheduler claim pass stopped: the bot is stopping")
        except Exception:
            log.exception("scheduler claim pass failed")

    draining = False

    async def drain_job() -> None:
        nonlocal draining
        if draining:
            return  # the previous drain is still working through the queue
        draining = True
        try:
            stats = await dispatcher.drain()
            if stats.sent or stats.failed or stats.dropped or stats.retried:
                log.info("scheduler drain (%s): %s", messenger.platform, stats)
        except Exception:
            log.exception("scheduler drain failed")
        finally:
            draining = False

    async def prune_job() -> None:
        s = app.settings
        try:
            stats = await prune(
                app.sessions, app.clock.now(), s.outbox_retention_days, s.seen_events_retention_days
            )
            if stats.payloads_cleared or stats.events_deleted:
                log.info("retention: %s", stats)
        except Exception:
            log.exception("retention pass failed")

    async def papers_job() -> None:
        try:
            result = await refresh_if_due(app)
            if result is not None and result.stored:
                log.info("arXiv listings refreshed: %s", result)
        except Exception:
            log.exception("arXiv refresh failed")

    now = datetime.now(scheduler.timezone)
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None, "next_run_time": now}
    scheduler.add_job(claim_job, "interval", seconds=interval, id="claim", **common)
    # Two instances allowed so an overlapping run starts and returns at once (see `drain_job`).
    scheduler.add_job(
        drain_job,
        "interval",
        seconds=min(interval, DRAIN_INTERVAL_MAX),
        id="drain",
        **(common | {"max_instances": 2}),
    )
    scheduler.add_job(prune_job, "interval", seconds=PRUNE_INTERVAL, id="prune", **common)
    if app.settings.papers_live == "arxiv":
        # Its own job: a refresh waits on arXiv's 3 s politeness gate and must not delay claims.
        scheduler.add_job(papers_job, "interval", seconds=PAPERS_INTERVAL, id="papers", **common)
    scheduler.start()
    return SchedulerHandle(scheduler, dispatcher)


async def run_once(app: App, messenger: Messenger | None) -> tuple[ClaimStats, DrainStats | None]:
    """One claim pass and, when there is a messenger, one drain: what `python -m bot tick` does."""
    claimed = await claim_pass(app)
    if messenger is None:
        return claimed, None
    return claimed, await make_dispatcher(app, messenger).drain()

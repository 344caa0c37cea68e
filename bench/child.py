"""Subprocess entry points, so resident memory and start-up time are measured clean.

    python -m bench.child ours-start <url>            start our scheduler, report when ready
    python -m bench.child ours-peak <url> <n>         start, then claim n check-ins due at once
    python -m bench.child aps-register <url> <n>      the baseline: one APScheduler cron job per member
    python -m bench.child aps-start <url>             restart the baseline scheduler, report when ready
    python -m bench.child aps-advance <url> <n>       make n baseline jobs due now (untimed preparation)
    python -m bench.child aps-peak <url> <n>          restart the baseline and wait until n jobs fired

Each prints one JSON line: seconds since the interpreter started (`ready`), the
step's own time (`took`), and VmRSS / VmHWM in MB.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time

STARTED = time.perf_counter()


def _report(**values: object) -> None:
    from bench.stats import peak_rss_mb, rss_mb

    values |= {"ready": time.perf_counter() - STARTED, "rss_mb": rss_mb(), "hwm_mb": peak_rss_mb()}
    print(json.dumps(values), flush=True)


class _NullMessenger:
    platform = "discord"

    async def send_dm(self, *a: object, **k: object) -> object:
        raise RuntimeError("not used")

    async def post_channel(self, *a: object, **k: object) -> object:
        raise RuntimeError("not used")


async def ours_start(url: str) -> None:
    from bench.seed import T0, bench_settings
    from bench.stats import rss_mb
    from bot.core.clock import FrozenClock
    from bot.core.pictures import process, render, samples
    from bot.runtime import build_app
    from bot.scheduler.service import claim_pass, start_scheduler

    app = build_app(bench_settings(url), clock=FrozenClock(T0))
    t = time.perf_counter()
    await claim_pass(app)  # what the claim job does first; nothing is due at T0
    handle = start_scheduler(app, _NullMessenger())  # type: ignore[arg-type]
    await asyncio.sleep(0)
    took = time.perf_counter() - t
    await asyncio.to_thread(render.draw_png, samples.skill_spec())  # the picture process has warmed up
    pictures = sum(rss_mb(pid) for pid in process.WORKER.pids())
    claims = app.claim_process()
    claim_mb = rss_mb(claims.pid) if claims is not None and claims.pid else 0.0
    _report(took=took, pictures_mb=pictures, claim_mb=claim_mb)
    await handle.stop()
    await app.close()


async def ours_peak(url: str, n: int) -> None:
    from bench.scheduling import worst_minute
    from bench.seed import T0, bench_settings
    from bot.core.clock import FrozenClock
    from bot.runtime import build_app

    clock = FrozenClock(T0)
    app = build_app(bench_settings(url), clock=clock)
    took, queued = await worst_minute(app, clock, n)
    _report(took=took, fired=queued)
    await app.close()


FIRED = 0
_LOCK = threading.Lock()


def baseline_job(member_id: int) -> None:
    """The baseline's per-member job; it only counts, so its cost is APScheduler's own."""
    global FIRED
    with _LOCK:
        FIRED += 1


def _jobstore_url(url: str) -> str:
    return url.replace("sqlite+aiosqlite://", "sqlite://")


def _scheduler(url: str):  # type: ignore[no-untyped-def]
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    return AsyncIOScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=_jobstore_url(url))},
        job_defaults={"misfire_grace_time": None, "coalesce": True},
        timezone="UTC",
    )


async def aps_register(url: str, n: int) -> None:
    from apscheduler.triggers.cron import CronTrigger
    from sqlalchemy import create_engine, text

    engine = create_engine(_jobstore_url(url))
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, timezone, checkin_time FROM members WHERE workspace_id != 'template' ORDER BY id"
            )
        ).all()[:n]
    engine.dispose()
    scheduler = _scheduler(url)
    scheduler.start(paused=True)
    t = time.perf_counter()
    for member_id, tz, at in rows:
        hh, mm = at.split(":")
        scheduler.add_job(
            baseline_job,
            CronTrigger(hour=int(hh), minute=int(mm), timezone=tz),
            args=[member_id],
            id=f"checkin:{member_id}",
            replace_existing=True,
        )
    took = time.perf_counter() - t
    scheduler.shutdown(wait=False)
    _report(took=took, jobs=len(rows))


async def aps_start(url: str) -> None:
    scheduler = _scheduler(url)
    t = time.perf_counter()
    scheduler.start()
    await asyncio.sleep(0.05)  # let the first wake-up look for due jobs
    _report(
        took=time.perf_counter() - t, jobs_seen=len(scheduler.get_jobs()) if "--count" in sys.argv else None
    )
    scheduler.shutdown(wait=False)


async def aps_advance(url: str, n: int) -> None:
    from datetime import UTC, datetime

    scheduler = _scheduler(url)
    scheduler.start(paused=True)
    now = datetime.now(UTC)
    for job in scheduler.get_jobs()[:n]:
        job.modify(next_run_time=now)
    scheduler.shutdown(wait=False)
    _report(took=0.0)


async def aps_peak(url: str, n: int) -> None:
    global FIRED
    FIRED = 0
    scheduler = _scheduler(url)
    t = time.perf_counter()
    scheduler.start()
    deadline = t + 3600
    while FIRED < n and time.perf_counter() < deadline:  # noqa: ASYNC110 - set from executor threads
        await asyncio.sleep(0.01)
    took = time.perf_counter() - t
    _report(took=took, fired=FIRED)
    scheduler.shutdown(wait=False)


def step(mode: str, url: str, *rest: str):  # type: ignore[no-untyped-def]
    n = int(rest[0]) if rest and rest[0].isdigit() else 0
    steps = {
        "ours-start": lambda: ours_start(url),
        "ours-peak": lambda: ours_peak(url, n),
        "aps-register": lambda: aps_register(url, n),
        "aps-start": lambda: aps_start(url),
        "aps-advance": lambda: aps_advance(url, n),
        "aps-peak": lambda: aps_peak(url, n),
    }
    return steps[mode]()


def main() -> None:
    import logging

    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    asyncio.run(step(*sys.argv[1:]))


if __name__ == "__main__":
    main()

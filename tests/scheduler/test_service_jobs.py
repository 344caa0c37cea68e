"""The in-process scheduler runs a fixed, small set of jobs: never one per member."""

from __future__ import annotations

from bot.adapters.memory.messenger import MemoryMessenger
from bot.core.clock import FrozenClock
from bot.scheduler.service import start_scheduler
from tests.scheduler.conftest import T0, add_member, key, make_app


async def job_ids(tmp_path, shared_catalog, members: int, **settings) -> set[str]:
    from storage.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path}/jobs.db"
    await upgrade(url)
    app = make_app(url, FrozenClock(T0), shared_catalog, **settings)
    try:
        for i in range(members):
            await add_member(app, f"m{i}")
        handle = start_scheduler(app, MemoryMessenger(platform="discord"))
        try:
            return {job.id for job in handle.scheduler.get_jobs()}
        finally:
            await handle.stop()
    finally:
        await app.close()


async def test_jobs_do_not_grow_with_members(tmp_path, shared_catalog):
    assert await job_ids(tmp_path, shared_catalog, members=5) == {"claim", "drain", "prune"}


async def test_live_papers_get_their_own_job(tmp_path, shared_catalog):
    ids = await job_ids(
        tmp_path,
        shared_catalog,
        members=0,
        papers_live="arxiv",
        papers_arxiv_api_url="http://127.0.0.1:9/none",
    )
    assert ids == {"claim", "drain", "papers", "prune"}


async def test_new_members_are_scheduled_when_created(sapp):
    from sqlalchemy import select

    from storage.models import Schedule

    await sapp.engine.command(key("newcomer"), "progress")
    async with sapp.sessions() as s:
        due = {r.stream: r.next_due_at for r in (await s.execute(select(Schedule))).scalars()}
    assert all(due[stream] is not None for stream in ("checkin", "nudge", "paper"))
    assert due["reassess"] is None, "no reassessment before a first assessment"

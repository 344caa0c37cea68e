"""Scheduler fixtures: a migrated database on the suite's backend, an app on a frozen clock, members made
through the real /settings command, and helpers that run one claim + drain pass."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.adapters.memory.messenger import MemoryMessenger
from bot.config import Settings
from bot.core.clock import FrozenClock
from bot.core.identity import MemberKey
from bot.runtime import App, build_app
from bot.scheduler.dispatcher import Dispatcher, DrainStats
from bot.scheduler.ratelimit import RateLimiter
from bot.scheduler.service import claim_pass
from content.loader import load_default_catalog
from storage.models import Member, OutboxMessage, Schedule
from tests.databases import fresh_database, suite_backend

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday


def key(user: str, platform: str = "discord") -> MemberKey:
    return MemberKey(platform, "g1", user)


@pytest.fixture(scope="session")
def shared_catalog():
    return load_default_catalog()


def make_app(url: str, clock: FrozenClock, catalog, **overrides) -> App:
    return build_app(Settings(_env_file=None, database_url=url, **overrides), clock=clock, catalog=catalog)


@pytest.fixture
async def sapp(tmp_path, shared_catalog) -> AsyncIterator[App]:
    async with fresh_database(suite_backend(), tmp_path) as url:
        app = make_app(url, FrozenClock(T0), shared_catalog)
        yield app
        await app.close()


@pytest.fixture
def messenger() -> MemoryMessenger:
    return MemoryMessenger(platform="discord")


def no_limits() -> RateLimiter:
    return RateLimiter(lambda _key: None)


async def add_member(app: App, user: str, **settings: str) -> int:
    """A member configured through the real /settings command at the app's current time."""
    reply = await app.engine.command(key(user), "settings", settings)
    assert not reply.error, reply
    async with app.sessions() as s:
        member = (await s.execute(select(Member).where(Member.user_id == user))).scalar_one()
        return member.id


async def step(app: App, messenger: MemoryMessenger, at: datetime, **kw) -> DrainStats:
    """Move the clock to `at`, run a claim pass and drain what is due."""
    app.clock.set(at)  # type: ignore[attr-defined]
    await claim_pass(app)
    return await Dispatcher(app.sessions, app.clock, messenger, no_limits(), **kw).drain()


async def outbox_rows(app: App) -> list[OutboxMessage]:
    async with app.sessions() as s:
        return list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def schedule_row(app: App, member_id: int, stream: str) -> Schedule:
    async with app.sessions() as s:
        return await s.get(Schedule, (member_id, stream))

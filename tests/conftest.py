"""Shared fixtures: a migrated database per test and an app with a frozen clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.config import Settings
from bot.core.clock import FrozenClock
from bot.runtime import App, build_app
from content.loader import load_default_catalog
from tests.databases import chosen_backend, fresh_database, postgres_url, suite_backend

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

# Most tests run the claim pass in process: starting a claim process costs about a second per
# app. tests/scheduler/test_claim_process.py and the bot-process tests that set CLAIM_PROCESS
# themselves run it in its own process, as a deployed bot does by default.
os.environ.setdefault("CLAIM_PROCESS", "false")


def backends() -> list:
    """`any_db_url`'s backends: the one TEST_DATABASE names, else SQLite and (if set up) PostgreSQL."""
    chosen = chosen_backend()
    if chosen is not None:
        return [pytest.param(chosen, id=chosen)]
    kinds = [pytest.param("sqlite", id="sqlite")]
    kinds.append(
        pytest.param(
            "postgres",
            id="postgres",
            marks=pytest.mark.skipif(postgres_url() is None, reason="TEST_POSTGRES_URL not set"),
        )
    )
    return kinds


@pytest.fixture
def catalog():
    return load_default_catalog()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
async def db_url(tmp_path) -> AsyncIterator[str]:
    """A migrated database on the suite's backend (TEST_DATABASE)."""
    async with fresh_database(suite_backend(), tmp_path) as url:
        yield url


@pytest.fixture
async def sqlite_db_url(tmp_path) -> AsyncIterator[str]:
    """A migrated SQLite file, whatever the suite's backend: for tests of SQLite's own behaviour."""
    async with fresh_database("sqlite", tmp_path) as url:
        yield url


@pytest.fixture
async def sqlite_app(sqlite_db_url, clock, catalog) -> AsyncIterator[App]:
    application = build_app(make_settings(sqlite_db_url), clock=clock, catalog=catalog)
    yield application
    await application.close()


@pytest.fixture(params=backends())
async def any_db_url(request, tmp_path) -> AsyncIterator[str]:
    """The same test against SQLite and, when configured, PostgreSQL."""
    async with fresh_database(request.param, tmp_path) as url:
        yield url


def make_settings(url: str, **overrides) -> Settings:
    return Settings(_env_file=None, database_url=url, **overrides)


@pytest.fixture
async def app(db_url, clock, catalog) -> AsyncIterator[App]:
    application = build_app(make_settings(db_url), clock=clock, catalog=catalog)
    yield application
    await application.close()


@pytest.fixture
async def any_app(any_db_url, clock, catalog) -> AsyncIterator[App]:
    application = build_app(make_settings(any_db_url), clock=clock, catalog=catalog)
    yield application
    await application.close()

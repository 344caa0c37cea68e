"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL database.

TEST_DATABASE chooses the backend the whole suite runs on: "sqlite" (the default)
or "postgres", which needs TEST_POSTGRES_URL; CI runs the suite once on each.
Each call creates a database with a random name and drops it afterwards, so runs
never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.migrate import upgrade

PG_ENV = "TEST_POSTGRES_URL"
BACKEND_ENV = "TEST_DATABASE"
BACKENDS = ("sqlite", "postgres")


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def chosen_backend() -> str | None:
    """The backend named by TEST_DATABASE, or None when it is unset."""
    kind = os.environ.get(BACKEND_ENV, "").strip().lower() or None
    if kind is not None and kind not in BACKENDS:
        raise RuntimeError(f"{BACKEND_ENV} must be one of {', '.join(BACKENDS)}, not {kind!r}")
    if kind == "postgres" and postgres_url() is None:
        raise RuntimeError(f"{BACKEND_ENV}=postgres needs {PG_ENV}")
    return kind


def suite_backend() -> str:
    """The backend of tests that run on one database: TEST_DATABASE, else SQLite."""
    return chosen_backend() or "sqlite"


def _asyncpg_dsn(url: str) -> str:
    u = make_url(url).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


@asynccontextmanager
async def fresh_postgres(base_url: str, migrate: bool = True) -> AsyncIterator[str]:
    import asyncpg

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_asyncpg_dsn(base_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            await upgrade(url)
        yield url
    finally:
        admin = await asyncpg.connect(_asyncpg_dsn(base_url))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def fresh_sqlite(folder: Path, migrate: bool = True) -> AsyncIterator[str]:
    url = f"sqlite+aiosqlite:///{folder}/test.db"
    if migrate:
        await upgrade(url)
    yield url


@asynccontextmanager
async def fresh_database(kind: str, folder: Path, migrate: bool = True) -> AsyncIterator[str]:
    if kind == "postgres":
        base = postgres_url()
        assert base, "TEST_POSTGRES_URL is not set"
        async with fresh_postgres(base, migrate) as url:
            yield url
    else:
        async with fresh_sqlite(folder, migrate) as url:
            yield url

"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL database.

PostgreSQL runs when TEST_POSTGRES_URL is set (CI sets it). Each call creates a
database with a random name and drops it afterwards, so runs never collide.
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


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


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

"""Upgrading keeps the data: a filled database taken down to the first migration, then
brought back to head; and `python -m bot migrate` twice in a row is safe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic import command
from sqlalchemy import MetaData, select

from bot.core.clock import FrozenClock
from bot.runtime import build_app
from storage.db import make_engine
from storage.migrate import alembic_config, current_revision, head_revision, upgrade
from storage.models import Base
from tests.conftest import make_settings
from tests.hardening.support import ALICE, START, seed_rich

ROOT = Path(__file__).resolve().parents[2]


async def rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table as the database has it (reflected, so any revision reads)."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:

            def read(sync_conn) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def]
                meta = MetaData()
                meta.reflect(bind=sync_conn)
                return {
                    t.name: sorted((tuple(r) for r in sync_conn.execute(select(t)).all()), key=repr)
                    for t in meta.sorted_tables
                    if t.name != "alembic_version" and t.name in Base.metadata.tables
                }

            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def downgrade(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:

            def run(sync_conn) -> None:  # type: ignore[no-untyped-def]
                cfg = alembic_config(url)
                cfg.attributes["connection"] = sync_conn
                command.downgrade(cfg, revision)

            await conn.run_sync(run)
            await conn.commit()
    finally:
        await engine.dispose()


def added_columns_left_out(after: dict[str, list[tuple]], before: dict[str, list[tuple]]) -> dict:
    """Rows at head cut to the columns the first schema had (new columns come last)."""
    return {t: sorted((r[: len(before[t][0])] for r in rs), key=repr) if before.get(t) else rs
            for t, rs in after.items() if t in before}  # fmt: skip


async def test_data_made_at_the_first_migration_survives_the_upgrade(tmp_path) -> None:
    # Today's models no longer fit the first schema, so the data is made at head and the
    # database taken down to the first migration: what remains is data of that schema.
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    await upgrade(url)
    app = build_app(make_settings(url), clock=FrozenClock(START))
    try:
        await seed_rich(app)
    finally:
        await app.close()
    await downgrade(url, "0001")
    before = await rows(url)
    assert before["members"] and before["plan_items"] and before["outbox"] and before["checkins"]
    await upgrade(url)
    engine = make_engine(url)
    try:
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()
    assert added_columns_left_out(await rows(url), before) == before
    app = build_app(make_settings(url), clock=FrozenClock(START))
    try:
        reply = await app.engine.command(ALICE, "progress")
        assert not reply.error
    finally:
        await app.close()


def test_migrate_twice_from_the_command_line(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "bot", "migrate"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "up to date" in done.stdout

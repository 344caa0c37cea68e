"""Upgrading keeps the data: a database made at the first migration, filled, then
brought to head; and `python -m bot migrate` twice in a row is safe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from bot.runtime import build_app
from storage.db import make_engine
from storage.migrate import current_revision, head_revision, upgrade
from storage.models import Base
from tests.conftest import make_settings
from tests.hardening.support import ALICE, seed_rich

ROOT = Path(__file__).resolve().parents[2]


async def rows(url: str) -> dict[str, list[tuple]]:
    app = build_app(make_settings(url))
    try:
        async with app.sessions() as session:
            return {
                t.name: sorted((tuple(r) for r in (await session.execute(select(t))).all()), key=repr)
                for t in Base.metadata.sorted_tables
            }
    finally:
        await app.close()


async def test_data_made_at_the_first_migration_survives_the_upgrade(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    await upgrade(url, "0001")
    app = build_app(make_settings(url))
    try:
        await seed_rich(app)
    finally:
        await app.close()
    before = await rows(url)
    assert before["members"] and before["plan_items"] and before["outbox"]
    await upgrade(url)
    engine = make_engine(url)
    try:
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()
    assert await rows(url) == before
    app = build_app(make_settings(url))
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

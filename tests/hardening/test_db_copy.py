"""`python -m bot db copy`: every row moves with its id, one community can move alone,
and a target that already holds the data is refused without writing anything."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, select, text

from bot.core.clock import FrozenClock
from bot.core.identity import MemberKey
from bot.dbcopy import CopyRefused, copy_database
from bot.runtime import App, build_app
from storage.db import make_engine
from storage.migrate import upgrade
from tests.conftest import make_settings
from tests.databases import fresh_postgres, fresh_sqlite, postgres_url
from tests.hardening.support import ALICE, OTHER, START, seed_rich

ROOT = Path(__file__).resolve().parents[2]
INSTALLED = datetime(2026, 11, 1, 12, 0)


async def everything(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but Alembic's own), sorted, as plain tuples."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            meta = MetaData()
            await conn.run_sync(lambda c: meta.reflect(c))
            out = {}
            for table in meta.sorted_tables:
                if table.name == "alembic_version":
                    continue
                rows = (await conn.execute(select(table))).all()
                out[table.name] = sorted(
                    (tuple(sorted((k, _plain(v)) for k, v in r._mapping.items())) for r in rows), key=repr
                )
            return out
    finally:
        await engine.dispose()


def _plain(value: Any) -> Any:
    # SQLite hands back naive datetimes for columns without the UTC decorator; compare instants.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


async def add_slack_install(url: str, team: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO slack_installations (client_id, app_id, team_id, user_id, bot_token, "
                    "is_enterprise_install, installed_at) VALUES ('c', 'A1', :t, 'U1', 'xoxb-x', false, :at)"
                ),
                {"t": team, "at": INSTALLED},
            )
    finally:
        await engine.dispose()


@pytest.fixture
async def source(tmp_path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/source.db"
    await upgrade(url)
    app = build_app(make_settings(url), clock=FrozenClock(START))
    try:
        await seed_rich(app)
    finally:
        await app.close()
    await add_slack_install(url, "guild-a")
    return url


async def test_whole_database_copies_row_for_row(source, tmp_path) -> None:
    target = f"sqlite+aiosqlite:///{tmp_path}/target.db"
    report = await copy_database(source, target, batch=7)
    want = await everything(source)
    assert await everything(target) == want
    assert report.copied["members"] == len(want["members"]) == 4
    assert report.copied["plan_items"] > 7  # several batches
    assert report.skipped == []


async def test_one_community_copies_alone(source, tmp_path) -> None:
    target = f"sqlite+aiosqlite:///{tmp_path}/target.db"
    report = await copy_database(source, target, community="test:guild-b")
    got = await everything(target)
    assert [(dict(r)["platform"], dict(r)["workspace_id"]) for r in got["communities"]] == [
        ("test", "guild-b")
    ]
    assert [dict(r)["user_id"] for r in got["members"]] == [OTHER.user_id]
    assert "arxiv_entries" in report.skipped and got["seen_events"] == []
    src = await everything(source)
    member_id = dict(got["members"][0])["id"]
    for table in ("plans", "checkins", "assessments", "member_papers", "schedules", "community_paper_reads"):
        mine = [r for r in src[table] if dict(r)["member_id"] == member_id]
        assert got[table] and all(r in mine for r in got[table]), table
    assert got["slack_installations"] == []  # not a Slack community


async def test_refuses_a_target_that_already_has_the_rows(source, tmp_path) -> None:
    target = f"sqlite+aiosqlite:///{tmp_path}/target.db"
    await copy_database(source, target, community="test:guild-a")
    before = await everything(target)
    with pytest.raises(CopyRefused, match="already holds"):
        await copy_database(source, target, community="test:guild-a")
    with pytest.raises(CopyRefused, match="already holds"):
        await copy_database(source, target)  # guild-a is in there
    assert await everything(target) == before
    with pytest.raises(CopyRefused, match="no community"):
        await copy_database(source, target, community="test:nowhere")
    with pytest.raises(CopyRefused, match="platform:workspace"):
        await copy_database(source, target, community="guild-b")
    with pytest.raises(CopyRefused, match="same database"):
        await copy_database(source, source)
    assert await everything(target) == before


async def test_source_behind_the_schema_is_refused(tmp_path) -> None:
    old = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    await upgrade(old, "0001")
    with pytest.raises(CopyRefused, match="migrate"):
        await copy_database(old, f"sqlite+aiosqlite:///{tmp_path}/t.db")


def run_cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    env |= {"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


async def test_cli_copies_and_then_refuses(source, tmp_path) -> None:
    target = f"sqlite+aiosqlite:///{tmp_path}/cli-target.db"
    done = run_cli("db", "copy", "--to", target, database_url=source)
    assert done.returncode == 0, done.stderr
    assert "rows copied" in done.stdout
    again = run_cli("db", "copy", "--to", target, "--from", source, database_url="sqlite+aiosqlite:///x.db")
    assert again.returncode == 1
    assert "already holds" in again.stderr and "Traceback" not in again.stderr


@pytest.mark.skipif(postgres_url() is None, reason="TEST_POSTGRES_URL not set")
async def test_copy_to_postgres_keeps_ids_and_fixes_sequences(source, tmp_path) -> None:
    base = postgres_url()
    assert base is not None
    async with fresh_postgres(base, migrate=False) as target:
        report = await copy_database(source, target, batch=50)
        assert await everything(target) == await everything(source)
        assert report.total > 0
        # New rows after the copy get fresh ids: the sequences moved past the copied ones.
        app: App = build_app(make_settings(target), clock=FrozenClock(START))
        try:
            for name in ("newcomer", "second"):
                key = MemberKey("test", "guild-a", name)
                assert not (await app.engine.action(key, "learn:enrol:ai-engineer")).error
                assert not (await app.engine.command(key, "checkin", {"minutes": 15})).error
            assert not (await app.engine.command(ALICE, "checkin", {"minutes": 5})).error
        finally:
            await app.close()
        # One community more into the same PostgreSQL database is refused when it is there.
        with pytest.raises(CopyRefused):
            await copy_database(source, target, community="test:guild-b")


@pytest.mark.skipif(postgres_url() is None, reason="TEST_POSTGRES_URL not set")
async def test_communities_one_by_one_into_postgres(source, tmp_path) -> None:
    base = postgres_url()
    assert base is not None
    async with fresh_postgres(base, migrate=False) as target:
        await copy_database(source, target, community="test:guild-b")
        await copy_database(source, target, community="test:guild-a")
        got, want = await everything(target), await everything(source)
        for table in (
            "communities",
            "members",
            "plans",
            "plan_items",
            "checkins",
            "outbox",
        ):
            assert got[table] == want[table], table
        assert got["slack_installations"] == []  # test:guild-a is not a Slack workspace


async def test_sqlite_helper_fixture_is_untouched(tmp_path) -> None:
    async with fresh_sqlite(tmp_path) as url:
        assert (await everything(url))["members"] == []

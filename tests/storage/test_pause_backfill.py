"""The pauses migration keeps the days a pause held before it: one row per paused member, from
the day after their last check-in on or before the pause's end (or the end itself), to the end."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from storage.db import make_engine
from storage.migrate import upgrade
from tests.conftest import backends
from tests.databases import fresh_database

MEMBER = text(
    "INSERT INTO members (id, community_id, platform, workspace_id, user_id, timezone, timezone_source,"
    " hours_per_week, checkin_time, checkin_days, nudge_weekday, paused_until, dm_blocked_notice,"
    " created_at) VALUES (:id, 1, 'discord', 'g1', :user, 'UTC', 'default', 5, '19:00', '0123456', 6,"
    " :until, false, '2026-11-01 00:00:00')"
)


@pytest.mark.parametrize("kind", backends())
async def test_the_migration_backfills_one_pause_per_paused_member(kind, tmp_path):
    async with fresh_database(kind, tmp_path, migrate=False) as url:
        await upgrade(url, "0004_concurrency")
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO communities (id, platform, workspace_id, name, defaults, created_at) "
                        "VALUES (1, 'discord', 'g1', '', '{}', '2026-11-01 00:00:00')"
                    )
                )
                for mid, until in ((1, date(2026, 11, 20)), (2, date(2026, 11, 18)), (3, None)):
                    await conn.execute(
                        MEMBER,
                        {"id": mid, "user": f"u{mid}", "until": until},
                    )
                # Member 1 logged on the 10th and 12th, and on the 25th (after the pause's end).
                for day in (date(2026, 11, 10), date(2026, 11, 12), date(2026, 11, 25)):
                    await conn.execute(
                        text(
                            "INSERT INTO checkins (member_id, local_date, kind, minutes, note, topics,"
                            " created_at) VALUES (1, :d, 'study', 30, '', '[]', '2026-11-01 00:00:00')"
                        ),
                        {"d": day},
                    )
            await upgrade(url)
            async with engine.connect() as conn:
                rows = (
                    await conn.execute(text('SELECT member_id, start, "end" FROM pauses ORDER BY member_id'))
                ).all()
        finally:
            await engine.dispose()
    got = [(m, date.fromisoformat(str(s)), date.fromisoformat(str(e))) for m, s, e in rows]
    assert got == [
        (1, date(2026, 11, 13), date(2026, 11, 20)),
        (2, date(2026, 11, 18), date(2026, 11, 18)),
    ]

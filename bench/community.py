"""8. Community: a leaderboard read with the caller's rank, and building the weekly digest.

One community of N members (bulk-loaded): 60% opted in, 70% studied this week with week,
month and all-time totals, a few days of check-ins each for streaks, and plans with topics
finished this week. The leaderboard is timed through the engine, as a member's /leaderboard
(the caller's rank included), for random callers, opted in or not; the digest is built as the
claim pass builds it, community card included. Targets: p99 < 20 ms for the board, < 1 s for the digest.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from sqlalchemy import text

from bench.bulk import BulkLoader
from bench.context import Bench
from bench.seed import T0, ZONES, _fix_sequences, bench_settings
from bench.stats import Latency, figure
from bot.core.call import Context
from bot.core.clock import FrozenClock
from bot.core.community import digest, leaderboard, study_totals
from bot.core.identity import MemberKey
from bot.runtime import App, build_app
from storage.models import CheckIn, Community, Member, Plan, PlanItem, StudyTotal

WS = "bench-community"
CALLS = 300
CHUNK = 10_000
NOW = T0 + timedelta(days=4, hours=18)  # a Friday evening, UTC


async def seed_community(url: str, n: int, rng: random.Random) -> None:
    app = build_app(bench_settings(url), clock=FrozenClock(NOW))
    engine = app.db
    zones = [z for z, _ in ZONES]
    today = NOW.date()
    async with BulkLoader(engine) as loader:
        await loader.load(
            Community.__table__,
            [
                {
                    "id": 1,
                    "platform": "discord",
                    "workspace_id": WS,
                    "name": "Bench",
                    "paper_channel_id": None,
                    "defaults": {},
                    "created_at": T0,
                    "digest_channel_id": "C1",
                    "digest_weekday": 6,
                    "digest_time": "18:00",
                    "digest_enabled": True,
                    "leaderboard_enabled": True,
                }
            ],
        )
        plan_id = item_id = checkin_id = 0
        for first in range(1, n + 1, CHUNK):
            ids = range(first, min(n, first + CHUNK - 1) + 1)
            members, totals, checkins, plans, items = [], [], [], [], []
            for mid in ids:
                opted = rng.random() < 0.6
                members.append(
                    {
                        "id": mid,
                        "community_id": 1,
                        "platform": "discord",
                        "workspace_id": WS,
                        "user_id": str(mid),
                        "timezone": rng.choice(zones),
                        "timezone_source": "default",
                        "hours_per_week": 5.0,
                        "checkin_time": "19:00",
                        "checkin_days": "0123456",
                        "nudge_weekday": 6,
                        "dm_blocked_notice": False,
                        "community_opt_in": opted,
                        "display_name": f"Learner {mid}",
                        "created_at": T0,
                    }
                )
                entries = []
                if rng.random() < 0.7:
                    for back in range(rng.randrange(1, 5)):
                        entries.append((mid, today - timedelta(days=back), rng.randrange(10, 180)))
                entries.append((mid, today - timedelta(days=9), rng.randrange(10, 120)))
                for m, d, minutes in entries:
                    checkin_id += 1
                    checkins.append(
                        {
                            "id": checkin_id,
                            "member_id": m,
                            "local_date": d,
                            "kind": "study",
                            "minutes": minutes,
                            "note": "",
                            "topics": [],
                            "source": None,
                            "created_at": T0,
                        }
                    )
                totals += study_totals.rows_for(entries, {mid: (1, opted)})
                if rng.random() < 0.2:
                    plan_id += 1
                    plans.append(
                        {
                            "id": plan_id,
                            "member_id": mid,
                            "kind": "roadmap",
                            "ref_id": "mlops",
                            "title": "MLOps",
                            "status": "active",
                            "hours_per_week": 5.0,
                            "start_date": today - timedelta(days=30),
                            "created_at": T0,
                        }
                    )
                    finished = rng.random() < 0.05
                    for pos in range(10):
                        item_id += 1
                        done = finished or pos < rng.randrange(0, 6)
                        items.append(
                            {
                                "id": item_id,
                                "plan_id": plan_id,
                                "week": pos + 1,
                                "position": pos,
                                "roadmap_id": "mlops",
                                "topic_id": f"t{pos}",
                                "hours": 2.0,
                                "state": "done" if done else "todo",
                                "updated_at": NOW - timedelta(days=rng.randrange(0, 20)) if done else None,
                            }
                        )
            await loader.load(Member.__table__, members)
            await loader.load(CheckIn.__table__, checkins)
            await loader.load(StudyTotal.__table__, totals)
            await loader.load(Plan.__table__, plans)
            await loader.load(PlanItem.__table__, items)
    await _fix_sequences(engine)
    # What autovacuum would have done by the time a bulk-loaded community is read (on PostgreSQL,
    # VACUUM also marks pages all-visible, so the rank count is an index-only scan).
    async with engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await auto.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    await app.close()


async def board_plans(app: App) -> list[str]:
    """How the database runs the board's statements: the top rows (an index range read and a
    primary-key lookup per shown member), the caller's minutes and rank (one count over the ranking
    index), the shown members' recent check-ins and pauses, and their older check-ins (read only
    for a streak that may reach back past the recent window)."""
    lines: list[str] = []
    dialect = app.db.dialect
    key = study_totals.week_key(NOW.date())
    async with app.db.connect() as conn:
        since = leaderboard.window_start(NOW)
        for name, stmt in leaderboard.board_statements(1, key, member_id=60, since=since).items():
            sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            if dialect.name == "sqlite":
                rows = await conn.execute(text("EXPLAIN QUERY PLAN " + sql))
                lines += [f"{name}: {r[3]}" for r in rows]
            else:
                rows = await conn.execute(text("EXPLAIN " + sql))
                lines += [f"{name}: {r[0]}" for r in rows]
    return lines


async def run(b: Bench) -> None:
    n = b.sizes.community_members
    for kind in b.backends():
        async with b.database(kind, "community") as url:
            rng = random.Random(20261202)
            started = time.perf_counter()
            await seed_community(url, n, rng)
            print(f"  [{kind}] seeded {n:,} members in {time.perf_counter() - started:.1f} s", flush=True)
            app = build_app(bench_settings(url), clock=FrozenClock(NOW), catalog=b.catalog)
            try:
                print(f"  [{kind}] leaderboard query plans:")
                for line in await board_plans(app):
                    print(f"      {line}")
                lat = Latency()
                periods = ("week", "month", "all")
                for i in range(CALLS):
                    caller = MemberKey("discord", WS, str(rng.randrange(1, n + 1)))
                    t = time.perf_counter()
                    reply = await app.engine.command(
                        caller, "leaderboard", {"period": periods[i % 3]}, Context(display_name="x")
                    )
                    lat.samples.append((time.perf_counter() - t) * 1000)
                    assert not reply.error, reply
                b.add(
                    figure(
                        "10 community",
                        f"{kind}: /leaderboard + caller's rank, {n:,} members, p50",
                        "ms",
                        [lat.p50],
                    )
                )
                b.add(
                    figure(
                        "10 community",
                        f"{kind}: /leaderboard + caller's rank, {n:,} members, p99",
                        "ms",
                        [lat.p99],
                        target="< 20 ms",
                        met=lat.p99 < 20,
                        note=f"{CALLS} calls through the engine, week/month/all",
                    )
                )
                builds = []
                for _ in range(5):
                    async with app.sessions() as s:
                        community = await s.get(Community, 1)
                        assert community is not None
                        t = time.perf_counter()
                        reply = await digest.build(s, app.catalog, community, NOW, with_card=True)
                        builds.append(time.perf_counter() - t)
                b.add(
                    figure(
                        "10 community",
                        f"{kind}: build the weekly digest, {n:,} members",
                        "s",
                        builds,
                        target="< 1 s",
                        met=max(builds) < 1.0,
                        note=f"{'with' if reply.images else 'WITHOUT'} the card; {reply.cards[0].body[:50]}",
                    )
                )
            finally:
                await app.close()

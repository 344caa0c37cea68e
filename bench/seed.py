"""Seeds a database with a realistic member population, in bulk.

A few template members are made through the real engine (settings, a plan from
/learn, four weeks of check-ins). Their rows are then copied to a share of the
bulk members with SQLAlchemy Core executemany, so every copied history is one the
engine itself wrote. Everyone gets schedules with next due times computed by the
same code the bot uses. A fixed random seed makes every run seed the same data.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.bulk import BulkLoader
from bot.config import Settings
from bot.core.clock import FrozenClock
from bot.core.domain import schedule
from bot.core.identity import MemberKey
from bot.runtime import build_app
from content.schema import Catalog
from storage.models import CheckIn, Community, Member, Plan, PlanItem, Schedule, StudyTotal

# A Monday in autumn, inside DST for neither hemisphere's switch weeks.
T0 = datetime(2026, 10, 12, 0, 0, tzinfo=UTC)
SEED = 20260101
CHUNK = 20_000

# Where learners are, roughly: weights per IANA zone.
ZONES: tuple[tuple[str, int], ...] = (
    ("Asia/Kolkata", 22),
    ("America/New_York", 12),
    ("America/Los_Angeles", 8),
    ("America/Chicago", 5),
    ("Europe/London", 7),
    ("Europe/Berlin", 9),
    ("Europe/Paris", 4),
    ("Asia/Shanghai", 5),
    ("Asia/Singapore", 3),
    ("Asia/Tokyo", 3),
    ("Asia/Jakarta", 3),
    ("America/Sao_Paulo", 5),
    ("Africa/Lagos", 4),
    ("Africa/Nairobi", 2),
    ("Australia/Sydney", 2),
    ("Asia/Dubai", 2),
    ("America/Mexico_City", 2),
    ("Asia/Kathmandu", 1),
    ("UTC", 1),
)
# Check-in times cluster on the hour and half hour in the evening; 19:00 is the default.
TIMES: tuple[tuple[str, int], ...] = (
    ("19:00", 30),
    ("20:00", 12),
    ("21:00", 10),
    ("18:00", 8),
    ("07:00", 6),
    ("08:00", 6),
    ("09:00", 4),
    ("12:30", 4),
    ("22:00", 4),
    ("19:30", 4),
    ("06:30", 3),
    ("20:30", 3),
    ("17:15", 2),
    ("23:45", 2),
    ("13:05", 2),
)
TEMPLATE_ROADMAPS = ("ai-engineer", "ml-engineer", "prompt-engineering", "developer-fast-track", "mlops")


@dataclass
class Population:
    members: int
    history_share: float = 0.5
    communities: int = 20
    platform: str = "discord"
    seed: int = SEED
    template_days: int = 28
    templates: int = len(TEMPLATE_ROADMAPS)


@dataclass
class Seeded:
    url: str
    members: int
    with_history: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    history_members: list[MemberKey] = field(default_factory=list)
    plain_members: list[MemberKey] = field(default_factory=list)


def bench_settings(url: str, **overrides: Any) -> Settings:
    return Settings(_env_file=None, database_url=url, scheduler_enabled=False, **overrides)


def member_key(platform: str, community: int, user: int) -> MemberKey:
    return MemberKey(platform, f"w{community}", f"u{user}")


async def _templates(url: str, catalog: Catalog, pop: Population) -> list[int]:
    """Members made through the engine: a plan and four weeks of check-ins each."""
    rng = random.Random(pop.seed)
    clock = FrozenClock(T0 - timedelta(days=28))
    app = build_app(bench_settings(url), clock=clock, catalog=catalog)
    try:
        roadmaps = TEMPLATE_ROADMAPS[: pop.templates]
        keys = [MemberKey(pop.platform, "template", f"t{i}") for i in range(len(roadmaps))]
        for key, roadmap in zip(keys, roadmaps, strict=True):
            await app.engine.command(key, "settings", {"hours_per_week": rng.choice([3, 5, 8, 10])})
            reply = await app.engine.action(key, f"learn:enrol:{roadmap}")
            assert not reply.error, reply
        for day in range(28 - pop.template_days, 28):
            clock.set(T0 - timedelta(days=28 - day) + timedelta(hours=20))
            for key in keys:
                if rng.random() < 0.65:
                    minutes = rng.choice([15, 20, 30, 45, 60, 90])
                    await app.engine.command(key, "checkin", {"minutes": minutes, "note": "worked on it"})
        async with app.sessions() as s:
            ids = (await s.execute(select(Member.id).where(Member.workspace_id == "template"))).scalars()
            return sorted(ids)
    finally:
        await app.close()


async def _rows_of(engine: AsyncEngine, table: Any, column: Any, ids: list[int]) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        result = await conn.execute(select(table).where(column.in_(ids)))
        return [dict(r._mapping) for r in result]


async def _max_id(engine: AsyncEngine, column: Any) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.coalesce(func.max(column), 0)))).scalar_one()


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...], n: int) -> list[str]:
    values = [c for c, _ in choices]
    weights = [w for _, w in choices]
    return rng.choices(values, weights, k=n)


def due_times(tz: str, at: str, nudge_weekday: int, now: datetime) -> dict[str, datetime | None]:
    m = SimpleNamespace(
        timezone=tz,
        checkin_time=at,
        checkin_days="0123456",
        nudge_weekday=nudge_weekday,
        quiet_start=None,
        quiet_end=None,
        paused_until=None,
    )
    return {s: schedule.next_due(m, s, now, None) for s in ("checkin", "nudge", "paper")}  # type: ignore[arg-type]


def _member_chunks(pop: Population, first_id: int, now: datetime) -> Iterator[list[dict[str, Any]]]:
    rng = random.Random(pop.seed + 1)
    for start in range(0, pop.members, CHUNK):
        n = min(CHUNK, pop.members - start)
        zones = _weighted(rng, ZONES, n)
        times = _weighted(rng, TIMES, n)
        chunk = []
        for i in range(n):
            idx = start + i
            community = idx % pop.communities
            chunk.append(
                {
                    "id": first_id + idx,
                    "community_id": community + 1,
                    "platform": pop.platform,
                    "workspace_id": f"w{community}",
                    "user_id": f"u{idx}",
                    "timezone": zones[i],
                    "timezone_source": "platform",
                    "hours_per_week": 5.0,
                    "checkin_time": times[i],
                    "checkin_days": "0123456",
                    "nudge_weekday": rng.randrange(7) if rng.random() < 0.3 else 6,
                    "quiet_start": None,
                    "quiet_end": None,
                    "paused_until": None,
                    "dm_channel_id": None,
                    "dm_blocked_reason": None,
                    "dm_blocked_notice": False,
                    "community_opt_in": False,
                    "review_retention": 0.9,
                    "review_daily_limit": 5,
                    "images_enabled": True,
                    "created_at": now - timedelta(days=rng.randrange(30, 400)),
                    "last_active_at": now - timedelta(hours=rng.randrange(1, 24 * 30)),
                }
            )
        yield chunk


async def _fix_sequences(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        return
    async with engine.begin() as conn:
        for table in ("communities", "members", "plans", "plan_items", "checkins"):
            await conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )


async def seed(url: str, catalog: Catalog, pop: Population, now: datetime = T0) -> Seeded:
    """Fill an empty, migrated database; returns ids of members with and without history."""
    started = time.perf_counter()
    if pop.members <= 200:  # smoke-test sizes: a short history is enough to exercise the code
        pop = replace(pop, template_days=3, templates=2)
    template_ids = await _templates(url, catalog, pop)
    app = build_app(bench_settings(url), catalog=catalog)
    engine = app.db
    try:
        plans = await _rows_of(engine, Plan, Plan.member_id, template_ids)
        plan_items = await _rows_of(engine, PlanItem, PlanItem.plan_id, [p["id"] for p in plans])
        checkins = await _rows_of(engine, CheckIn, CheckIn.member_id, template_ids)
        totals = await _rows_of(engine, StudyTotal, StudyTotal.member_id, template_ids)
        items_by_plan: dict[int, list[dict[str, Any]]] = {}
        for row in plan_items:
            items_by_plan.setdefault(row["plan_id"], []).append(row)
        loader = await BulkLoader(engine).__aenter__()
        by_template = [
            (
                [
                    (
                        loader.prepare(Plan.__table__, [p])[0],
                        loader.prepare(PlanItem.__table__, items_by_plan.get(p["id"], [])),
                    )
                    for p in plans
                    if p["member_id"] == t
                ],
                loader.prepare(CheckIn.__table__, [c for c in checkins if c["member_id"] == t]),
                loader.prepare(StudyTotal.__table__, [r for r in totals if r["member_id"] == t]),
            )
            for t in template_ids
        ]
        plan_id, plan_member = loader.index(Plan.__table__, "id"), loader.index(Plan.__table__, "member_id")
        item_id, item_plan = (
            loader.index(PlanItem.__table__, "id"),
            loader.index(PlanItem.__table__, "plan_id"),
        )
        checkin_id = loader.index(CheckIn.__table__, "id")
        checkin_member = loader.index(CheckIn.__table__, "member_id")
        total_member = loader.index(StudyTotal.__table__, "member_id")
        total_community = loader.index(StudyTotal.__table__, "community_id")
        first_community = await _max_id(engine, Community.id) + 1
        await loader.load(
            Community.__table__,
            [
                {
                    "id": first_community + c,
                    "platform": pop.platform,
                    "workspace_id": f"w{c}",
                    "name": f"Community {c}",
                    "paper_channel_id": None,
                    "defaults": {},
                    "created_at": now - timedelta(days=400),
                }
                for c in range(pop.communities)
            ],
        )
        assert first_community == 2, "seed() expects a database holding only the template community"
        first_member = await _max_id(engine, Member.id) + 1
        next_plan = await _max_id(engine, Plan.id) + 1
        next_item = await _max_id(engine, PlanItem.id) + 1
        next_checkin = await _max_id(engine, CheckIn.id) + 1
        rng = random.Random(pop.seed + 2)
        counts = dict.fromkeys(("members", "schedules", "plans", "plan_items", "checkins"), 0)
        result = Seeded(url, pop.members, 0, 0.0)
        due_cache: dict[tuple[str, str, int], dict[str, datetime | None]] = {}
        for chunk in _member_chunks(pop, first_member, now):
            # Community ids in the chunk are 1-based offsets; shift them past the template community.
            for m in chunk:
                m["community_id"] += first_community - 1
            sched: list[dict[str, Any]] = []
            new_plans: list[list[Any]] = []
            new_items: list[list[Any]] = []
            new_checkins: list[list[Any]] = []
            new_totals: list[list[Any]] = []
            for m in chunk:
                ck = (m["timezone"], m["checkin_time"], m["nudge_weekday"])
                due = due_cache.get(ck)
                if due is None:
                    due = due_cache[ck] = due_times(*ck, now)
                for stream in ("checkin", "nudge", "paper"):
                    sched.append(
                        {
                            "member_id": m["id"],
                            "stream": stream,
                            "enabled": True,
                            "next_due_at": due[stream],
                            "disabled_reason": None,
                            "updated_at": now,
                        }
                    )
                sched.append(
                    {
                        "member_id": m["id"],
                        "stream": "reassess",
                        "enabled": True,
                        "next_due_at": None,
                        "disabled_reason": None,
                        "updated_at": now,
                    }
                )
                if rng.random() >= pop.history_share:
                    if len(result.plain_members) < 5000:
                        result.plain_members.append(MemberKey(pop.platform, m["workspace_id"], m["user_id"]))
                    continue
                result.with_history += 1
                if len(result.history_members) < 5000:
                    result.history_members.append(MemberKey(pop.platform, m["workspace_id"], m["user_id"]))
                t_plans, t_checkins, t_totals = by_template[rng.randrange(len(by_template))]
                for p, items in t_plans:
                    row = p[:]
                    row[plan_id], row[plan_member] = next_plan, m["id"]
                    new_plans.append(row)
                    for item in items:
                        row = item[:]
                        row[item_id], row[item_plan] = next_item, next_plan
                        new_items.append(row)
                        next_item += 1
                    next_plan += 1
                for c in t_checkins:
                    row = c[:]
                    row[checkin_id], row[checkin_member] = next_checkin, m["id"]
                    new_checkins.append(row)
                    next_checkin += 1
                for total in t_totals:
                    row = total[:]
                    row[total_member], row[total_community] = m["id"], m["community_id"]
                    new_totals.append(row)
            await loader.load(Member.__table__, chunk)
            await loader.load(Schedule.__table__, sched)
            await loader.load_values(Plan.__table__, new_plans)
            await loader.load_values(PlanItem.__table__, new_items)
            await loader.load_values(CheckIn.__table__, new_checkins)
            await loader.load_values(StudyTotal.__table__, new_totals)
            for name, rows in (
                ("members", chunk),
                ("schedules", sched),
                ("plans", new_plans),
                ("plan_items", new_items),
                ("checkins", new_checkins),
            ):
                counts[name] += len(rows)
        await loader.__aexit__(None, None, None)
        await _fix_sequences(engine)
        if engine.dialect.name == "sqlite":
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        else:
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("ANALYZE"))
        result.rows = counts
    finally:
        await app.close()
    result.seconds = time.perf_counter() - started
    return result

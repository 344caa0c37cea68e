"""8. Study buddies: matching a round of 10,000 opted-in members (target < 5 s), and the whole
round on SQLite (candidates read, matched off the loop, pairings and intros written)."""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from bench.context import Bench
from bench.stats import figure
from bot.core.community import buddy_match
from bot.core.community.buddy_rounds import plan_round, write_round
from storage.db import make_engine, make_sessionmaker
from storage.models import BuddyProfile, Community, CommunityCircle, Member, Plan

TARGET_SECONDS = 5.0
ROUND = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
ZONES = (
    "America/Los_Angeles", "America/New_York", "America/Sao_Paulo", "Europe/London", "Europe/Berlin",
    "Africa/Lagos", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney", "UTC",
)  # fmt: skip


def population(
    n: int, tracks: list[str], seed: int = 7
) -> tuple[list[buddy_match.Candidate], set[frozenset[int]]]:
    rng = random.Random(seed)
    people = [
        buddy_match.Candidate(
            member_id=i,
            track=rng.choice(tracks) if rng.random() < 0.9 else None,
            level=rng.randint(1, 3),
            zone=rng.choice(ZONES),
            waiting=rng.random() < 0.03,
        )
        for i in range(1, n + 1)
    ]
    # Eight weeks of earlier rounds: about four past buddies each.
    recent = {frozenset((i, rng.randint(1, n))) for i in range(1, n + 1) for _ in range(4)}
    return people, recent


async def _seed_round(url: str, n: int, tracks: list[str]) -> int:
    rng = random.Random(11)
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            cid = (
                await conn.execute(
                    insert(Community)
                    .values(
                        platform="slack", workspace_id="T-bench", name="bench", defaults={}, created_at=ROUND
                    )
                    .returning(Community.id)
                )
            ).scalar_one()
            await conn.execute(
                insert(CommunityCircle).values(
                    community_id=cid, milestones_enabled=True, buddies_enabled=True, buddy_every_weeks=1,
                    next_buddy_round_at=ROUND, updated_at=ROUND,
                )
            )  # fmt: skip
            for start in range(0, n, 2000):
                ids = range(start + 1, min(n, start + 2000) + 1)
                members = [
                    {"community_id": cid, "platform": "slack", "workspace_id": "T-bench", "user_id": f"U{i}",
                     "timezone": rng.choice(ZONES), "created_at": ROUND}
                    for i in ids
                ]  # fmt: skip
                new = (await conn.execute(insert(Member).returning(Member.id), members)).scalars().all()
                profile = {"community_id": cid, "active": True, "every_weeks": 1, "joined_at": ROUND}
                await conn.execute(
                    insert(BuddyProfile),
                    [profile | {"member_id": m, "display_name": f"M{m}", "updated_at": ROUND} for m in new],
                )
                plan = {"kind": "roadmap", "title": "t", "status": "active", "hours_per_week": 5.0}
                start = {"start_date": date(2026, 11, 2), "created_at": ROUND}
                await conn.execute(
                    insert(Plan),
                    [plan | start | {"member_id": m, "ref_id": rng.choice(tracks)} for m in new],
                )
        return cid
    finally:
        await engine.dispose()


async def run(b: Bench) -> None:
    n = b.sizes.buddy_members
    tracks = [r.id for r in b.catalog.roadmap_list()] + [p.id for p in b.catalog.path_list()]
    people, recent = population(n, tracks)
    seconds, pairs = [], 0
    for _ in range(b.sizes.repeats):
        buddy_match.shared_hours.cache_clear()
        started = time.perf_counter()
        found, _left = buddy_match.match(people, ROUND.date(), recent)
        seconds.append(time.perf_counter() - started)
        pairs = len(found)
    b.add(
        figure(
            "11 buddies",
            f"matching {n:,} opted-in members",
            "s",
            seconds,
            target=f"< {TARGET_SECONDS:g} s",
            met=max(seconds) < TARGET_SECONDS,
            note=f"{pairs:,} pairs, {n - 2 * pairs} left out, blocks of {buddy_match.BLOCK}",
        )
    )
    async with b.database("sqlite", f"buddies{n}") as url:
        cid = await _seed_round(url, n, tracks)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        try:
            now = ROUND + timedelta(seconds=1)
            started = time.perf_counter()
            async with sessions() as session:
                circle = await session.get(CommunityCircle, cid)
                assert circle is not None
                plan = await plan_round(session, b.catalog, circle, now)
            read = time.perf_counter() - started
            written = time.perf_counter()
            async with sessions() as session, session.begin():
                circle = await session.get(CommunityCircle, cid)
                assert circle is not None
                result = await write_round(session, plan, circle, now)
            write = time.perf_counter() - written
            took = time.perf_counter() - started
        finally:
            await engine.dispose()
    assert result is not None
    b.add(
        figure(
            "11 buddies",
            f"whole round on SQLite, {n:,} members",
            "s",
            [took],
            note=f"read and match {read:.1f} s, then one write transaction of {write:.2f} s: "
            f"{result.pairs:,} pairs and intros, {result.left_out} told they were left out",
        )
    )

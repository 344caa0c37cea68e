"""8. Spaced review: the p99 of /review's next-card read and of recording a rating, with N members
holding 50 cards each, and what counting due cards adds to a peak-minute claim pass.

Card rows are bulk-loaded (a tenth of each member's cards due now, the rest spread over the
coming months), with each card's latest rating in the review log. Both operations run through
the engine, as a member's button press does: one hand-off to the database thread, one
transaction. The due counts of a peak minute's check-ins are read as the dispatcher reads
them, in its member load of each claimed chunk; what they add is compared with the claim pass
that queued the same minute.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, text

from bench.bulk import BulkLoader
from bench.context import Bench
from bench.scheduling import worst_minute
from bench.seed import T0, Population, bench_settings, seed
from bench.stats import Latency, figure
from bot.core.call import Call
from bot.core.clock import FrozenClock
from bot.core.features.reminders import handlers as reminders
from bot.core.identity import MemberKey
from bot.core.replies import choices_of
from bot.runtime import build_app
from bot.scheduler.dispatcher import CLAIM_CHUNK
from content.schema import Catalog, ReviewCard
from storage import review_queries
from storage.models import Member, OutboxMessage, ReviewCardState, ReviewLogEntry

CARDS_PER_MEMBER = 50
DUE_SHARE = 0.1
CHUNK = 20_000
WARMUP = 20
REPEATS = 5


def with_cards(catalog: Catalog) -> Catalog:
    """The catalogue with three cards for any topic that has none, so every member has 50 to show."""
    cards = dict(catalog.cards)
    for roadmap in catalog.roadmap_list():
        for t in roadmap.topics:
            if t.id not in cards:
                cards[t.id] = tuple(
                    ReviewCard(
                        id=f"{t.id}-{n}",
                        topic=t.id,
                        prompt=f"Why does {t.title} matter here?",
                        answer="A short answer.",
                    )
                    for n in (1, 2, 3)
                )
    return catalog.model_copy(update={"cards": cards})


def _card_pool(catalog: Catalog) -> list[ReviewCard]:
    pool = [c for cs in catalog.cards.values() for c in cs]
    return sorted(pool, key=lambda c: c.id)[: max(CARDS_PER_MEMBER, 1)]


async def _load_cards(app: Any, members: list[int], pool: list[ReviewCard]) -> float:
    rng = random.Random(7)
    started = time.perf_counter()
    async with app.db.begin() as conn:  # the seed's template members queued a few already
        await conn.execute(delete(ReviewCardState.__table__))
        await conn.execute(delete(ReviewLogEntry.__table__))
    # Each card's latest rating is in the log too, as it would be for a member who rated it.
    rows: list[dict[str, Any]] = []
    logs: list[dict[str, Any]] = []
    logged = 0
    async with BulkLoader(app.db) as loader:
        for member_id in members:
            for c in pool:
                due_now = rng.random() < DUE_SHARE
                due = (
                    T0 - timedelta(hours=rng.randint(1, 48))
                    if due_now
                    else T0 + timedelta(days=rng.randint(1, 120))
                )
                last_review = T0 - timedelta(days=rng.randint(1, 60))
                rows.append(
                    {
                        "member_id": member_id,
                        "card_id": c.id,
                        "topic_id": c.topic,
                        "state": 2,
                        "step": None,
                        "stability": rng.uniform(1, 60),
                        "difficulty": rng.uniform(1, 9),
                        "due": due,
                        "last_review": last_review,
                        "reps": rng.randint(1, 8),
                        "lapses": 0,
                        "created_at": T0 - timedelta(days=90),
                    }
                )
                logs.append(
                    {
                        "id": len(logs) + logged + 1,
                        "member_id": member_id,
                        "card_id": c.id,
                        "topic_id": c.topic,
                        "rating": 3,
                        "reviewed_at": last_review,
                        "due_before": last_review,
                        "due_after": due,
                    }
                )
                if len(rows) >= CHUNK:
                    await loader.load(ReviewCardState.__table__, rows)
                    await loader.load(ReviewLogEntry.__table__, logs)
                    logged += len(logs)
                    rows, logs = [], []
        await loader.load(ReviewCardState.__table__, rows)
        await loader.load(ReviewLogEntry.__table__, logs)
    # What autovacuum (or SQLite's optimize) does after a load: statistics, and on PostgreSQL
    # the visibility map that lets the counts read the index alone.
    async with app.db.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        postgres = app.db.dialect.name == "postgresql"
        for table in ("review_cards", "review_logs"):
            await conn.execute(text(f"{'VACUUM ' if postgres else ''}ANALYZE {table}"))
        if postgres:
            await conn.execute(
                text("SELECT setval(pg_get_serial_sequence('review_logs', 'id'), max(id)) FROM review_logs")
            )
    return time.perf_counter() - started


async def claimed_chunks(app: Any) -> list[list[int]]:
    """The members of the queued check-ins, in the chunks the dispatcher claims them in."""
    async with app.sessions() as s:
        members = (
            await s.execute(
                select(OutboxMessage.member_id)
                .where(OutboxMessage.status == "pending", OutboxMessage.stream == "checkin")
                .order_by(OutboxMessage.not_before, OutboxMessage.id)
            )
        ).scalars()
        ids = [m for m in members if m is not None]
    return [ids[i : i + CLAIM_CHUNK] for i in range(0, len(ids), CLAIM_CHUNK)]


# The same member load without the count column, for what the column alone adds.
PLAIN_LOAD = select(Member).where(Member.id.in_(bindparam("member_ids", expanding=True)))


async def member_load(app: Any, chunk: list[int], now: datetime | None) -> float:
    """Seconds of one chunk's member load in a transaction of its own, as a claim's is: with
    the due counts as `_load_related` runs it, or without them (`now` None)."""
    async with app.sessions() as s, s.begin():
        started = time.perf_counter()
        if now is None:
            list((await s.execute(PLAIN_LOAD, {"member_ids": sorted(chunk)})).scalars())
        else:
            await review_queries.members_with_due(s, set(chunk), now)
        return time.perf_counter() - started


async def count_in_claims(app: Any, chunks: list[list[int]], now: datetime) -> tuple[float, float]:
    """Seconds of every chunk's member load (with the due counts, without them). Best of
    REPEATS passes, alternating which goes first, so that neither runs warmer and the other
    work on a shared machine weighs less."""
    best = {True: float("inf"), False: float("inf")}
    for rep in range(REPEATS):
        for counted in (True, False) if rep % 2 else (False, True):
            took = [await member_load(app, chunk, now if counted else None) for chunk in chunks]
            best[counted] = min(best[counted], sum(took))
    return best[True], best[False]


async def due_now_plan(engine: Any, member_ids: list[int]) -> list[str]:
    """How the database runs a chunk's member load with the due counts: a range scan of
    ix_review_cards_member_due per member."""
    stmt = review_queries.MEMBERS_WITH_DUE.params(member_ids=sorted(member_ids), now=T0)
    compiled = str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return [r[3] for r in await conn.execute(text("EXPLAIN QUERY PLAN " + compiled))]
        return [r[0] for r in await conn.execute(text("EXPLAIN ANALYZE " + compiled))]


async def run(b: Bench) -> None:
    n = b.sizes.review_members
    samples = b.sizes.review_samples
    catalog = with_cards(b.catalog)
    pool = _card_pool(catalog)
    for kind in b.backends():
        async with b.database(kind, "review") as url:
            seeded = await seed(url, catalog, Population(n, history_share=0.0))
            clock = FrozenClock(T0)
            app = build_app(bench_settings(url), clock=clock, catalog=catalog)
            try:
                async with app.sessions() as s:
                    found = (
                        await s.execute(
                            select(Member.id, Member.platform, Member.workspace_id, Member.user_id)
                        )
                    ).all()
                took = await _load_cards(app, [m.id for m in found], pool)
                print(
                    f"  [{kind}] {seeded.members:,} members, {len(found) * len(pool):,} card rows "
                    f"loaded in {took:.1f} s",
                    flush=True,
                )
                keys = [MemberKey(m.platform, m.workspace_id, m.user_id) for m in found]
                rng = random.Random(11)
                read, rate = Latency(), Latency()
                for key in keys[:WARMUP]:  # statement caches and the database thread warm up first
                    await app.engine.command(key, "review")
                for key in rng.sample(keys[WARMUP:], min(samples, len(keys) - WARMUP)):
                    started = time.perf_counter()
                    shown = await app.engine.command(key, "review")
                    read.samples.append((time.perf_counter() - started) * 1000)
                    show = next((a for label, a in choices_of(shown) if label == "Show answer"), None)
                    if show is None:
                        continue
                    card_id, reps = show.split("~")[0].split(":")[2:4]
                    started = time.perf_counter()
                    rated = await app.engine.action(key, f"review:rate:{card_id}:{reps}:good")
                    rate.samples.append((time.perf_counter() - started) * 1000)
                    assert not rated.error, rated
                label = f"{len(found):,} members x {len(pool)} cards"
                b.add(
                    figure(
                        "8 review",
                        f"{kind}: /review next card p99, {label}",
                        "ms",
                        [read.p99],
                        target="< 10 ms",
                        met=read.p99 < 10,
                        note=f"p50 {read.p50:.2f} ms over {len(read.samples)} calls",
                    )
                )
                b.add(
                    figure(
                        "8 review",
                        f"{kind}: record a rating p99, {label}",
                        "ms",
                        [rate.p99],
                        target="< 10 ms",
                        met=rate.p99 < 10,
                        note=f"p50 {rate.p50:.2f} ms over {len(rate.samples)} ratings",
                    )
                )
                peak = min(b.sizes.worst_minute, len(found))
                claim_s, queued = await worst_minute(app, clock, peak)
                chunks = await claimed_chunks(app)
                for line in await due_now_plan(app.db, chunks[0]):
                    print(f"  [{kind}] due count plan: {line}", flush=True)
                counted_s, plain_s = await count_in_claims(app, chunks, clock.now())
                added = counted_s - plain_s
                share = added / claim_s if claim_s else float("inf")
                b.add(
                    figure(
                        "8 review",
                        f"{kind}: due counts in the dispatcher's member loads, peak minute of "
                        f"{sum(map(len, chunks)):,} check-ins",
                        "s",
                        [added],
                        target="< 20 % of the claim pass",
                        met=share < 0.2,
                        note=f"{share:.1%} of the claim pass ({claim_s:.2f} s, {queued:,} queued); "
                        f"member loads {counted_s:.3f} s with the count column, {plain_s:.3f} s without "
                        f"({len(chunks)} chunks of {CLAIM_CHUNK}, best of {REPEATS})",
                    )
                )
                ids = [m.id for m in found[:peak]]
                build, count = Latency(), Latency()
                for member_id, key in rng.sample(list(zip(ids, keys, strict=False)), min(samples, len(ids))):
                    async with app.sessions() as s:
                        member = await s.get(Member, member_id)
                        call = Call(s, catalog, FrozenClock(clock.now()), key, _member=member)
                        started = time.perf_counter()
                        await reminders.checkin_reply(call, member, call.today(member))
                        build.samples.append((time.perf_counter() - started) * 1000)
                        started = time.perf_counter()
                        await review_queries.due_count(s, member_id, clock.now())
                        count.samples.append((time.perf_counter() - started) * 1000)
                b.add(
                    figure(
                        "8 review",
                        f"{kind}: a check-in built without the dispatcher's count, the count's share",
                        "%",
                        [100 * count.p50 / build.p50 if build.p50 else 0.0],
                        note=f"count p50 {count.p50:.2f} ms, whole check-in p50 {build.p50:.2f} ms "
                        "(count included): the console's and a snoozed copy's path",
                    )
                )
            finally:
                await app.close()

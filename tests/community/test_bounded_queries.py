"""The leaderboard and the digest cost the same number of queries at any community size."""

from __future__ import annotations

from sqlalchemy import event, insert, select

from bot.core.call import Call, Context
from bot.core.community import digest, leaderboard, study_totals
from bot.core.identity import MemberKey
from storage.models import Community, Member, StudyTotal
from tests.community.test_leaderboard import driver, log

WS = "guild1"


async def grow(app, n: int, start: int) -> None:
    """n more opted-in members, each with week, month and all-time totals (bulk, like a big server)."""
    now = app.clock.now()
    async with app.sessions() as s, s.begin():
        cid = (await s.execute(select(Community.id).where(Community.workspace_id == WS))).scalar_one()
        members = [
            {
                "community_id": cid,
                "platform": "test",
                "workspace_id": WS,
                "user_id": f"bulk{start + i}",
                "community_opt_in": True,
                "display_name": f"Bulk {start + i}",
                "created_at": now,
            }
            for i in range(n)
        ]
        ids = (await s.execute(insert(Member).returning(Member.id), members)).scalars().all()
        day = now.date()
        rows = study_totals.rows_for(
            [(mid, day, 5 + (k % 300)) for k, mid in enumerate(ids)], {mid: (cid, True) for mid in ids}
        )
        await s.execute(insert(StudyTotal), rows)


async def count_queries(app, work) -> int:
    seen: list[str] = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(app.db.sync_engine, "before_cursor_execute", before)
    try:
        async with app.sessions() as s:
            await work(s)
    finally:
        event.remove(app.db.sync_engine, "before_cursor_execute", before)
    return len(seen)


async def board_and_digest(app) -> tuple[int, int]:
    key = MemberKey("test", WS, "ada")

    async def board(s):
        call = Call(s, app.catalog, app.clock, key, Context())
        reply = await leaderboard.board_reply(call, "week")
        assert len(reply.cards[0].body.splitlines()) == leaderboard.TOP

    async def build(s):
        community = (await s.execute(select(Community).where(Community.workspace_id == WS))).scalar_one()
        await digest.build(s, app.catalog, community, app.clock.now())

    return await count_queries(app, board), await count_queries(app, build)


async def test_query_count_does_not_grow_with_members(app):
    ada = driver(app, "ada")
    await log(ada, 30)
    await ada.say("/settings leaderboard:on")
    await grow(app, 50, 0)
    small = await board_and_digest(app)
    await grow(app, 2000, 50)
    large = await board_and_digest(app)
    assert small == large
    assert large[0] <= 10 and large[1] <= 15

"""The community reading group: weekly post + thread via the outbox, rotation, reads, no repeats."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from bot.core.call import Context
from bot.core.identity import MemberKey
from bot.core.replies import choices_of, render_text
from bot.core.reply_codec import reply_from_dict
from bot.runtime import App
from bot.scheduler.community_papers import enqueue_community_papers
from storage.models import CommunityPaper, CommunityPaperRead, MemberPaper, OutboxMessage
from tests.papers.conftest import enrol, key, set_levels

ADMIN = Context(is_admin=True)


async def set_channel(app: App, who: MemberKey, channel: str = "C123") -> None:
    reply = await app.engine.command(who, "admin", {"action": "paper-channel", "channel": channel}, ADMIN)
    assert not reply.error, render_text(reply)


async def run_job(app: App, catalog=None) -> int:
    async with app.sessions() as session, session.begin():
        return await enqueue_community_papers(session, catalog or app.catalog, app.clock.now())


async def outbox_rows(app: App) -> list[OutboxMessage]:
    async with app.sessions() as session:
        return list((await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def weekly_posts(app: App, weeks: int, catalog=None) -> list[OutboxMessage]:
    for _ in range(weeks):
        await run_job(app, catalog)
        app.clock.advance(timedelta(days=7))
    return await outbox_rows(app)


async def test_post_goes_to_the_outbox_with_thread_and_read_button(app: App) -> None:
    admin = key("admin")
    await set_channel(app, admin, "<#C777>")
    await enrol(app, key("r1"), "ai-red-teaming")
    assert await run_job(app) == 1
    assert await run_job(app) == 0, "one post per ISO week"
    [row] = await outbox_rows(app)
    assert row.key == f"community-paper:{row.community_id}:2026-W45"
    assert (row.platform, row.stream, row.target, row.channel_id) == ("test", "paper", "channel", "C777")
    assert row.member_id is None and row.status == "pending"
    assert row.not_before == app.clock.now() and row.expires_at == app.clock.now() + timedelta(days=2)
    post = reply_from_dict(row.payload["reply"])
    thread = reply_from_dict(row.payload["thread_reply"])
    paper = app.catalog.papers[row.payload["paper_id"]]
    assert not post.private and not thread.private
    assert post.cards[0].title.startswith("📚 Paper of the week: ")
    cp_id = row.payload["community_paper_id"]
    assert ("Read it", f"paper:groupread:{cp_id}") in choices_of(post)
    assert row.payload["thread_name"].startswith("Discussion: ")
    assert len(row.payload["thread_name"]) <= 100
    for q in paper.questions:
        assert q in thread.cards[0].body
    assert "ai-red-teaming" in paper.tracks


async def test_no_channel_no_post(app: App) -> None:
    await enrol(app, key("quiet"), "mlops")
    assert await run_job(app) == 0
    assert await outbox_rows(app) == []


async def test_rotates_across_followed_tracks_and_never_repeats(app: App) -> None:
    await set_channel(app, key("admin"))
    await enrol(app, key("a"), "ai-red-teaming")
    await enrol(app, key("b"), "ai-red-teaming")
    await enrol(app, key("c"), "mlops")
    rows = await weekly_posts(app, 12)
    assert len(rows) == 12
    ids = [r.payload["paper_id"] for r in rows]
    assert len(set(ids)) == 12
    tracks = [app.catalog.papers[i].tracks for i in ids]
    assert "ai-red-teaming" in tracks[0], "the most followed track goes first"
    assert "mlops" in tracks[1], "then the track featured least recently"
    featured = Counter(t for ts in tracks for t in ts if t in {"ai-red-teaming", "mlops"})
    assert featured["ai-red-teaming"] >= 5 and featured["mlops"] >= 5
    assert all({"ai-red-teaming", "mlops"} & set(ts) for ts in tracks)
    assert len({r.key for r in rows}) == 12


async def test_level_suits_the_community(app: App) -> None:
    await set_channel(app, key("admin"))
    for user in ("x", "y", "z"):
        await enrol(app, key(user), "ml-engineer")
    await set_levels(app, key("x"), {"classical-ml": 3, "deep-learning": 3})
    await set_levels(app, key("y"), {"classical-ml": 3, "deep-learning": 3})
    await set_levels(app, key("z"), {"classical-ml": 1})
    rows = await weekly_posts(app, 3)
    assert [app.catalog.papers[r.payload["paper_id"]].level for r in rows] == [3, 3, 3]


async def test_read_button_records_readers_and_next_week_says_how_many(app: App) -> None:
    await set_channel(app, key("admin"))
    await enrol(app, key("a"), "ml-engineer")
    await run_job(app)
    [first] = await outbox_rows(app)
    cp_id = first.payload["community_paper_id"]
    r1 = await app.engine.action(key("a"), f"paper:groupread:{cp_id}")
    assert not r1.error and "first to read" in r1.cards[0].body
    again = await app.engine.action(key("a"), f"paper:groupread:{cp_id}")
    assert not again.error
    r2 = await app.engine.action(key("b"), f"paper:groupread:{cp_id}")
    assert "You and 1 member" in r2.cards[0].body
    async with app.sessions() as s:
        n = (await s.execute(select(func.count()).select_from(CommunityPaperRead))).scalar_one()
        mine = (await s.execute(select(MemberPaper))).scalars().all()
    assert n == 2
    assert {(m.paper_id, m.status) for m in mine} == {(first.payload["paper_id"], "read")}
    # The member's own weekly pick never brings the group's paper back.
    personal = await app.engine.command(key("a"), "paper")
    assert first.payload["paper_id"] not in str(choices_of(personal))

    app.clock.advance(timedelta(days=7))
    await run_job(app)
    second = (await outbox_rows(app))[-1]
    lead = reply_from_dict(second.payload["reply"]).text
    title = app.catalog.papers[first.payload["paper_id"]].title
    assert title in lead and "read by 2 members" in lead


async def test_read_button_from_another_community_or_broken_changes_nothing(app: App) -> None:
    await set_channel(app, key("admin"))
    await enrol(app, key("a"), "ml-engineer")
    await run_job(app)
    [row] = await outbox_rows(app)
    cp_id = row.payload["community_paper_id"]
    outsider = MemberKey("test", "other-workspace", "eve")
    for who, action in (
        (outsider, f"paper:groupread:{cp_id}"),
        (key("a"), "paper:groupread:notanumber"),
        (key("a"), "paper:groupread:99999"),
        (key("a"), "paper:groupread"),
    ):
        reply = await app.engine.action(who, action)
        assert reply.error, action
    async with app.sessions() as s:
        assert (await s.execute(select(func.count()).select_from(CommunityPaperRead))).scalar_one() == 0


async def test_runs_out_of_papers_quietly(app: App) -> None:
    await set_channel(app, key("admin"))
    small = app.catalog.model_copy(update={"papers": dict(list(app.catalog.papers.items())[:3])})
    rows = await weekly_posts(app, 5, catalog=small)
    assert len(rows) == 3
    async with app.sessions() as s:
        assert (await s.execute(select(func.count()).select_from(CommunityPaper))).scalar_one() == 3


async def test_second_process_same_week_is_a_no_op(app: App) -> None:
    """A later run in the same ISO week (or another process) queues nothing."""
    await set_channel(app, key("admin"))
    async with app.sessions() as s1, s1.begin():
        assert await enqueue_community_papers(s1, app.catalog, app.clock.now()) == 1
    async with app.sessions() as s2, s2.begin():
        assert await enqueue_community_papers(s2, app.catalog, app.clock.now() + timedelta(hours=3)) == 0
    assert len(await outbox_rows(app)) == 1


async def test_scheduler_posts_it_with_its_thread_and_remembers_where(app: App) -> None:
    """End to end through the scheduler's claim pass and dispatcher, with the in-memory messenger."""
    from bot.adapters.memory.messenger import MemoryMessenger
    from bot.scheduler.service import claim_pass, make_dispatcher

    await set_channel(app, key("admin"), "C42")
    await enrol(app, key("a"), "prompt-engineering")
    messenger = MemoryMessenger()
    await claim_pass(app)
    await make_dispatcher(app, messenger).drain()
    posts = [s for s in messenger.sent if s.target == "channel"]
    assert len(posts) == 1
    post = posts[0]
    assert post.to == "C42" and post.thread_name.startswith("Discussion: ")
    assert post.thread_reply.cards[0].title == "Discussion questions"
    async with app.sessions() as s:
        cp = (await s.execute(select(CommunityPaper))).scalar_one()
    assert (cp.channel_id, cp.message_id, cp.thread_id) == ("C42", "1", "T1")
    # A second pass in the same week posts nothing more.
    await claim_pass(app)
    await make_dispatcher(app, messenger).drain()
    assert len([s for s in messenger.sent if s.target == "channel"]) == 1

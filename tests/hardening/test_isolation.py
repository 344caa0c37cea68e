"""No command in one community reads or changes another community's or member's data;
the export holds every row about the member and nothing else; delete removes all of it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from bot.core.call import Context
from bot.core.features.privacy.handlers import export_member
from bot.core.identity import MemberKey
from bot.core.replies import Reply, render_text
from bot.runtime import App
from storage import repo
from storage.models import Assessment, Base, CommunityPaper, Member, Plan, PlanItem
from tests.hardening.support import ADMIN, ALICE, BOB, OTHER, seed_rich

Rows = dict[str, list[dict[str, Any]]]


# Tables outside the models, written by libraries: who owns their rows.
INSTALLATIONS = "slack_installations"  # the installer's user id and token: about that member
NOBODYS = {"alembic_version", "slack_bots", "slack_oauth_states"}  # the app's, not a member's


async def scan(app: App) -> Rows:
    """Every row of every table in the database (not only the models), as dicts."""
    out: Rows = {}
    async with app.sessions() as session:
        conn = await session.connection()
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
        models = {t.name: t for t in Base.metadata.sorted_tables}
        for name in sorted(names):
            stmt = select(models[name]) if name in models else text(f'SELECT * FROM "{name}"')
            result = await session.execute(stmt)
            out[name] = [dict(r._mapping) for r in result]
    return out


async def member_id(app: App, key: MemberKey) -> int:
    async with app.sessions() as session:
        member = await repo.find_member(session, key)
        assert member is not None
        return member.id


def about(rows: Rows, mid: int) -> Rows:
    """The rows that are about member `mid`: its member row, rows with its member_id,
    and rows hanging off its plans. Any other table that points at members fails loudly."""
    plans = {r["id"] for r in rows["plans"] if r["member_id"] == mid}
    out: Rows = {}
    (member,) = [r for r in rows["members"] if r["id"] == mid] or [None]
    models = {t.name for t in Base.metadata.sorted_tables}
    for name in rows:
        if name in models:
            continue
        if name == INSTALLATIONS:
            out[name] = [
                r
                for r in rows[name]
                if member is not None
                and member["platform"] == "slack"
                and (r["team_id"], r["user_id"]) == (member["workspace_id"], member["user_id"])
            ]
        else:
            assert name in NOBODYS, f"{name}: a table outside the models; who owns its rows?"
    for table in Base.metadata.sorted_tables:
        fks = {fk.column.table.name for fk in table.foreign_keys}
        if table.name == "members":
            out["member"] = [r for r in rows["members"] if r["id"] == mid]
        elif "member_id" in table.c:
            out[table.name] = [r for r in rows[table.name] if r["member_id"] == mid]
        elif "plan_id" in table.c:
            out[table.name] = [r for r in rows[table.name] if r["plan_id"] in plans]
        else:
            assert "members" not in fks and "plans" not in fks, f"{table.name}: who owns these rows?"
    return out


def not_about(rows: Rows, mid: int) -> Rows:
    mine = about(rows, mid)
    mine["members"] = mine.pop("member")
    return {t: [r for r in rs if r not in mine.get(t, [])] for t, rs in rows.items()}


def plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def keyed(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps({k: plain(v) for k, v in r.items()}, sort_keys=True, default=str) for r in rows)


@pytest.fixture
async def seeded(app: App) -> App:
    await seed_rich(app)
    return app


async def test_the_same_user_id_in_two_communities_is_two_members(seeded: App) -> None:
    e = seeded.engine
    assert await member_id(seeded, ALICE) != await member_id(seeded, OTHER)
    before = render_text(await e.command(ALICE, "progress"))
    for _ in range(3):
        # 3 x 400: a day holds at most 24 hours of study.
        assert not (await e.command(OTHER, "checkin", {"minutes": 400, "note": "other community"})).error
    assert render_text(await e.command(ALICE, "progress")) == before
    assert "400" not in before and "20 h" not in before


async def foreign_ids(app: App, owner: MemberKey) -> dict[str, list[int]]:
    async with app.sessions() as session:
        mid = (await repo.find_member(session, owner)).id  # type: ignore[union-attr]
        items = await session.execute(
            select(PlanItem.id).join(Plan, Plan.id == PlanItem.plan_id).where(Plan.member_id == mid)
        )
        quizzes = await session.execute(select(Assessment.id).where(Assessment.member_id == mid))
        posts = await session.execute(select(CommunityPaper.id))
        return {
            "items": list(items.scalars()),
            "quizzes": list(quizzes.scalars()),
            "posts": list(posts.scalars()),
        }


@pytest.mark.parametrize("victim", [BOB, OTHER], ids=["same-community", "other-community"])
async def test_action_ids_pointing_at_someone_elses_rows_touch_nothing_of_theirs(
    seeded: App, victim: MemberKey
) -> None:
    ids = await foreign_ids(seeded, victim)
    victim_id = await member_id(seeded, victim)
    before = about(await scan(seeded), victim_id)
    attempts: list[str] = []
    for item in ids["items"][:5]:
        attempts += [f"topic:done:{item}"]
    for quiz in ids["quizzes"]:
        attempts += [
            f"assess:ans:{quiz}:q:0",
            f"assess:skip:{quiz}:python",
            f"assess:goal:{quiz}:g:o",
            f"assess:resume:{quiz}",
        ]
    actions = sorted(seeded.engine._actions)
    for prefix in actions:
        if prefix != "privacy:delete":
            attempts += [f"{prefix}:{n}" for n in (ids["items"][:1] + ids["quizzes"][:1] + [victim_id])]
    refused = 0
    for action in attempts:
        reply: Reply = await seeded.engine.action(ALICE, action, {}, Context(is_admin=True))
        refused += reply.error
        assert "went wrong" not in render_text(reply), action
        assert about(await scan(seeded), victim_id) == before, f"{action} changed {victim}'s data"
    assert refused >= len(ids["items"][:5]) + 4 * len(ids["quizzes"])


async def test_quiz_and_topic_ids_of_others_are_refused_by_name(seeded: App) -> None:
    ids = await foreign_ids(seeded, BOB)
    reply = await seeded.engine.action(ALICE, f"topic:done:{ids['items'][0]}")
    assert reply.error and "isn't in your plan" in render_text(reply)
    reply = await seeded.engine.action(ALICE, f"assess:resume:{ids['quizzes'][0]}")
    assert reply.error and "isn't yours" in render_text(reply)


async def test_reading_group_post_of_another_community_is_refused(seeded: App) -> None:
    async with seeded.sessions() as session:
        other_community = (await repo.find_member(session, OTHER)).community_id  # type: ignore[union-attr]
        post = (
            await session.execute(
                select(CommunityPaper.id).where(CommunityPaper.community_id == other_community)
            )
        ).scalar_one()
    before = await scan(seeded)
    reply = await seeded.engine.action(ALICE, f"paper:groupread:{post}")
    assert reply.error and "isn't from this community" in render_text(reply)
    assert await scan(seeded) == before


def stat(reply: Reply, name: str) -> str:
    return next(f.value for c in reply.cards for f in c.fields if f.name == name)


async def test_admin_commands_see_and_change_only_their_own_community(seeded: App) -> None:
    e = seeded.engine
    admin = Context(is_admin=True)
    other_admin = MemberKey("test", "guild-b", "boss")
    a = await e.command(ADMIN, "admin", {"action": "stats"}, admin)
    b = await e.command(other_admin, "admin", {"action": "stats"}, admin)
    assert (stat(a, "Members"), stat(a, "Check-ins (7 days)")) == ("3", "2")
    assert (stat(b, "Members"), stat(b, "Check-ins (7 days)")) == ("1", "1")
    assert "ML" not in stat(b, "Popular plans")  # BOB's ml-engineer plan lives in guild-a
    rows = await scan(seeded)
    b_row = next(r for r in rows["communities"] if r["workspace_id"] == "guild-b")
    await e.command(ADMIN, "admin", {"action": "paper-channel", "channel": "C-new"}, admin)
    await e.command(ADMIN, "admin", {"action": "defaults", "timezone": "Asia/Tokyo"}, admin)
    after = next(r for r in (await scan(seeded))["communities"] if r["workspace_id"] == "guild-b")
    assert after == b_row


@pytest.mark.parametrize("who", [ALICE, BOB, OTHER], ids=["alice", "bob", "alice-elsewhere"])
async def test_export_is_every_row_about_the_member_and_nothing_else(seeded: App, who: MemberKey) -> None:
    mid = await member_id(seeded, who)
    rows = await scan(seeded)
    mine = about(rows, mid)
    async with seeded.sessions() as session:
        exported = await export_member(session, who, seeded.catalog)
    assert exported is not None
    data = json.loads(json.dumps(exported, default=str))
    assert set(data) == set(mine), "the export and the schema disagree on what is about a member"
    for table, want in mine.items():
        got = data[table] if isinstance(data[table], list) else [data[table]]
        columns = set(want[0]) if want else set()
        got_rows = [{k: v for k, v in r.items() if k in columns} for r in got]
        assert keyed(got_rows) == keyed(want), table
    assert mine["checkins"] and mine["plan_items"] and mine["outbox"] and mine["community_paper_reads"]
    assert mine["member_milestones"] and mine["buddy_profiles"]
    assert mine["buddy_pair_members"] or who == OTHER, "Alice and Bob were paired"
    for table, others in not_about(rows, mid).items():
        if table in data and others:
            assert not any(r in others for r in mine.get(table, [])), table


async def test_export_through_the_engine_is_the_same_file(seeded: App) -> None:
    reply = await seeded.engine.action(BOB, "privacy:export")
    assert reply.attachment is not None
    data = json.loads(reply.attachment.content)
    assert data["member"]["user_id"] == BOB.user_id
    assert {r["member_id"] for r in data["checkins"]} == {await member_id(seeded, BOB)}


@pytest.mark.parametrize("who", [ALICE, OTHER], ids=["alice", "alice-elsewhere"])
async def test_delete_removes_every_row_about_the_member_and_nothing_else(
    seeded: App, who: MemberKey
) -> None:
    mid = await member_id(seeded, who)
    before = await scan(seeded)
    assert any(r["dm_channel_id"] for r in about(before, mid)["member"])
    reply = await seeded.engine.action(who, "privacy:delete:confirm")
    assert not reply.error and "gone" in render_text(reply)
    after = await scan(seeded)
    assert all(rows == [] for rows in about(after, mid).values()), about(after, mid)
    assert {t: keyed(r) for t, r in not_about(before, mid).items()} == {t: keyed(r) for t, r in after.items()}
    async with seeded.sessions() as session:
        assert await repo.find_member(session, who) is None
        assert (await session.execute(select(Member).where(Member.id == mid))).first() is None

"""Study buddies through the memory adapter: opt in, out, skip and end; a round run once by the
scheduler's claim pass; intros and the odd-one-out notice through the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.adapters.memory.messenger import MemoryMessenger
from bot.core.community.buddy_rounds import intro_replies
from bot.core.identity import MemberKey
from bot.core.replies import choices_of, render_text
from bot.runtime import build_app
from bot.scheduler.service import claim_pass
from storage.models import BuddyPairMember, BuddyProfile, BuddyRound, CommunityCircle
from tests.community.helpers import ADMIN, ctx, drain, member_id, outbox_rows
from tests.conftest import make_settings

GUILD = "guild-1"
ROUND = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)  # the first Monday round after the suite's START


def key(user: str, platform: str = "slack") -> MemberKey:
    return MemberKey(platform, GUILD, user)


async def join(app, user: str, how: str = "weekly", zone: str = "Europe/Berlin", track: str | None = None):
    k = key(user)
    await app.engine.command(k, "settings", {"timezone": zone}, ctx(user.title()))
    if track:
        await app.engine.action(k, f"learn:enrol:{track}", None, ctx(user.title()))
    reply = await app.engine.command(k, "buddy", {"action": how}, ctx(user.title()))
    assert not reply.error, render_text(reply)
    return reply


async def partners(app, user: str) -> list[int]:
    mid = await member_id(app, key(user))
    async with app.sessions() as s:
        mine = select(BuddyPairMember.pairing_id).where(BuddyPairMember.member_id == mid)
        rows = await s.execute(
            select(BuddyPairMember.member_id).where(
                BuddyPairMember.pairing_id.in_(mine), BuddyPairMember.member_id != mid
            )
        )
        return list(rows.scalars())


async def test_opt_in_status_skip_end_and_leave(any_app):
    app = any_app
    reply = await app.engine.command(key("ann"), "buddy", {}, ctx("Ann"))
    assert "Pair me every week" in [label for label, _ in choices_of(reply)]
    reply = await join(app, "ann", "biweekly")
    assert "paired every two weeks" in render_text(reply)
    reply = await app.engine.command(key("ann"), "buddy", {"action": "skip"}, ctx("Ann"))
    assert "Skipping the round on Mon 9 Nov 2026" in render_text(reply)
    reply = await app.engine.command(key("ann"), "buddy", {"action": "end"}, ctx("Ann"))
    assert reply.error and "don't have a current buddy" in render_text(reply)
    reply = await app.engine.action(key("ann"), "buddy:set:leave", None, ctx("Ann"))
    assert "nobody will be paired with you" in render_text(reply)
    reply = await app.engine.command(key("bea"), "buddy", {"action": "skip"}, ctx("Bea"))
    assert reply.error and "aren't opted in" in render_text(reply)
    async with app.sessions() as s:
        rows = (await s.execute(select(BuddyProfile))).scalars().all()
    assert [(r.active, r.every_weeks) for r in rows] == [(False, 2)]


async def test_a_round_pairs_the_opted_in_once_and_queues_intros(any_app, any_db_url, clock, catalog):
    app = any_app
    for user in ("ann", "bob", "cai"):
        await join(app, user, track="prompt-engineering")
    await app.engine.command(
        key("dan"), "settings", {"timezone": "Europe/Berlin"}, ctx("Dan")
    )  # never opted in
    clock.set(ROUND - timedelta(minutes=1))
    await claim_pass(app)
    assert await outbox_rows(app, "buddy") == [], "nothing before the round is due"
    clock.set(ROUND)
    await claim_pass(app)
    intros = await outbox_rows(app, "buddy-intro:")
    odd = await outbox_rows(app, "buddy-odd:")
    assert len(intros) == 1 and len(odd) == 1
    dan = await member_id(app, key("dan"))
    assert dan not in await partners(app, "ann") + await partners(app, "bob") + await partners(app, "cai")
    assert intros[0].target == "intro" and len(intros[0].payload["user_ids"]) == 2
    assert "dan" not in intros[0].payload["user_ids"]
    shared, dms, _thread = intro_replies(intros[0].payload)
    text = render_text(shared)
    assert set(dms) == set(intros[0].payload["user_ids"]), "a DM for each, naming the other"
    assert "coming up" in text, "both are on the same plan, so the intro names a shared topic"

    # A second pass, or a second process after a restart, runs the round no more.
    await claim_pass(app)
    other = build_app(make_settings(any_db_url), clock=clock, catalog=catalog)
    try:
        await claim_pass(other)
    finally:
        await other.close()
    assert len(await outbox_rows(app, "buddy-intro:")) == 1
    async with app.sessions() as s:
        assert len((await s.execute(select(BuddyRound))).scalars().all()) == 1
        circle = await s.get(CommunityCircle, intros[0].community_id)
        assert circle is not None and circle.next_buddy_round_at == ROUND + timedelta(weeks=1)

    messenger = MemoryMessenger(platform="slack")
    await drain(app, messenger)
    assert [s.target for s in messenger.sent].count("intro") == 1
    assert [s.target for s in messenger.sent if s.key.startswith("buddy-odd:")] == ["dm"]
    odd_user = odd[0].member_id
    ids = {u: await member_id(app, key(u)) for u in ("ann", "bob", "cai")}
    (left_out,) = [u for u, mid in ids.items() if mid == odd_user]
    status = render_text(await app.engine.command(key(left_out), "buddy", {}, ctx("X")))
    assert "first in line" in status

    # Next round: the one left out is paired first, and nobody is paired with last week's buddy.
    clock.set(ROUND + timedelta(weeks=1))
    await claim_pass(app)
    assert len(await partners(app, left_out)) == 1
    for user in ("ann", "bob", "cai"):
        found = await partners(app, user)
        assert len(found) == len(set(found)), "no pair repeats within eight weeks"


async def test_skip_and_end_and_biweekly_shape_the_next_rounds(any_app, clock):
    app = any_app
    for user in ("ann", "bob"):
        await join(app, user)
    clock.set(ROUND)
    await claim_pass(app)
    assert len(await partners(app, "ann")) == 1
    status = render_text(await app.engine.command(key("ann"), "buddy", {}, ctx("Ann")))
    assert "Current buddy: **Bob**" in status
    reply = await app.engine.command(key("ann"), "buddy", {"action": "end"}, ctx("Ann"))
    assert "pairing is ended" in render_text(reply)
    assert "Current buddy" not in render_text(reply)
    # Only two members and they were just paired: no repeat within eight weeks, so both wait.
    await join(app, "cai")
    await app.engine.command(key("cai"), "buddy", {"action": "skip"}, ctx("Cai"))
    clock.set(ROUND + timedelta(weeks=1))
    await claim_pass(app)
    assert len(await partners(app, "ann")) == 1 and await partners(app, "cai") == []
    assert len(await outbox_rows(app, "buddy-odd:")) == 2
    # Cai's skip is over, and Ann and Bob were left out last round: Cai is paired with one of them.
    clock.set(ROUND + timedelta(weeks=2))
    await claim_pass(app)
    (buddy,) = await partners(app, "cai")
    name = "ann" if buddy == await member_id(app, key("ann")) else "bob"
    other = "bob" if name == "ann" else "ann"
    # Cai's buddy now wants a buddy every two weeks: paired a week ago, they sit the next round out.
    await app.engine.command(key(name), "buddy", {"action": "biweekly"}, ctx(name.title()))
    clock.set(ROUND + timedelta(weeks=3))
    await claim_pass(app)
    assert len(await partners(app, name)) == 2, "not paired again one week later"
    assert await member_id(app, key(other)) in await partners(app, "cai")


async def test_admin_buddies_settings_and_turning_them_off(any_app, clock):
    app = any_app
    reply = await app.engine.command(
        key("ann"), "admin", {"action": "buddies", "cadence": "biweekly", "channel": "#buddies"}, ADMIN
    )
    assert "every two weeks" in render_text(reply) and "group DM" in render_text(reply)
    await join(app, "ann")
    await join(app, "bob")
    await app.engine.command(key("ann"), "admin", {"action": "buddies", "enabled": "off"}, ADMIN)
    reply = await app.engine.command(key("cai"), "buddy", {"action": "weekly"}, ctx("Cai"))
    assert reply.error and "turned off" in render_text(reply)
    clock.set(ROUND + timedelta(days=1))
    await claim_pass(app)
    assert await partners(app, "ann") == []
    await app.engine.command(key("ann"), "admin", {"action": "buddies", "enabled": "on"}, ADMIN)
    clock.set(ROUND + timedelta(weeks=2))
    await claim_pass(app)
    assert len(await partners(app, "ann")) == 1


async def test_privacy_export_and_delete_cover_milestones_and_buddies(any_app, clock):
    app = any_app
    for user in ("ann", "bob"):
        await join(app, user)
    clock.set(ROUND)
    await claim_pass(app)
    reply = await app.engine.action(key("ann"), "privacy:export", None, ctx("Ann"))
    import json

    data = json.loads(reply.attachment.content)
    assert len(data["buddy_pair_members"]) == 1 and data["buddy_profiles"][0]["every_weeks"] == 1
    assert "member_milestones" in data
    ask = render_text(await app.engine.command(key("ann"), "privacy", {}, ctx("Ann")))
    assert "pairings" in ask and "announcements already posted" in ask
    gone = await app.engine.action(key("ann"), "privacy:delete:confirm", None, ctx("Ann"))
    assert "announcements already posted" in render_text(gone)
    async with app.sessions() as s:
        assert (await s.execute(select(BuddyProfile))).scalars().all() != []
        left = (await s.execute(select(BuddyPairMember))).scalars().all()
    assert [r.member_id for r in left] == [await member_id(app, key("bob"))]

"""Milestone roles and buddy intros through the real discord.py client against the fake: a role
granted once, the two missing-permission answers told apart, and intros in a private thread
(or a DM to each when no buddy channel is set)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.adapters.discord.roles import MANAGE_ROLES
from bot.core.call import Context
from bot.core.community.buddy_rounds import first_round
from bot.core.identity import CommunityKey, MemberKey
from bot.core.ports import RejectedDeliveryError
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.ratelimit import RateLimiter
from bot.scheduler.service import claim_pass
from storage.models import OutboxMessage
from tests.discord.helpers import answer, text_of
from tests.fakes.discord_fake import CHANNEL_ID, GUILD_ID, FakeDiscord

ANN = "940000000000000021"
BOB = "940000000000000022"
COMMUNITY = CommunityKey("discord", GUILD_ID)


def member(user: str) -> MemberKey:
    return MemberKey("discord", GUILD_ID, user)


async def drain(bot) -> None:
    messenger = bot.app.platform.messenger
    await Dispatcher(bot.app.sessions, bot.app.clock, messenger, RateLimiter(lambda _k: None)).drain()


async def read_ten_papers(bot, user: str) -> None:
    for pid in list(bot.app.catalog.papers)[:10]:
        await bot.app.engine.action(member(user), f"paper:read:{pid}", None, Context(display_name="Ann"))


async def test_milestone_role_is_granted_once(bot, fake: FakeDiscord) -> None:
    role = fake.add_role("Reader", position=1)
    fake.give_bot_role(position=5, permissions=MANAGE_ROLES)
    _, call = await answer(
        fake,
        fake.slash(
            "admin", {"action": "milestones", "milestone": "papers-10", "role": f"<@&{role}>"}, admin=True
        ),
    )
    assert f"<@&{role}>" in text_of(call.body["data"])
    assert call.body["data"]["allowed_mentions"] == {"parse": []}
    await read_ten_papers(bot, ANN)
    await drain(bot)
    await drain(bot)
    assert fake.member_roles == {ANN: {role}}
    assert len(fake.calls_to("PUT", rf"/guilds/{GUILD_ID}/members/{ANN}/roles/{role}$")) == 1


@pytest.mark.parametrize(
    ("bot_position", "bot_permissions", "reason", "told"),
    [
        (5, 0, "missing_manage_roles", "Manage Roles"),
        (2, MANAGE_ROLES, "role_above_bot", "above my own highest role"),
    ],
    ids=["no-manage-roles", "role-above-the-bot"],
)
async def test_missing_permissions_are_told_apart_and_shown_to_the_admin(
    bot, fake: FakeDiscord, bot_position: int, bot_permissions: int, reason: str, told: str
) -> None:
    role = fake.add_role("Regular", position=3)
    fake.give_bot_role(position=bot_position, permissions=bot_permissions)
    with pytest.raises(RejectedDeliveryError) as err:
        await bot.app.platform.messenger.grant_role(COMMUNITY, ANN, role, key="k")
    assert err.value.reason.startswith(reason)

    await answer(
        fake,
        fake.slash("admin", {"action": "milestones", "milestone": "papers-10", "role": role}, admin=True),
    )
    await read_ten_papers(bot, ANN)
    await drain(bot)
    assert fake.member_roles == {}
    async with bot.app.sessions() as s:
        row = (await s.execute(select(OutboxMessage).where(OutboxMessage.target == "role"))).scalar_one()
    assert row.status == "failed" and reason in (row.last_error or "")
    _, call = await answer(fake, fake.slash("admin", {"action": "milestones"}, admin=True))
    assert told in text_of(call.body["data"])

    # The admin fixes the bot's role; the next member's grant goes through and the warning goes.
    fake.give_bot_role(position=9, permissions=MANAGE_ROLES)
    await read_ten_papers(bot, BOB)
    await drain(bot)
    assert fake.member_roles == {BOB: {role}}
    _, call = await answer(fake, fake.slash("admin", {"action": "milestones"}, admin=True))
    assert "⚠️" not in text_of(call.body["data"])


async def opt_in_pair(bot, fake: FakeDiscord) -> None:
    for user in (ANN, BOB):
        _, call = await answer(fake, fake.slash("buddy", {"action": "weekly"}, user_id=user))
        assert "opted in" in text_of(call.body["data"])
    bot.app.clock.set(first_round(bot.app.clock.now()))
    await claim_pass(bot.app)
    await drain(bot)


async def test_buddy_intro_is_a_private_thread_with_both_members(bot, fake: FakeDiscord) -> None:
    _, call = await answer(
        fake, fake.slash("admin", {"action": "buddies", "channel": CHANNEL_ID}, admin=True)
    )
    assert "private thread" in text_of(call.body["data"])
    await opt_in_pair(bot, fake)
    (created,) = fake.calls_to("POST", rf"/channels/{CHANNEL_ID}/threads$")
    assert created.body["type"] == 12 and created.body["invitable"] is False
    (thread_id,) = fake.threads
    assert fake.threads[thread_id]["members"] == {ANN, BOB}
    (intro,) = fake.calls_to("POST", rf"/channels/{thread_id}/messages$")
    assert "Meet your study buddy" in text_of(intro.body)
    assert intro.body["allowed_mentions"] == {"parse": []}
    await drain(bot)
    assert len(fake.calls_to("POST", rf"/channels/{thread_id}/messages$")) == 1


async def test_without_a_buddy_channel_each_member_gets_a_dm_naming_the_other(bot, fake: FakeDiscord) -> None:
    await opt_in_pair(bot, fake)
    assert not fake.calls_to("POST", r"/channels/\d+/threads$")
    opened = {str(c.body["recipient_id"]) for c in fake.calls_to("POST", r"/users/@me/channels$")}
    assert {ANN, BOB} <= opened
    intros = [m for m in fake.visible if "Meet your study buddy" in text_of(m)]
    assert len(intros) == 2
    assert {m["channel_id"] for m in intros} == {"96" + ANN[2:], "96" + BOB[2:]}

"""The weekly digest: admin controls, content, and delivery through the outbox exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.adapters.memory.driver import MemberDriver
from bot.adapters.memory.messenger import MemoryMessenger
from bot.core.call import Context
from bot.core.community import digest
from bot.core.identity import MemberKey
from bot.core.ports import RetryableDeliveryError
from bot.core.replies import render_text
from bot.core.reply_codec import reply_from_dict
from bot.runtime import build_app
from bot.scheduler.service import claim_pass, make_dispatcher
from storage.models import Member, OutboxMessage, Plan, PlanItem
from tests.conftest import make_settings

WS = "guild1"
PNG = b"\x89PNG\r\n\x1a\n"
SUNDAY_EVENING = datetime(2026, 11, 8, 18, 0, tzinfo=UTC)  # the default slot, Sun 18:00 UTC


def who(app, user: str, admin: bool = False) -> MemberDriver:
    return MemberDriver(
        app.engine, MemberKey("test", WS, user), Context(is_admin=admin, display_name=user.capitalize())
    )


async def digest_rows(app) -> list[OutboxMessage]:
    async with app.sessions() as s:
        stmt = select(OutboxMessage).where(OutboxMessage.stream == "digest").order_by(OutboxMessage.id)
        return list((await s.execute(stmt)).scalars())


async def test_admin_controls_with_friendly_errors(app):
    admin = who(app, "boss", admin=True)
    assert "Give a weekday and a time" in render_text(await admin.say("/admin digest-time"))
    bad = await admin.say("/admin digest-time someday 18:00")
    assert bad.error and "isn't a weekday" in render_text(bad)
    bad = await admin.say("/admin digest-time fri 25:00")
    assert bad.error and "isn't a valid digest time" in render_text(bad)
    ok = await admin.say("/admin digest-time fri 17:30")
    assert "every Fri at 17:30" in render_text(ok) and "digest-channel" in render_text(ok)
    assert (await admin.say("/admin digest-channel")).error
    ok = await admin.say("/admin digest-channel <#C42>")
    assert "<#C42>" in render_text(ok) and "every Fri at 17:30" in render_text(ok)
    refused = await who(app, "pleb").say("/admin digest-off")
    assert refused.error


async def test_digest_content_names_only_the_opted_in(app, clock):
    admin = who(app, "boss", admin=True)
    await admin.say("/admin digest-channel C1")
    clock.set(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    ada, bob = who(app, "ada"), who(app, "bob")
    for d, minutes in ((ada, 120), (bob, 60)):
        assert not (await d.say(f"/checkin {minutes}")).error
    await ada.say("/settings leaderboard:on")
    await app.engine.action(ada.key, "learn:enrol:mlops")
    # Ada finishes her whole plan this week.
    async with app.sessions() as s, s.begin():
        mid = (await s.execute(select(Member.id).where(Member.user_id == "ada"))).scalar_one()
        plan_id = (await s.execute(select(Plan.id).where(Plan.member_id == mid))).scalar_one()
        await s.execute(
            update(PlanItem).where(PlanItem.plan_id == plan_id).values(state="done", updated_at=clock.now())
        )
    clock.set(SUNDAY_EVENING)
    await claim_pass(app)
    [row] = await digest_rows(app)
    reply = reply_from_dict(row.payload["reply"])
    text = render_text(reply)
    assert not reply.private
    assert row.channel_id == "C1" and row.target == "channel" and row.key.endswith(":2026-W45")
    assert "Active learners: 2" in text and "Hours studied: 3 h" in text
    assert "Ada finished" in text and "Bob" not in text
    assert "**1.** Ada · 2 h" in text
    assert "Topics finished: 0" not in text
    [card] = reply.images
    assert card.filename == "community.png" and card.png.startswith(PNG)
    # The card's last week is the digest's week, with the same two learners and three hours.
    assert "active learners per week 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2;" in card.alt
    assert "hours studied per week 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3 h." in card.alt


async def test_an_empty_week_reads_sensibly(app, clock):
    await who(app, "boss", admin=True).say("/admin digest-channel C1")
    clock.set(SUNDAY_EVENING)
    await claim_pass(app)
    [row] = await digest_rows(app)
    text = render_text(reply_from_dict(row.payload["reply"]))
    assert "A quiet week" in text and "Nobody on the board yet" in text


async def test_delivered_once_across_passes_and_a_restart(app, clock, db_url, catalog):
    await who(app, "boss", admin=True).say("/admin digest-channel C9")
    clock.set(SUNDAY_EVENING.replace(hour=17))
    await claim_pass(app)
    assert await digest_rows(app) == [], "not before its time"
    clock.set(SUNDAY_EVENING.replace(minute=1))
    messenger = MemoryMessenger()
    await claim_pass(app)
    await claim_pass(app)
    await make_dispatcher(app, messenger).drain()
    # A second process (a restart) claims the same minute and drains again.
    other = build_app(make_settings(db_url), clock=clock, catalog=catalog)
    try:
        await claim_pass(other)
        await make_dispatcher(other, messenger).drain()
    finally:
        await other.close()
    sent = [m for m in messenger.sent if m.key.startswith("digest:")]
    assert len(sent) == 1 and sent[0].to == "C9"
    [row] = await digest_rows(app)
    assert row.status == "sent"


async def test_off_or_stale_means_no_digest(app, clock):
    admin = who(app, "boss", admin=True)
    await admin.say("/admin digest-channel C1")
    await admin.say("/admin digest-off")
    clock.set(SUNDAY_EVENING)
    await claim_pass(app)
    assert await digest_rows(app) == []
    await admin.say("/admin digest-on")
    clock.set(datetime(2026, 11, 9, 7, 0, tzinfo=UTC))  # 13 h late: that week's digest is skipped
    await claim_pass(app)
    assert await digest_rows(app) == []


async def test_community_time_zone_decides_the_slot(app, clock):
    admin = who(app, "boss", admin=True)
    await admin.say("/admin defaults Asia/Tokyo")
    await admin.say("/admin digest-time mon 09:00")
    await admin.say("/admin digest-channel C1")
    clock.set(datetime(2026, 11, 9, 0, 0, tzinfo=UTC))  # Mon 09:00 in Tokyo
    await claim_pass(app)
    [row] = await digest_rows(app)
    assert row.key.endswith(":2026-W46")


async def test_a_retry_posts_the_stored_picture_once(app, clock):
    await who(app, "boss", admin=True).say("/admin digest-channel C1")
    clock.set(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    await who(app, "ada").say("/checkin 45")
    clock.set(SUNDAY_EVENING)
    await claim_pass(app)
    [row] = await digest_rows(app)
    [stored] = reply_from_dict(row.payload["reply"]).images
    # Ada logs more before the retry: the post keeps the card it was built with.
    await who(app, "ada").say("/checkin 60")
    messenger = MemoryMessenger(fail_next=[RetryableDeliveryError("discord_503")])
    await make_dispatcher(app, messenger).drain()
    assert messenger.sent == [] and (await digest_rows(app))[0].status == "pending"
    clock.set(SUNDAY_EVENING + timedelta(hours=1))
    await make_dispatcher(app, messenger).drain()
    await make_dispatcher(app, messenger).drain()
    [sent] = [m for m in messenger.sent if m.key.startswith("digest:")]
    assert [i.png for i in sent.reply.images] == [stored.png]
    assert (await digest_rows(app))[0].status == "sent"


async def test_the_text_goes_when_the_card_cannot_be_drawn(app, clock, monkeypatch):
    def broken(_counts):
        raise OSError("font file gone")

    monkeypatch.setattr(digest, "community_card", broken)
    await who(app, "boss", admin=True).say("/admin digest-channel C1")
    clock.set(SUNDAY_EVENING)
    await claim_pass(app)
    messenger = MemoryMessenger()
    await make_dispatcher(app, messenger).drain()
    [sent] = [m for m in messenger.sent if m.key.startswith("digest:")]
    assert sent.reply.images == () and "This week in the community" in render_text(sent.reply)

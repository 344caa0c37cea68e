"""Milestones: which ones a member reached, recorded once each, and what follows.

A milestone is detected by the command that earns it (a check-in, a topic marked done, a
paper marked read, a finished assessment) and recorded with `INSERT ... ON CONFLICT DO
NOTHING` on the unique (member, kind) key. Only the transaction whose insert wrote the row
congratulates (in its own reply, which only the member sees) and queues the rest through
the outbox: an announcement in the celebration channel when the member opted in to public
places, and a role grant where an admin mapped one. A restart, a second press or two
commands at once find the row taken and say nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import outbox
from bot.core.call import Call
from bot.core.community import circle
from bot.core.display import day
from bot.core.replies import Card, Reply
from storage import outbox_store
from storage.inserts import insert_ignoring_taken
from storage.models import Assessment, Member, MemberMilestone, MemberPaper, MilestoneRole

# In the order members reach them; the labels finish "You reached ...".
KINDS: dict[str, str] = {
    "streak-7": "a 7-day streak",
    "streak-30": "a 30-day streak",
    "streak-100": "a 100-day streak",
    "first-topic": "your first finished topic",
    "plan-quarter": "a quarter of your plan",
    "plan-half": "half of your plan",
    "plan-all": "your whole plan",
    "papers-10": "10 papers read",
    "level-up": "a level up in a reassessment",
}
# How the same milestone reads in a public post about someone else.
PUBLIC: dict[str, str] = {
    "streak-7": "reached a 7-day study streak",
    "streak-30": "reached a 30-day study streak",
    "streak-100": "reached a 100-day study streak",
    "first-topic": "finished their first topic",
    "plan-quarter": "is a quarter of the way through their plan",
    "plan-half": "is halfway through their plan",
    "plan-all": "finished their whole plan",
    "papers-10": "has read 10 papers",
    "level-up": "moved up a level in a reassessment",
}
STREAK_STEPS = ((7, "streak-7"), (30, "streak-30"), (100, "streak-100"))
PLAN_STEPS = ((0.25, "plan-quarter"), (0.5, "plan-half"), (1.0, "plan-all"))
PAPERS_READ = 10
ANNOUNCE_EXPIRES = timedelta(days=2)
ROLE_EXPIRES = timedelta(days=7)


def plan_hours(items: Iterable[Any]) -> tuple[float, float]:
    """(done hours, planned hours): the plan figure /progress shows. Skipped topics don't count."""
    items = list(items)
    total = sum(i.hours for i in items if i.state != "skipped")
    done = sum(i.hours for i in items if i.state == "done")
    return done, total


def from_streak(current: int) -> list[str]:
    return [kind for days, kind in STREAK_STEPS if current >= days]


def after_finishing(items: Sequence[Any], finished: Iterable[Any]) -> list[SimpleNamespace]:
    """The items' hours and states once `finished` are done, for rows read before the update."""
    done_ids = {i.id for i in finished}
    return [SimpleNamespace(hours=i.hours, state="done" if i.id in done_ids else i.state) for i in items]


def from_plan(items: Sequence[Any]) -> list[str]:
    out = ["first-topic"] if any(i.state == "done" for i in items) else []
    done, total = plan_hours(items)
    if total > 0:
        out += [kind for share, kind in PLAN_STEPS if done >= share * total - 1e-9]
    return out


async def from_papers(session: AsyncSession, member_id: int) -> list[str]:
    stmt = select(func.count()).where(MemberPaper.member_id == member_id, MemberPaper.status == "read")
    return ["papers-10"] if (await session.execute(stmt)).scalar_one() >= PAPERS_READ else []


async def from_assessment(session: AsyncSession, member_id: int, finished: Assessment) -> list[str]:
    """A reassessment moved up a level: some area this one placed higher than the member's
    earlier results did. A first assessment has nothing to move up from."""
    stmt = (
        select(Assessment.result)
        .where(
            Assessment.member_id == member_id,
            Assessment.status == "complete",
            Assessment.id != finished.id,
        )
        .order_by(Assessment.completed_at, Assessment.id)
    )
    before: dict[str, int] = {}
    for result in (await session.execute(stmt)).scalars():
        before.update({k: int(v) for k, v in (result or {}).get("levels", {}).items()})
    now = {k: int(v) for k, v in (finished.result or {}).get("levels", {}).items()}
    return ["level-up"] if any(k in before and v > before[k] for k, v in now.items()) else []


async def record(call: Call, member: Member, kinds: Iterable[str]) -> list[str]:
    """Record the milestones not yet held; the ones this call recorded, in order.

    Nothing is recorded while milestones are off in the community.
    """
    wanted = [k for k in KINDS if k in set(kinds)]
    if not wanted:
        return []
    settings = await circle.find(call.session, member.community_id)
    if settings is not None and not settings.milestones_enabled:
        return []
    conn = await call.session.connection()
    stmt = insert_ignoring_taken(
        MemberMilestone.__table__, conn.dialect.name, ["member_id", "kind"]
    ).returning(MemberMilestone.__table__.c.kind)
    new = []
    for kind in wanted:
        row = {"member_id": member.id, "kind": kind, "reached_at": call.now()}
        if (await conn.execute(stmt, row)).scalar_one_or_none() is not None:
            new.append(kind)
    for kind in new:
        await _follow_up(call, member, kind, settings)
    return new


async def _follow_up(call: Call, member: Member, kind: str, settings: Any) -> None:
    now = call.now()
    channel = settings.celebration_channel_id if settings is not None else None
    if channel and member.community_opt_in:
        await outbox.add_channel_post(
            call.session,
            key=f"milestone:{member.id}:{kind}",
            platform=member.platform,
            stream="milestone",
            member_id=member.id,
            community_id=member.community_id,
            channel_id=channel,
            payload=outbox.dm_payload(announcement(call.ctx.display_name, kind)),
            now=now,
            expires_at=now + ANNOUNCE_EXPIRES,
        )
    role = await call.session.get(MilestoneRole, (member.community_id, kind))
    if role is not None:
        await outbox_store.insert(
            call.session,
            key=f"milestone-role:{member.id}:{kind}",
            platform=member.platform,
            stream="milestone",
            target="role",
            member_id=member.id,
            community_id=member.community_id,
            channel_id=role.role_id,
            payload={
                "user_id": member.user_id,
                "role_id": role.role_id,
                "kind": kind,
                "community_id": member.community_id,
            },
            not_before=now,
            expires_at=now + ROLE_EXPIRES,
            created_at=now,
        )


def announcement(display_name: str, kind: str) -> Reply:
    """The public post: the member's display name as plain text, never a mention."""
    name = circle.public_name(display_name)
    return Reply(
        cards=(
            Card(title="🎉 Milestone", body=f"**{name}** {PUBLIC[kind]}. Congratulations!", tone="success"),
        )
    )


def congratulate(reply: Reply, new: Sequence[str]) -> Reply:
    """The member's own reply, with one card naming what they just reached."""
    if not new:
        return reply
    names = [KINDS[k] for k in new]
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    card = Card(title="🎉 Milestone reached", body=f"You reached {text}. Well done!", tone="success")
    return replace(reply, cards=(*reply.cards, card))


async def celebrate(call: Call, member: Member, reply: Reply, kinds: Iterable[str]) -> Reply:
    return congratulate(reply, await record(call, member, kinds))


async def held(session: AsyncSession, member_id: int) -> list[MemberMilestone]:
    stmt = select(MemberMilestone).where(MemberMilestone.member_id == member_id)
    rows = list((await session.execute(stmt)).scalars())
    order = list(KINDS)
    return sorted(rows, key=lambda r: order.index(r.kind) if r.kind in order else len(order))


async def progress_section(call: Call, member_id: int) -> str:
    """Lines for /progress (and so Slack's App Home): every milestone reached, with its day."""
    rows = await held(call.session, member_id)
    if not rows:
        return ""
    member = await call.existing_member()
    tz = call.tz(member) if member is not None else None
    lines = []
    for r in rows:
        at: datetime = r.reached_at
        when = day(at.astimezone(tz).date() if tz is not None else at.date())
        lines.append(f"🏅 {KINDS.get(r.kind, r.kind).capitalize()} · {when}")
    return "\n\n**Milestones**\n" + "\n".join(lines)

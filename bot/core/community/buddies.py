"""/buddy: opt in to study buddies (every week or every two weeks), skip a round, end the
current pairing, or stop. Nobody is paired without opting in here."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from bot.core.call import Call
from bot.core.commands import CommandSpec, Option
from bot.core.community import buddy_rounds, circle
from bot.core.display import day
from bot.core.errors import UserError
from bot.core.registry import Registry
from bot.core.replies import Button, Card, Reply
from storage.models import BuddyPairing, BuddyPairMember, BuddyProfile, Member

CHOICES = ("weekly", "biweekly", "skip", "end", "leave")


async def current_pairing(call: Call, member: Member) -> tuple[BuddyPairing, BuddyProfile | None] | None:
    """The member's latest pairing that nobody ended, and their buddy's profile."""
    stmt = (
        select(BuddyPairing)
        .join(BuddyPairMember, BuddyPairMember.pairing_id == BuddyPairing.id)
        .where(BuddyPairMember.member_id == member.id, BuddyPairing.ended_at.is_(None))
        .order_by(BuddyPairing.paired_on.desc(), BuddyPairing.id.desc())
        .limit(1)
    )
    pairing = (await call.session.execute(stmt)).scalar_one_or_none()
    if pairing is None:
        return None
    other = select(BuddyPairMember.member_id).where(
        BuddyPairMember.pairing_id == pairing.id, BuddyPairMember.member_id != member.id
    )
    other_id = (await call.session.execute(other)).scalar_one_or_none()
    profile = await call.session.get(BuddyProfile, other_id) if other_id is not None else None
    return pairing, profile


def _buttons(profile: BuddyProfile | None) -> tuple[Button, ...]:
    if profile is None or not profile.active:
        return (
            Button("Pair me every week", "buddy:set:weekly", "primary"),
            Button("Every two weeks", "buddy:set:biweekly"),
        )
    return (
        Button("Skip next round", "buddy:set:skip"),
        Button("End current pairing", "buddy:set:end"),
        Button("Stop pairing me", "buddy:set:leave", "danger"),
    )


async def status(call: Call, lead: str = "") -> Reply:
    member = await call.member()
    profile = await call.session.get(BuddyProfile, member.id)
    settings = await circle.find(call.session, member.community_id)
    lines = [lead] if lead else []
    if settings is not None and not settings.buddies_enabled:
        lines.append("Study buddies are turned off in this community.")
    elif profile is None or not profile.active:
        lines.append(
            "Get paired with another member who opted in: on your roadmap or path if possible, at a "
            "similar level, with at least two waking hours in common. Pick how often."
        )
    else:
        every = "every week" if profile.every_weeks == 1 else "every two weeks"
        lines.append(f"You're in: paired {every}.")
        if profile.skip_until:
            lines.append(f"You're skipping the round on {day(profile.skip_until)}.")
        if profile.waiting_since:
            lines.append("You were the odd one out last round, so you're first in line next time.")
        found = await current_pairing(call, member)
        if found is not None:
            pairing, other = found
            name = circle.public_name(other.display_name if other else "", "your buddy")
            lines.append(
                f"Current buddy: **{name}** (since {day(pairing.paired_on)}). Idea: {pairing.suggestion}"
            )
        if settings is not None and settings.next_buddy_round_at:
            lines.append(f"Next round: {day(settings.next_buddy_round_at)}.")
    return Reply(cards=(Card(title="Study buddies", body="\n".join(lines)),), buttons=_buttons(profile))


async def change(call: Call, choice: str) -> Reply:
    if choice not in CHOICES:
        raise UserError("That isn't a /buddy choice.", hint="Try weekly, biweekly, skip, end or leave.")
    member = await call.member()
    now = call.now()
    profile = await call.session.get(BuddyProfile, member.id)
    settings = await circle.find(call.session, member.community_id)
    name = (call.ctx.display_name or "")[:100]
    if choice in ("weekly", "biweekly"):
        if settings is not None and not settings.buddies_enabled:
            raise UserError(
                "Study buddies are turned off in this community.", hint="An admin can turn them on."
            )
        every = 1 if choice == "weekly" else 2
        if profile is None:
            profile = BuddyProfile(
                member_id=member.id,
                community_id=member.community_id,
                active=True,
                every_weeks=every,
                display_name=name,
                joined_at=now,
                updated_at=now,
            )
            call.session.add(profile)
        else:
            profile.active, profile.every_weeks, profile.updated_at = True, every, now
            profile.display_name = name or profile.display_name
        settings = settings or await circle.get_or_create(call.session, member.community_id, now)
        if settings.next_buddy_round_at is None:
            settings.next_buddy_round_at = buddy_rounds.first_round(now)
        await call.session.flush()
        return await status(call, "✅ You're opted in to study buddies.")
    if profile is None or not profile.active:
        raise UserError("You aren't opted in to study buddies.", hint="Run /buddy weekly to join.")
    if name:
        profile.display_name = name
    profile.updated_at = now
    if choice == "skip":
        nxt = settings.next_buddy_round_at if settings is not None else None
        round_day = (nxt or buddy_rounds.first_round(now)).date()
        profile.skip_until = round_day
        await call.session.flush()
        return await status(call, f"⏭️ Skipping the round on {day(round_day)}. You're back in after that.")
    if choice == "end":
        found = await current_pairing(call, member)
        if found is None:
            raise UserError(
                "You don't have a current buddy to end.", hint="You'll be paired in the next round."
            )
        pairing, _other = found
        pairing.ended_at = now
        mine = await call.session.get(BuddyPairMember, (pairing.id, member.id))
        if mine is not None:
            mine.ended_by_me = True
        await call.session.flush()
        return await status(call, "Your current pairing is ended. You stay in for the next round.")
    profile.active = False
    profile.skip_until = None
    profile.waiting_since = None
    await call.session.flush()
    return await status(call, "You're out of study buddies; nobody will be paired with you. Rejoin any time.")


async def buddy_command(call: Call, action: str | None = None) -> Reply:
    if action is None:
        return await status(call)
    return await change(call, action)


async def set_action(call: Call, args: list[str], _values: Mapping[str, str]) -> Reply:
    return await change(call, args[0] if args else "")


ACTIONS = {"buddy:set": set_action}

ACTION_CHOICES = (
    ("Pair me every week", "weekly"),
    ("Pair me every two weeks", "biweekly"),
    ("Skip the next round", "skip"),
    ("End my current pairing", "end"),
    ("Stop pairing me", "leave"),
)
SPEC = CommandSpec(
    "buddy",
    "Study buddies: get paired with another member each week or two",
    (Option("action", "choice", "What to do", choices=ACTION_CHOICES),),
    usage="/buddy [weekly|biweekly|skip|end|leave]",
)


def register(registry: Registry) -> None:
    registry.command(SPEC, buddy_command, order=120)
    registry.actions(ACTIONS)

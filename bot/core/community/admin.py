"""/admin celebrations, milestones and buddies: the community side's switches and channels."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, select

from bot.core.call import Call
from bot.core.community import buddy_rounds, circle, milestones
from bot.core.display import bullet, day_time
from bot.core.errors import UserError
from bot.core.replies import Card, Reply
from storage.models import Community, MilestoneRole

_ROLE = re.compile(r"^(?:<@&(?P<mention>[0-9]{15,21})>|(?P<id>[0-9]{15,21}))$")
ROLE_PLATFORMS = frozenset({"discord"})


def parse_role(text: str) -> str:
    """A role as typed: a role mention (`<@&123>`) or its id."""
    m = _ROLE.match(text.strip())
    if m is None:
        raise UserError(
            f"{text.strip()[:40]!r} doesn't look like a role.",
            hint="Pick the role with @, e.g. /admin milestones streak-30 @Regular, or paste its id.",
        )
    return m.group("mention") or m.group("id")


def parse_channel(text: str) -> tuple[str, str]:
    from bot.core.features.admin.handlers import parse_channel as parse

    return parse(text)


def _on(enabled: str | None, current: bool) -> bool:
    return current if enabled is None else enabled == "on"


async def celebrations(call: Call, community: Community, channel: str | None, enabled: str | None) -> Reply:
    row = await circle.get_or_create(call.session, community.id, call.now())
    shown = None
    if channel is not None:
        row.celebration_channel_id, shown = parse_channel(channel)
    row.milestones_enabled = _on(enabled, row.milestones_enabled)
    row.updated_at = call.now()
    where = (
        shown
        or (f"<#{row.celebration_channel_id}>" if row.celebration_channel_id else None)
        or "no channel yet (members are congratulated privately only)"
    )
    state = "on" if row.milestones_enabled else "off"
    body = (
        f"Milestones are **{state}**. Celebration channel: {where}.\n"
        "Only members who opted in to appearing in public places are announced there, by display "
        "name and never with a ping; everyone else is congratulated privately."
    )
    return Reply(cards=(Card(title="Milestone celebrations", body=body, tone="success"),))


async def milestone_roles(call: Call, community: Community, milestone: str | None, role: str | None) -> Reply:
    if role is not None and community.platform not in ROLE_PLATFORMS:
        raise UserError(
            "Roles are a Discord feature, so there is nothing to map here.",
            hint="Members see their milestones in /progress and on the app's Home tab instead.",
        )
    if (milestone is None) != (role is None):
        raise UserError(
            "Give both a milestone and a role, or neither to see the mapping.",
            hint="e.g. /admin milestones streak-30 @Regular, or role 'none' to remove one",
        )
    lead = ""
    if milestone is not None and role is not None:
        key = (community.id, milestone)
        existing = await call.session.get(MilestoneRole, key)
        if role.strip().lower() == "none":
            await call.session.execute(
                delete(MilestoneRole).where(
                    MilestoneRole.community_id == community.id, MilestoneRole.kind == milestone
                )
            )
            lead = f"No role for {milestones.KINDS[milestone]} any more.\n\n"
        else:
            role_id = parse_role(role)
            if existing is None:
                call.session.add(
                    MilestoneRole(
                        community_id=community.id, kind=milestone, role_id=role_id, updated_at=call.now()
                    )
                )
            else:
                existing.role_id, existing.problem, existing.updated_at = role_id, None, call.now()
            lead = (
                f"Members who reach {milestones.KINDS[milestone]} from now on get <@&{role_id}>. "
                "I need the Manage Roles permission, and my own role must sit above that one.\n\n"
            )
        await call.session.flush()
    rows = (
        await call.session.execute(select(MilestoneRole).where(MilestoneRole.community_id == community.id))
    ).scalars()
    lines = []
    for r in sorted(
        rows, key=lambda r: list(milestones.KINDS).index(r.kind) if r.kind in milestones.KINDS else 99
    ):
        line = f"{milestones.KINDS.get(r.kind, r.kind).capitalize()} → <@&{r.role_id}>"
        if r.problem:
            line += f" ⚠️ {r.problem}"
        lines.append(line)
    body = lead + (bullet(lines) if lines else "No milestone roles yet.")
    return Reply(cards=(Card(title="Milestone roles", body=body),))


async def buddies(
    call: Call, community: Community, channel: str | None, cadence: str | None, enabled: str | None
) -> Reply:
    row = await circle.get_or_create(call.session, community.id, call.now())
    shown = None
    if channel is not None:
        if channel.strip().lower() in ("none", "off"):
            row.buddy_channel_id = None
        else:
            row.buddy_channel_id, shown = parse_channel(channel)
    if cadence is not None:
        row.buddy_every_weeks = 2 if cadence == "biweekly" else 1
    was_on = row.buddies_enabled
    row.buddies_enabled = _on(enabled, row.buddies_enabled)
    stale = row.next_buddy_round_at is not None and row.next_buddy_round_at <= call.now()
    if row.buddies_enabled and (row.next_buddy_round_at is None or (stale and not was_on)):
        row.next_buddy_round_at = buddy_rounds.first_round(call.now())
    row.updated_at = call.now()
    every = "every week" if row.buddy_every_weeks == 1 else "every two weeks"
    where = shown or (f"<#{row.buddy_channel_id}>" if row.buddy_channel_id else None)
    if community.platform in ROLE_PLATFORMS:
        intro = (
            f"Intros open a private thread in {where} with both members added."
            if where
            else "No buddy channel: each member gets a DM naming their buddy. Set one for private threads."
        )
    else:
        intro = "Intros are a group DM with both members."
    state = "on" if row.buddies_enabled else "off"
    nxt = (
        f" Next round: {day_time(row.next_buddy_round_at)} UTC."
        if row.buddies_enabled and row.next_buddy_round_at
        else ""
    )
    body = f"Study buddies are **{state}**, with rounds {every}.{nxt}\n{intro}"
    return Reply(cards=(Card(title="Study buddies", body=body, tone="success"),))


async def run(
    call: Call, community: Community, action: str, channel: str | None = None, **more: Any
) -> Reply:
    if action == "celebrations":
        return await celebrations(call, community, channel, more.get("enabled"))
    if action == "milestones":
        return await milestone_roles(call, community, more.get("milestone"), more.get("role"))
    return await buddies(call, community, channel, more.get("cadence"), more.get("enabled"))


ACTIONS = frozenset({"celebrations", "milestones", "buddies"})

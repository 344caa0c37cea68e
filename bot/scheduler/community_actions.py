"""Outbox rows that are not a DM or a channel post: a milestone role to grant (`role`) and a
study-buddy intro (`intro`). The dispatcher hands them here; the Messenger carries them out
if its platform can (`grant_role`, `introduce`), and a platform without roles skips them.

A role grant the platform refused for want of permission also leaves the reason on the
milestone's role mapping, so `/admin milestones` says what is wrong.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.community.buddy_rounds import intro_replies
from bot.core.identity import CommunityKey
from bot.core.ports import Delivery, RejectedDeliveryError
from storage.models import MilestoneRole

TARGETS = frozenset({"role", "intro"})
NO_ROLES = "no-roles"


async def send(
    messenger: Any, target: str, community: CommunityKey, channel_id: str, payload: dict[str, Any], key: str
) -> Delivery:
    if target == "role":
        grant = getattr(messenger, "grant_role", None)
        if grant is None:
            return Delivery(message_id=NO_ROLES, channel_id="")
        return await grant(community, str(payload["user_id"]), str(payload["role_id"]), key=key)
    introduce = getattr(messenger, "introduce", None)
    if introduce is None:
        raise RejectedDeliveryError(f"{getattr(messenger, 'platform', '?')} can't introduce members")
    reply, dm_replies, thread_name = intro_replies(payload)
    return await introduce(
        community,
        [str(u) for u in payload.get("user_ids") or []],
        reply,
        dm_replies=dm_replies,
        channel_id=None if channel_id == "dm" else channel_id,
        thread_name=thread_name,
        key=key,
    )


async def note_failure(session: AsyncSession, target: str, payload: dict[str, Any], reason: str) -> None:
    if target != "role" or not isinstance(payload.get("community_id"), int):
        return
    await session.execute(
        update(MilestoneRole)
        .where(
            MilestoneRole.community_id == payload["community_id"], MilestoneRole.kind == payload.get("kind")
        )
        .values(problem=problem_text(reason))
    )


async def note_sent(session: AsyncSession, sent: list[tuple[str, dict[str, Any]]]) -> None:
    """A role granted after all (the admin fixed the bot's permissions): the warning goes."""
    for target, payload in sent:
        if target == "role" and isinstance(payload.get("community_id"), int):
            await session.execute(
                update(MilestoneRole)
                .where(
                    MilestoneRole.community_id == payload["community_id"],
                    MilestoneRole.kind == payload.get("kind"),
                    MilestoneRole.problem.is_not(None),
                )
                .values(problem=None)
            )


def problem_text(reason: str) -> str:
    if "missing_manage_roles" in reason:
        return "I couldn't grant it: I don't have the Manage Roles permission."
    if "role_above_bot" in reason:
        return "I couldn't grant it: the role sits above my own highest role. Move my role above it."
    return f"I couldn't grant it: {reason}"[:300]

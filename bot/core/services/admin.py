"""/admin: the weekly-paper channel, defaults for new members, and community stats.

Adapters decide who is an admin (Manage Server on Discord; workspace admins and
SLACK_ADMIN_USER_IDS on Slack) and pass it in the call context; the engine
refuses admin commands without it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.core import timezones
from bot.core.call import Call
from bot.core.errors import UserError
from bot.core.format import hours
from bot.core.replies import Card, Field, Reply
from bot.core.services.settings import parse_time
from storage.models import CheckIn, Member, Plan


async def admin_command(
    call: Call,
    action: str,
    channel: str | None = None,
    timezone: str | None = None,
    checkin_time: str | None = None,
    hours_per_week: float | None = None,
) -> Reply:
    community = await call.community()
    if action == "paper-channel":
        if not channel:
            raise UserError(
                "Tell me which channel gets the weekly paper.",
                hint="e.g. /admin paper-channel #reading-group",
            )
        channel_id = channel.strip().lstrip("<#").rstrip(">").split("|")[0]
        if not channel_id or len(channel_id) > 64 or not channel_id.replace("-", "").isalnum():
            raise UserError("That doesn't look like a channel.")
        community.paper_channel_id = channel_id
        return Reply(
            cards=(
                Card(
                    title="Weekly paper channel set",
                    body=f"Each week I'll post the paper of the week in <#{channel_id}> "
                    "and open a discussion thread.",
                    tone="success",
                ),
            )
        )
    if action == "defaults":
        new = dict(community.defaults or {})
        if timezone is not None:
            new["timezone"] = timezones.validate(timezone)
        if checkin_time is not None:
            new["checkin_time"] = parse_time(checkin_time, "check-in time")
        if hours_per_week is not None:
            new["hours_per_week"] = float(hours_per_week)
        if new == (community.defaults or {}) and not any(
            v is not None for v in (timezone, checkin_time, hours_per_week)
        ):
            shown = ", ".join(f"{k}: {v}" for k, v in new.items()) or "none set"
            return Reply(cards=(Card(title="Community defaults", body=shown),))
        community.defaults = new
        shown = ", ".join(f"{k}: {v}" for k, v in new.items())
        return Reply(
            cards=(Card(title="Defaults saved", body=f"New members start with {shown}.", tone="success"),)
        )
    if action == "stats":
        return await _stats(call, community.id)
    raise UserError(f"Unknown admin action {action[:20]!r}.")


def stats_statements(community_id: int, now: datetime) -> dict[str, Any]:
    """The /admin stats aggregates by name; bench/ prints their query plans."""
    week_ago = now - timedelta(days=7)
    in_community = Member.community_id == community_id
    n = func.count().label("n")
    active = func.count(Member.id).filter(Member.last_active_at >= week_ago)
    return {
        "members": select(func.count(), active).where(in_community),
        "check-ins": select(func.count(), func.coalesce(func.sum(CheckIn.minutes), 0))
        .join(Member, Member.id == CheckIn.member_id)
        .where(in_community, CheckIn.local_date >= week_ago.date()),
        "popular plans": select(Plan.title, n)
        .join(Member, Member.id == Plan.member_id)
        .where(in_community, Plan.status == "active")
        .group_by(Plan.title)
        .order_by(n.desc(), Plan.title)
        .limit(3),
    }


async def _stats(call: Call, community_id: int) -> Reply:
    """Every figure is one aggregate in SQL over indexed rows; nothing is summed in Python."""
    statements = stats_statements(community_id, call.now())
    members, active = (await call.session.execute(statements["members"])).one()
    checkins, minutes = (await call.session.execute(statements["check-ins"])).one()
    top = (await call.session.execute(statements["popular plans"])).all()
    return Reply(
        cards=(
            Card(
                title="Community stats",
                fields=(
                    Field("Members", str(members)),
                    Field("Active this week", str(active)),
                    Field("Check-ins (7 days)", str(checkins)),
                    Field("Study time (7 days)", hours(int(minutes) / 60)),
                    Field(
                        "Popular plans",
                        ", ".join(f"{t} ({n})" for t, n in top) or "none yet",
                        inline=False,
                    ),
                ),
            ),
        )
    )


COMMANDS = {"admin": admin_command}
ACTIONS: dict = {}

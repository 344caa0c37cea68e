"""/admin: the weekly-paper channel, defaults for new members, and community stats.

Adapters decide who is an admin (Manage Server on Discord; workspace admins and
SLACK_ADMIN_USER_IDS on Slack) and pass it in the call context; the engine
refuses admin commands without it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.core import timezones
from bot.core.call import Call
from bot.core.community import admin as circle_admin
from bot.core.community import board_admin
from bot.core.display import bullet, hours
from bot.core.errors import UserError
from bot.core.features.settings.handlers import parse_time
from bot.core.replies import Card, Field, Reply
from bot.core.services import pictures
from storage.models import CheckIn, Member, Plan

_MENTION = re.compile(r"^<#(?P<id>[A-Za-z0-9]+)(?:\|(?P<name>[^>]*))?>$")
_NAME = re.compile(r"^#?(?P<name>[A-Za-z0-9][A-Za-z0-9_-]{0,79})$")


def parse_channel(text: str) -> tuple[str, str]:
    """A channel as typed: `<#C123|name>` or `<#123>` (a mention), `#name`, or a bare id or name.

    Returns what to store (the id when the text has one, else the name, which Slack accepts for
    posting) and how to show it in the reply.
    """
    raw = text.strip()
    if m := _MENTION.match(raw):
        return m.group("id"), f"<#{m.group('id')}>"
    if (m := _NAME.match(raw)) is None:
        raise UserError(
            f"{raw[:40]!r} doesn't look like a channel.",
            hint="Type it as #reading-group, pick it from the list, or paste the channel id.",
        )
    name = m.group("name")
    looks_like_id = name.isdigit() or (name[0] in "CG" and name.isupper() and len(name) >= 9)
    if looks_like_id and not raw.startswith("#"):
        return name, f"<#{name}>"
    return name, f"#{name}"


_DEFAULT_LABELS = {
    "timezone": "Time zone",
    "checkin_time": "Check-in time",
    "hours_per_week": "Study hours per week",
}


def describe_defaults(defaults: dict[str, object]) -> str:
    lines = []
    for key, value in defaults.items():
        label = _DEFAULT_LABELS.get(key, key.replace("_", " ").capitalize())
        shown = hours(float(value)) if key == "hours_per_week" and isinstance(value, int | float) else value
        lines.append(f"{label}: {shown}")
    return bullet(lines) if lines else ""


async def admin_command(
    call: Call,
    action: str,
    channel: str | None = None,
    timezone: str | None = None,
    checkin_time: str | None = None,
    hours_per_week: float | None = None,
    weekday: str | None = None,
    time: str | None = None,
    **more: Any,
) -> Reply:
    community = await call.community()
    if action in circle_admin.ACTIONS:
        return await circle_admin.run(call, community, action, channel=channel, **more)
    if action == "paper-channel":
        if not channel:
            raise UserError(
                "Tell me which channel gets the weekly paper.",
                hint="e.g. /admin paper-channel #reading-group",
            )
        channel_id, shown = parse_channel(channel)
        community.paper_channel_id = channel_id
        return Reply(
            cards=(
                Card(
                    title="Weekly paper channel set",
                    body=f"Each week I'll post the paper of the week in {shown} "
                    "and open a discussion thread.",
                    tone="success",
                ),
            )
        )
    if action == "defaults":
        new = dict(community.defaults or {})
        if timezone is not None:
            new["timezone"] = timezones.validate(timezone, call.now())
        if checkin_time is not None:
            new["checkin_time"] = parse_time(checkin_time, "check-in time")
        if hours_per_week is not None:
            new["hours_per_week"] = float(hours_per_week)
        if new == (community.defaults or {}) and not any(
            v is not None for v in (timezone, checkin_time, hours_per_week)
        ):
            shown = describe_defaults(new) or "None set yet."
            how = (
                "To change them, give a time zone, a check-in time and weekly hours, "
                "e.g. /admin defaults Europe/Berlin 08:00 6"
            )
            return Reply(cards=(Card(title="Community defaults", body=shown, footer=how),))
        community.defaults = new
        return Reply(
            cards=(
                Card(
                    title="Defaults saved",
                    body=f"New members start with:\n{describe_defaults(new)}",
                    tone="success",
                ),
            )
        )
    if action == "stats":
        return await _stats(call, community.id)
    if action in board_admin.ACTIONS:
        return await board_admin.community_admin(
            call, community, action, channel, weekday, time, timezone, checkin_time
        )
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
    show = pictures.wanted(call, await call.existing_member())
    images = (await pictures.community_image(call, community_id),) if show else ()
    return Reply(
        images=images,
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
        ),
    )


ACTIONS: dict = {}

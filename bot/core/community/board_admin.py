"""/admin controls for the leaderboard and the weekly digest: the digest channel, its weekday
and time (in the community's time zone), and turning either feature on or off."""

from __future__ import annotations

from bot.core import timezones
from bot.core.call import Call
from bot.core.errors import UserError
from bot.core.features.settings.handlers import DAY_NAMES, parse_time, parse_weekday
from bot.core.replies import Card, Reply
from storage.models import Community

ACTIONS = ("digest-channel", "digest-time", "digest-on", "digest-off", "leaderboard-on", "leaderboard-off")
DIGEST_COVERS = (
    "It covers Monday to Sunday of the week it's posted in, so a late-week time shows the whole week."
)


def community_zone(community: Community) -> str:
    """The community's time zone: the default set with /admin defaults, else UTC."""
    return str((community.defaults or {}).get("timezone") or "UTC")


def _schedule_words(call: Call, community: Community) -> str:
    zone = timezones.describe(community_zone(community), call.now())
    return f"every {DAY_NAMES[community.digest_weekday]} at {community.digest_time}, {zone}"


def _done(title: str, body: str) -> Reply:
    return Reply(cards=(Card(title=title, body=body, tone="success"),))


async def community_admin(
    call: Call,
    community: Community,
    action: str,
    channel: str | None = None,
    weekday: str | None = None,
    time: str | None = None,
    timezone: str | None = None,
    checkin_time: str | None = None,
) -> Reply:
    from bot.core.features.admin.handlers import parse_channel  # admin imports this module

    if action == "digest-channel":
        channel = channel or timezone  # a bare word typed after the action lands in the first free option
        if not channel:
            raise UserError(
                "Tell me which channel gets the weekly digest.", hint="e.g. /admin digest-channel #general"
            )
        channel_id, shown = parse_channel(channel)
        community.digest_channel_id = channel_id
        off = "" if community.digest_enabled else " The digest is off now; /admin digest-on starts it."
        return _done(
            "Digest channel set",
            f"I'll post the weekly community digest in {shown}, {_schedule_words(call, community)}. "
            f"{DIGEST_COVERS} Only members who opted in are named.{off}",
        )
    if action == "digest-time":
        # Typed as `/admin digest-time sun 18:00`, the words land in the first free options.
        day_text = weekday or timezone
        time_text = time or checkin_time
        if not day_text or not time_text:
            raise UserError(
                "Give a weekday and a time for the digest.", hint="e.g. /admin digest-time sun 18:00"
            )
        wd = parse_weekday(day_text)
        at = parse_time(time_text, "digest time")
        community.digest_weekday, community.digest_time = wd, at
        where = "" if community.digest_channel_id else " Choose its channel with /admin digest-channel."
        return _done(
            "Digest time set",
            f"The weekly digest goes out {_schedule_words(call, community)}. {DIGEST_COVERS} "
            f"The time zone is the community's default; change it with /admin defaults.{where}",
        )
    if action in ("digest-on", "digest-off"):
        on = action == "digest-on"
        community.digest_enabled = on
        if not on:
            return _done("Weekly digest off", "I won't post the weekly digest. /admin digest-on restarts it.")
        where = (
            f"in <#{community.digest_channel_id}>"
            if community.digest_channel_id
            else "once you choose a channel with /admin digest-channel"
        )
        return _done("Weekly digest on", f"I'll post it {where}, {_schedule_words(call, community)}.")
    if action in ("leaderboard-on", "leaderboard-off"):
        on = action == "leaderboard-on"
        community.leaderboard_enabled = on
        if on:
            return _done(
                "Leaderboard on",
                "/leaderboard shows members who opted in, and the digest carries its top 5.",
            )
        return _done(
            "Leaderboard off",
            "/leaderboard now says it's turned off here, and the digest leaves the top 5 out. "
            "Members' opt-in choices are kept.",
        )
    raise UserError(f"Unknown admin action {action[:20]!r}.")

"""The community opt-in as a /settings choice: `members.community_opt_in`, one switch per
membership for the leaderboard and the names in the weekly digest (off by default)."""

from __future__ import annotations

from bot.core.call import Call
from bot.core.community import study_totals
from bot.core.replies import Field
from storage.models import Member


def settings_field(member: Member) -> Field:
    shown = (
        "on: your name, hours and streak appear on /leaderboard and in the weekly digest"
        if member.community_opt_in
        else "off: you don't appear on /leaderboard or in the digest"
    )
    return Field("Leaderboard", shown, inline=False)


async def from_settings(call: Call, member: Member, on: bool) -> list[str]:
    """What changed, for the "Saved." line; nothing when it already was so."""
    from bot.core.community.leaderboard import remember_name

    if on:
        remember_name(member, call.ctx.display_name)
    if member.community_opt_in == on:
        return []
    await study_totals.set_opt_in(call.session, member, on)
    if on:
        return ["Leaderboard: on (your name, hours and streak show on /leaderboard and in the digest)"]
    return ["Leaderboard: off (you're left out of the board and future digests; past ones stay as posted)"]

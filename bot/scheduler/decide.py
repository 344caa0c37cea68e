"""What to do with a claimed outbox row, decided from the row and what it is addressed to.

Pure: the dispatcher loads the row's member, stream and community, asks `decide`, and
writes what it answers. No database, no clock of its own, so every rule here is tested
with plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.core.domain import schedule


class RowFacts(Protocol):
    expires_at: datetime | None
    attempts: int
    target: str
    member_id: int | None
    community_id: int | None
    channel_id: str | None
    last_error: str | None


@dataclass(frozen=True)
class Send:
    pass


@dataclass(frozen=True)
class Drop:
    reason: str


@dataclass(frozen=True)
class GiveUp:
    reason: str


@dataclass(frozen=True)
class Wait:
    """Not now (the member's quiet hours): due again at `until`."""

    until: datetime


Outcome = Send | Drop | GiveUp | Wait

SEND = Send()


def decide(
    row: RowFacts,
    member: Any | None,
    stream_enabled: bool | None,
    community_found: bool,
    now: datetime,
    max_attempts: int,
) -> Outcome:
    """The fate of one claimed row.

    `member` is the DM's recipient (None when gone or for channel posts); `stream_enabled`
    is the member's setting for the row's stream (None when there is no such stream);
    `community_found` says whether a channel post's community still exists.
    """
    if row.expires_at is not None and now >= row.expires_at:
        return Drop("stale")
    if row.attempts >= max_attempts:
        return GiveUp((row.last_error or "")[:400] + " (gave up)")
    if row.target != "dm":
        return SEND if community_found and row.channel_id else Drop("community or channel gone")
    if member is None:
        return Drop("member gone")
    if member.dm_blocked_reason:
        return Drop("DMs blocked")
    if schedule.is_paused(member, now):
        return Drop("paused")
    if stream_enabled is False:
        return Drop("turned off")
    if schedule.quiet_now(member, now):
        ends = schedule.quiet_ends(member, now)
        if row.expires_at is not None and ends >= row.expires_at:
            return Drop("quiet hours")
        return Wait(ends)
    return SEND

"""Ports the core and scheduler need from the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.core.identity import CommunityKey, MemberKey
from bot.core.replies import Reply


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where a message landed. `channel_id` lets the caller cache DM channels."""

    message_id: str
    channel_id: str
    thread_id: str | None = None


class DeliveryError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PermanentDeliveryError(DeliveryError):
    """Will never succeed (DMs closed, user gone, channel deleted). Turn the stream off."""


class PausedDeliveryError(DeliveryError):
    """The bot or its install is broken (revoked token, missing scope), not the member.

    Delivery pauses for `scope` (a workspace id, or None for the whole platform); the row
    stays queued and goes out once a probe of the platform succeeds.
    """

    def __init__(self, reason: str, scope: str | None = None) -> None:
        super().__init__(reason)
        self.scope = scope


class RejectedDeliveryError(DeliveryError):
    """The platform refused this one message (a 400: malformed). Fail the row, change nothing else."""


class RetryableDeliveryError(DeliveryError):
    """Try again later, no sooner than `retry_after` seconds when given."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Messenger(Protocol):
    """Implemented by each adapter for scheduled, unprompted messages.

    `key` is the outbox idempotency key; adapters pass it on where the
    platform can deduplicate (Discord's nonce).
    """

    platform: str

    async def send_dm(
        self, member: MemberKey, reply: Reply, *, key: str, dm_channel_id: str | None = None
    ) -> Delivery: ...

    async def post_channel(
        self,
        community: CommunityKey,
        channel_id: str,
        reply: Reply,
        *,
        key: str,
        thread_name: str | None = None,
        thread_reply: Reply | None = None,
    ) -> Delivery: ...

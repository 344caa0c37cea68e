"""A Messenger that keeps every message in memory, and can be told to fail."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.identity import CommunityKey, MemberKey
from bot.core.ports import Delivery, DeliveryError
from bot.core.replies import Reply


@dataclass
class Sent:
    key: str
    target: str
    to: str
    reply: Reply
    thread_name: str | None = None
    thread_reply: Reply | None = None


@dataclass
class MemoryMessenger:
    platform: str = "test"
    sent: list[Sent] = field(default_factory=list)
    fail_next: list[DeliveryError] = field(default_factory=list)
    roles: list[tuple[str, str, str]] = field(default_factory=list)  # (workspace, user, role) granted

    def _maybe_fail(self) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)

    async def send_dm(
        self, member: MemberKey, reply: Reply, *, key: str, dm_channel_id: str | None = None
    ) -> Delivery:
        self._maybe_fail()
        self.sent.append(Sent(key, "dm", member.user_id, reply))
        return Delivery(str(len(self.sent)), dm_channel_id or f"D-{member.user_id}")

    async def post_channel(
        self,
        community: CommunityKey,
        channel_id: str,
        reply: Reply,
        *,
        key: str,
        thread_name: str | None = None,
        thread_reply: Reply | None = None,
    ) -> Delivery:
        self._maybe_fail()
        self.sent.append(Sent(key, "channel", channel_id, reply, thread_name, thread_reply))
        thread = f"T{len(self.sent)}" if thread_reply is not None else None
        return Delivery(str(len(self.sent)), channel_id, thread)

    async def grant_role(self, community: CommunityKey, user_id: str, role_id: str, *, key: str) -> Delivery:
        self._maybe_fail()
        if (community.workspace_id, user_id, role_id) not in self.roles:
            self.roles.append((community.workspace_id, user_id, role_id))
        return Delivery(f"role-{role_id}", "")

    async def introduce(
        self,
        community: CommunityKey,
        user_ids: list[str],
        reply: Reply,
        *,
        dm_replies: dict[str, Reply],
        channel_id: str | None,
        thread_name: str | None,
        key: str,
    ) -> Delivery:
        """A group conversation with both members (as Slack's group DM or a private thread)."""
        self._maybe_fail()
        self.sent.append(Sent(key, "intro", ",".join(user_ids), reply, thread_name))
        return Delivery(str(len(self.sent)), channel_id or "group-" + "-".join(user_ids))

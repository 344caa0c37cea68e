"""Unprompted messages (the scheduler's DMs and channel posts) through the Web API.

DM channel ids are opened with conversations.open (Tier 3) only when the caller
has none cached; the returned Delivery.channel_id is what it should cache.

Errors become the core's delivery errors, by whose fault they are (`delivery_error`):
errors about the member stop their DMs; auth, scope and installation errors pause the
workspace until `auth.test` answers again; malformed-message errors fail that one row.

Scheduled posts are never retried by the client after a connection error: Slack may have
accepted the message before the connection dropped, and it has no idempotency key. The
dispatcher instead asks `find_sent`, which looks for the outbox key in the message
metadata of the channel's recent history, before it posts again.

A channel post's pictures (the digest's community card) are uploaded into the channel after the
post, with files_upload_v2. Once the post is in, a failed upload is logged and the delivery
still counts as made: retrying would post the text twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.client import scheduled_client
from bot.adapters.slack.pictures import upload_images
from bot.adapters.slack.webapi import open_dm, post_reply, upload
from bot.core.identity import CommunityKey, MemberKey
from bot.core.ports import (
    Delivery,
    PausedDeliveryError,
    PermanentDeliveryError,
    RejectedDeliveryError,
    RetryableDeliveryError,
)
from bot.core.replies import Reply

log = logging.getLogger(__name__)

# The member cannot be reached: their DMs stop.
MEMBER_ERRORS = frozenset({"cannot_dm_bot", "user_not_found", "account_inactive", "user_disabled"})
# The bot's token or install is broken: the workspace pauses until auth.test works.
INSTALL_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive_bot",
        "missing_scope",
        "team_access_not_granted",
        "restricted_action",
        "no_permission",
        "org_login_required",
        "ekm_access_denied",
    }
)
# This message or its channel is refused: fail the row, nothing else.
# The channel is gone or closed to the bot: a channel post fails for good; for a DM only
# this row fails (the member is not at fault).
CHANNEL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
REJECTED_ERRORS = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "metadata_too_large",
        "invalid_form_data",
    }
)
PERMANENT_ERRORS = MEMBER_ERRORS
METADATA_EVENT = "study_companion_delivery"
HISTORY_LIMIT = 50

ClientFor = Callable[[str], Awaitable[AsyncWebClient]]


def delivery_error(exc: Exception, workspace: str | None = None, where: str = "dm") -> Exception:
    """Map a Web API failure to the core's delivery errors (see the module docstring)."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        code = str(exc.response.get("error") or f"http_{status}")
        if status == 429 or code == "ratelimited":
            raw = (exc.response.headers or {}).get("Retry-After") or (exc.response.headers or {}).get(
                "retry-after"
            )
            try:
                retry_after = float(raw[0] if isinstance(raw, list) else raw) if raw else None
            except ValueError:
                retry_after = None
            return RetryableDeliveryError("ratelimited", retry_after)
        if code in MEMBER_ERRORS:
            return PermanentDeliveryError(code)
        if code in INSTALL_ERRORS or status in (401, 403):
            return PausedDeliveryError(code, scope=workspace)
        if code in CHANNEL_ERRORS:
            return PermanentDeliveryError(code) if where == "channel" else RejectedDeliveryError(code)
        if code in REJECTED_ERRORS or status == 400:
            return RejectedDeliveryError(code)
        if status >= 500:
            return RetryableDeliveryError(f"slack {status}")
        return RetryableDeliveryError(code)
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError, aiohttp.ClientError, OSError)):
        return RetryableDeliveryError(f"network: {type(exc).__name__}")
    return exc


class SlackMessenger:
    platform = "slack"

    def __init__(self, client_for: ClientFor) -> None:
        self._client_for = client_for

    @classmethod
    def single(cls, client: AsyncWebClient) -> SlackMessenger:
        async def same(_team: str) -> AsyncWebClient:
            return client

        return cls(same)

    async def _client(self, workspace: str) -> AsyncWebClient:
        try:
            return scheduled_client(await self._client_for(workspace))
        except PermanentDeliveryError as exc:  # no installation: the workspace's fault, not the member's
            raise PausedDeliveryError(exc.reason, scope=workspace) from exc

    async def probe(self, scope: str | None = None) -> bool:
        """True when the workspace's token works again (`auth.test`), after a pause."""
        if scope is None:
            return True
        try:
            client = await self._client(scope)
            await client.auth_test()
        except Exception as exc:
            log.info("slack probe of %s failed: %s", scope, type(exc).__name__)
            return False
        return True

    async def find_sent(
        self,
        *,
        key: str,
        reply: Reply,
        since_seconds: float,
        member: MemberKey | None = None,
        community: CommunityKey | None = None,
        channel_id: str | None = None,
    ) -> Delivery | None:
        """The message an earlier, unconfirmed attempt of `key` posted, found by the outbox key
        in the metadata of the channel's recent messages; None when there is none."""
        workspace = member.workspace_id if member is not None else community.workspace_id if community else ""
        try:
            client = await self._client(workspace)
            if channel_id is None:
                if member is None:
                    return None
                channel_id = await open_dm(client, member.user_id)
            resp = await client.conversations_history(
                channel=channel_id, limit=HISTORY_LIMIT, include_all_metadata=True
            )
        except (PausedDeliveryError, PermanentDeliveryError):
            raise
        except SlackApiError as exc:
            if exc.response.get("error") in ("missing_scope", "not_in_channel", "channel_not_found"):
                # Without im:history (an install from before it was asked for) the history cannot
                # be read; posting again is the lesser harm than holding the message for good.
                log.warning("cannot look for %s before resending (%s)", key, exc.response.get("error"))
                return None
            raise delivery_error(exc, workspace) from exc
        except Exception as exc:
            raise delivery_error(exc, workspace) from exc
        wanted = key[:200]
        for message in resp.get("messages") or []:
            meta = message.get("metadata") or {}
            if (
                meta.get("event_type") == METADATA_EVENT
                and (meta.get("event_payload") or {}).get("key") == wanted
            ):
                return Delivery(message_id=str(message.get("ts")), channel_id=channel_id)
        return None

    async def send_dm(
        self, member: MemberKey, reply: Reply, *, key: str, dm_channel_id: str | None = None
    ) -> Delivery:
        try:
            client = await self._client(member.workspace_id)
            channel = dm_channel_id or await open_dm(client, member.user_id)
            ts = await post_reply(client, channel, reply, metadata=_metadata(key))
            if reply.attachment is not None:
                await upload(client, channel, reply.attachment)
        except Exception as exc:
            raise delivery_error(exc, member.workspace_id) from exc
        return Delivery(message_id=ts, channel_id=channel)

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
        try:
            client = await self._client(community.workspace_id)
            ts = await post_reply(client, channel_id, reply, metadata=_metadata(key))
            thread_ts = None
            if thread_reply is not None:
                lead = thread_reply
                if thread_name:
                    lead = replace(thread_reply, text=f"**{thread_name}**\n{thread_reply.text}".strip())
                await post_reply(client, channel_id, lead, thread_ts=ts)
                thread_ts = ts
        except Exception as exc:
            raise delivery_error(exc, community.workspace_id, "channel") from exc
        if reply.images:
            try:
                await upload_images(client, channel_id, reply.images)
            except Exception as exc:
                log.warning("%s: the post is in, its picture upload failed (%s)", key, type(exc).__name__)
        return Delivery(message_id=ts, channel_id=channel_id, thread_id=thread_ts)

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
        """A group DM with both members: conversations.open with both user ids (mpim:write)."""
        try:
            client = await self._client(community.workspace_id)
            opened = await client.conversations_open(users=",".join(user_ids))
            channel = str(opened["channel"]["id"])
            ts = await post_reply(client, channel, reply, metadata=_metadata(key))
        except Exception as exc:
            raise delivery_error(exc, community.workspace_id, "channel") from exc
        return Delivery(message_id=ts, channel_id=channel)


def _metadata(key: str) -> dict[str, Any]:
    """Message metadata carries the outbox key, so a delivered message can be traced to its slot."""
    return {"event_type": METADATA_EVENT, "event_payload": {"key": key[:200]}}

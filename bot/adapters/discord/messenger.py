"""Scheduled messages through Discord: DMs and channel posts (optionally with a thread).

Errors become the core's delivery errors, by whose fault they are:
- 50007 (cannot DM this user) and 10013 (unknown user): the member cannot be reached
  (permanent, their DMs stop);
- 401: the bot's token is broken; delivery pauses until `GET /users/@me` answers again;
- any other 4xx (a 400, a 403 missing permission, a 404): this one message is refused;
- 429s, 5xx and timeouts: retryable.
The outbox key becomes the message nonce with `enforce_nonce`, so a resend within
Discord's nonce window is deduplicated by Discord; past it, `find_sent` looks for the
message in the channel's recent history before the dispatcher sends it again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import discord

from bot.adapters.discord import limits, roles
from bot.adapters.discord.render import Rendered, clip, render
from bot.core.identity import CommunityKey, MemberKey
from bot.core.ports import (
    Delivery,
    PausedDeliveryError,
    PermanentDeliveryError,
    RejectedDeliveryError,
    RetryableDeliveryError,
)
from bot.core.replies import Reply
from bot.runtime import App
from bot.scheduler.messengers import MessengerUnavailable

log = logging.getLogger(__name__)

CANNOT_DM = 50007
UNKNOWN_CHANNEL = 10003
UNKNOWN_USER = 10013
THREAD_ARCHIVE_MINUTES = 10080
PRIVATE_THREAD = 12
SEND_TIMEOUT = 30.0
# Discord deduplicates an enforced nonce for "a few minutes"; past this, look before resending.
NONCE_WINDOW_SECONDS = 120.0
HISTORY_LIMIT = 50
# A message found in history must be no older than the earlier attempt, less this slack.
HISTORY_SLACK_SECONDS = 10.0


def nonce_for(key: str) -> str:
    """Discord nonces are at most 25 characters; outbox keys are longer, so hash them."""
    return hashlib.sha256(key.encode()).hexdigest()[: limits.NONCE_MAX]


class DiscordMessenger:
    platform = "discord"

    def __init__(self, client: discord.Client, timeout: float = SEND_TIMEOUT) -> None:
        self.client = client
        self.timeout = timeout

    async def send_dm(
        self, member: MemberKey, reply: Reply, *, key: str, dm_channel_id: str | None = None
    ) -> Delivery:
        channel_id = dm_channel_id
        try:
            if channel_id is None:
                channel_id = await self._open_dm(member.user_id)
            try:
                message_id = await self._send(int(channel_id), reply, key)
            except discord.NotFound as exc:
                if dm_channel_id is None or exc.code != UNKNOWN_CHANNEL:
                    raise
                # The cached DM channel is gone: open a fresh one once.
                channel_id = await self._open_dm(member.user_id)
                message_id = await self._send(int(channel_id), reply, key)
        except Exception as exc:
            raise _delivery_error(exc, "dm") from exc
        return Delivery(message_id=message_id, channel_id=str(channel_id))

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
            message_id = await self._send(int(channel_id), reply, key)
            thread_id: str | None = None
            if thread_name or thread_reply is not None:
                thread = await self._call(
                    self.client.http.start_thread_with_message(
                        int(channel_id),
                        int(message_id),
                        name=clip(thread_name or "Discussion", 100),
                        auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                        rate_limit_per_user=None,
                        reason=None,
                    )
                )
                thread_id = str(thread["id"])
                if thread_reply is not None:
                    await self._send(int(thread_id), thread_reply, f"{key}#thread")
        except Exception as exc:
            raise _delivery_error(exc, "channel") from exc
        return Delivery(message_id=message_id, channel_id=str(channel_id), thread_id=thread_id)

    async def grant_role(self, community: CommunityKey, user_id: str, role_id: str, *, key: str) -> Delivery:
        """Give a member a milestone role (PUT is idempotent). A 403 says which permission is missing."""
        guild = int(community.workspace_id)
        try:
            grant = self.client.http.add_role(guild, int(user_id), int(role_id), reason="Study milestone")
            await self._call(grant)
        except discord.Forbidden as exc:
            if exc.code != roles.MISSING_PERMISSIONS:
                raise _delivery_error(exc, "role") from exc
            why = await self._why_forbidden(guild, role_id)
            raise RejectedDeliveryError(f"{why}: {exc.code} {exc.text}"[:200]) from exc
        except Exception as exc:
            raise _delivery_error(exc, "role") from exc
        return Delivery(message_id=f"role:{role_id}", channel_id="")

    async def _why_forbidden(self, guild: int, role_id: str) -> str:
        me = self.client.user.id if self.client.user is not None else None
        try:
            mine = await self._call(self.client.http.get_member(guild, me)) if me is not None else {}
            guild_roles = await self._call(self.client.http.get_roles(guild))
        except Exception:
            return "forbidden"
        return roles.diagnose(str(guild), [str(r) for r in mine.get("roles") or []], guild_roles, role_id)

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
        """Bots can't open group DMs: a private thread in the buddy channel with both members
        added, or, with no channel, a DM to each naming the other."""
        try:
            if channel_id is None:
                first: Delivery | None = None
                for user_id in user_ids:
                    dm = await self._open_dm(user_id)
                    message_id = await self._send(int(dm), dm_replies.get(user_id, reply), f"{key}#{user_id}")
                    first = first or Delivery(message_id=message_id, channel_id=dm)
                assert first is not None
                return first
            thread = await self._call(
                self.client.http.start_thread_without_message(
                    int(channel_id),
                    name=clip(thread_name or "Study buddies", 100),
                    auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                    type=PRIVATE_THREAD,
                    invitable=False,
                )
            )
            thread_id = str(thread["id"])
            for user_id in user_ids:
                await self._call(self.client.http.add_user_to_thread(int(thread_id), int(user_id)))
            message_id = await self._send(int(thread_id), reply, key)
        except Exception as exc:
            raise _delivery_error(exc, "channel") from exc
        return Delivery(message_id=message_id, channel_id=str(channel_id), thread_id=thread_id)

    async def probe(self, scope: str | None = None) -> bool:
        """True when the token works again (`GET /users/@me`), after a 401 paused delivery."""
        try:
            await self._call(self.client.http.request(discord.http.Route("GET", "/users/@me")))
        except Exception as exc:
            log.info("discord probe failed: %s", type(exc).__name__)
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
        """The message an earlier, unconfirmed attempt of `key` created, if Discord has it.

        Within the nonce window the resend itself is deduplicated by Discord, so this looks
        nowhere. Past it, the channel's recent messages are searched for the key's nonce or,
        since Discord does not always return nonces in history, for the same rendered first
        message from this bot, sent no earlier than the earlier attempt.
        """
        if since_seconds < NONCE_WINDOW_SECONDS:
            return None
        try:
            if channel_id is None:
                if member is None:
                    return None
                channel_id = await self._open_dm(member.user_id)
            history = await self._call(self.client.http.logs_from(int(channel_id), HISTORY_LIMIT))
        except Exception as exc:
            raise _delivery_error(exc, "dm" if member is not None else "channel") from exc
        wanted = nonce_for(key)
        first = render(reply)[0]
        if first.view is not None:
            first.view.stop()
        me = self.client.user.id if self.client.user is not None else None
        oldest = discord.utils.utcnow().timestamp() - since_seconds - HISTORY_SLACK_SECONDS
        for message in history:
            if str(message.get("nonce") or "") == wanted or (
                me is not None
                and str((message.get("author") or {}).get("id")) == str(me)
                and _same_message(message, first)
                and _created_at(message) >= oldest
            ):
                return Delivery(message_id=str(message["id"]), channel_id=str(channel_id))
        return None

    async def _open_dm(self, user_id: str) -> str:
        data = await self._call(self.client.http.start_private_message(int(user_id)))
        return str(data["id"])

    async def _send(self, channel_id: int, reply: Reply, key: str) -> str:
        channel = self.client.get_partial_messageable(channel_id)
        messages: list[Rendered] = render(reply)
        first_id = ""
        for i, m in enumerate(messages):
            nonce = nonce_for(key if i == 0 else f"{key}#{i}")
            sent = await self._call(channel.send(**m.send_kwargs(), nonce=nonce))
            first_id = first_id or str(sent.id)
        return first_id

    async def _call(self, coro: Any) -> Any:
        return await asyncio.wait_for(coro, timeout=self.timeout)


def _same_message(message: dict[str, Any], sent: Rendered) -> bool:
    """Same content and the same embed titles and descriptions as the first rendered message."""
    mine = [(e.title, e.description) for e in sent.embeds]
    theirs = [(e.get("title"), e.get("description")) for e in message.get("embeds") or []]
    return (message.get("content") or "") == (sent.content or "") and mine == theirs


def _created_at(message: dict[str, Any]) -> float:
    try:
        return discord.utils.snowflake_time(int(message["id"])).timestamp()
    except (KeyError, ValueError, TypeError):
        return 0.0


def _delivery_error(exc: Exception, where: str) -> Exception:
    if isinstance(
        exc, (PermanentDeliveryError, RetryableDeliveryError, PausedDeliveryError, RejectedDeliveryError)
    ):
        return exc
    if isinstance(exc, discord.RateLimited):
        return RetryableDeliveryError("rate_limited", retry_after=exc.retry_after)
    if isinstance(exc, discord.Forbidden):
        if exc.code == CANNOT_DM and where == "dm":
            return PermanentDeliveryError(
                f"dm_closed: {exc.text or 'cannot send messages to this user'}"[:200]
            )
        return RejectedDeliveryError(f"forbidden ({where}): {exc.code} {exc.text}"[:200])
    if isinstance(exc, discord.NotFound):
        if exc.code == UNKNOWN_USER and where == "dm":
            return PermanentDeliveryError(f"unknown_user: {exc.text}"[:200])
        what = {UNKNOWN_CHANNEL: "unknown_channel"}.get(exc.code, "not_found")
        return RejectedDeliveryError(f"{what}: {exc.code} {exc.text}"[:200])
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429:
            return RetryableDeliveryError("rate_limited", retry_after=_retry_after(exc))
        if exc.status >= 500:
            return RetryableDeliveryError(f"discord_{exc.status}")
        if exc.status == 401:
            return PausedDeliveryError(f"discord_401: {exc.text}"[:200])
        return RejectedDeliveryError(f"rejected: {exc.status} {exc.code} {exc.text}"[:200])
    if isinstance(exc, discord.LoginFailure):
        return PausedDeliveryError("discord_login_failed")
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError, OSError, discord.GatewayNotFound)):
        return RetryableDeliveryError(f"network: {type(exc).__name__}")
    return RetryableDeliveryError(f"unexpected: {type(exc).__name__}")


def _retry_after(exc: discord.HTTPException) -> float | None:
    value = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@asynccontextmanager
async def open_messenger(app: App) -> AsyncIterator[DiscordMessenger]:
    """A REST-only messenger for one-off runs such as `python -m bot tick`: logs in
    (no gateway connection) and logs out again afterwards."""
    settings = app.settings
    if not settings.discord_configured or settings.discord_token is None:
        raise MessengerUnavailable("DISCORD_TOKEN is not set")
    discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    client = discord.Client(
        intents=discord.Intents.none(),
        allowed_mentions=discord.AllowedMentions.none(),
        max_ratelimit_timeout=30.0,
    )
    await client.login(settings.discord_token.get_secret_value())
    try:
        yield DiscordMessenger(client)
    finally:
        await client.close()

"""Who is calling: member keys from Slack payloads, and a Context from users.info.

users.info is Tier 4, but a command must be acknowledged and answered quickly,
so answers are cached for a few minutes per user.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.call import Context
from bot.core.identity import MemberKey

log = logging.getLogger(__name__)

PLATFORM = "slack"
USER_CACHE_SECONDS = 300.0


def team_of(body: Mapping[str, Any]) -> str:
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    if not team:
        user = body.get("user") or {}
        team = user.get("team_id") or (body.get("enterprise") or {}).get("id") or body.get("enterprise_id")
    return str(team or "unknown")


def user_of(body: Mapping[str, Any]) -> str:
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    if not user:
        user = (body.get("event") or {}).get("user")
    if not user:
        raise ValueError("no user in this Slack payload")
    return str(user)


def member_key(team_id: str, user_id: str) -> MemberKey:
    return MemberKey(PLATFORM, team_id, user_id)


class UserDirectory:
    """Caches what users.info says about each user: admin flags, time zone and name."""

    def __init__(
        self,
        admin_user_ids: list[str] | tuple[str, ...] = (),
        ttl: float = USER_CACHE_SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.admin_user_ids = frozenset(admin_user_ids)
        self.ttl = ttl
        self._now = now
        self._cache: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}

    async def info(self, client: AsyncWebClient, member: MemberKey) -> dict[str, Any]:
        key = (member.workspace_id, member.user_id)
        hit = self._cache.get(key)
        if hit is not None and self._now() - hit[0] < self.ttl:
            return hit[1]
        try:
            resp = await client.users_info(user=member.user_id)
            user = dict(resp.get("user") or {})
        except SlackApiError as exc:
            log.warning("users.info failed: %s", exc.response.get("error"))
            return {}
        self._cache[key] = (self._now(), user)
        return user

    async def context(
        self, client: AsyncWebClient, member: MemberKey, channel_id: str | None = None
    ) -> Context:
        user = await self.info(client, member)
        profile = user.get("profile") or {}
        is_admin = member.user_id in self.admin_user_ids or any(
            bool(user.get(flag)) for flag in ("is_admin", "is_owner", "is_primary_owner")
        )
        return Context(
            is_admin=is_admin,
            display_name=str(profile.get("display_name") or user.get("real_name") or user.get("name") or ""),
            timezone_hint=user.get("tz") or None,
            channel_id=channel_id,
        )

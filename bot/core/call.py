"""Everything one command or action needs: a session (one transaction), the catalogue,
the clock, and the member it is for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock, zone
from bot.core.identity import MemberKey
from bot.core.services import due_times, memberships, pauses
from content.schema import Catalog
from storage import repo
from storage.models import Community, Member


@dataclass(frozen=True, slots=True)
class Context:
    """Facts the adapter knows about the caller, in plain values."""

    is_admin: bool = False
    display_name: str = ""
    timezone_hint: str | None = None
    channel_id: str | None = None
    # A direct message, where a person in several communities is all of them at once.
    in_dm: bool = False
    community_name: str | None = None
    # The surface can't show pictures (Slack's App Home), so none are drawn for it.
    text_only: bool = False


@dataclass
class Call:
    session: AsyncSession
    catalog: Catalog
    clock: Clock
    key: MemberKey
    ctx: Context = field(default_factory=Context)
    _member: Member | None = None
    _community: Community | None = None
    cache: dict[Any, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock.now()

    async def community(self) -> Community:
        if self._community is None:
            self._community = await repo.get_or_create_community(self.session, self.key.community, self.now())
            name = (self.ctx.community_name or "")[:200]
            if name and self._community.name != name:
                self._community.name = name
        return self._community

    async def existing_member(self) -> Member | None:
        if self._member is None:
            self._member = await repo.find_member(self.session, self.key)
        return self._member

    async def member(self) -> Member:
        """The caller's row, created on first use with the community's defaults."""
        if self._member is None:
            self._member = await repo.find_member(self.session, self.key)
        if self._member is None:
            community = await self.community()
            self._member, created = await repo.get_or_create_member(
                self.session, community, self.key, self.now(), self.ctx.timezone_hint
            )
            if not created:
                return self._member
            # A person joining another community keeps their own settings.
            memberships.adopt_settings(self._member, await memberships.others(self.session, self._member))
            today = self.today(self._member)
            if self._member.paused_until is not None and self._member.paused_until >= today:
                # Joining while paused: the new membership's streak holds the pause too.
                await pauses.record(self.session, self._member, self._member.paused_until, today, self.now())
            # Due times from the start, so the scheduler never has to look for unseeded rows.
            await due_times.refresh(self.session, self._member, self.now())
        return self._member

    def tz(self, member: Member) -> ZoneInfo:
        return zone(member.timezone)

    def today(self, member: Member) -> date:
        return self.now().astimezone(self.tz(member)).date()

"""Time as a dependency, so schedules and streaks can be tested without sleeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to; used by tests and `tick --now`."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


@cache
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name, kept for the life of the process.

    ZoneInfo's own cache holds only the last few zones strongly, so work that walks
    members across many zones (a claim pass) would otherwise re-read tz files per row.
    """
    return ZoneInfo(name)


def local_date(at: datetime, tz: str) -> date:
    """The member's calendar date at instant `at`."""
    return at.astimezone(zone(tz)).date()

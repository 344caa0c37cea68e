"""When each stream is next due for a member, as a UTC instant.

Local wall-clock times are turned into instants with zoneinfo, so DST is handled:
a time that does not exist on a spring-forward day moves to the first valid
instant after the gap; a time that occurs twice on a fall-back day is used once
(its first occurrence).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.models import Member

REASSESS_AFTER = timedelta(days=90)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_hhmm(text: str) -> time:
    hh, _, mm = text.partition(":")
    return time(int(hh), int(mm))


def local_instant(d: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall time `at` on `d` in `tz`, skipping DST gaps forward."""
    naive = datetime.combine(d, at)
    first = naive.replace(tzinfo=tz, fold=0)
    utc = first.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == naive:
        return utc
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = utc
    if lo > hi:
        lo, hi = hi, lo
    while hi - lo > timedelta(minutes=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).replace(tzinfo=None) > naive:
            hi = mid
        else:
            lo = mid
    return hi.replace(second=0, microsecond=0)


def _in_quiet(at: time, member: Member) -> bool:
    if not member.quiet_start or not member.quiet_end:
        return False
    start, end = parse_hhmm(member.quiet_start), parse_hhmm(member.quiet_end)
    if start <= end:
        return start <= at < end
    return at >= start or at < end


def effective_time(member: Member) -> time:
    """The check-in time, moved to the end of quiet hours if it falls inside them."""
    at = parse_hhmm(member.checkin_time)
    if _in_quiet(at, member) and member.quiet_end:
        return parse_hhmm(member.quiet_end)
    return at


def _first_day(member: Member, after: datetime, tz: ZoneInfo) -> date:
    d = after.astimezone(tz).date()
    if member.paused_until is not None and member.paused_until > d:
        d = member.paused_until
    return d


def next_daily(member: Member, after: datetime, weekdays: set[int] | None = None) -> datetime:
    """The next check-in instant strictly after `after` on one of the chosen days."""
    tz = ZoneInfo(member.timezone)
    days = weekdays if weekdays is not None else {int(c) for c in member.checkin_days}
    if not days:
        days = set(range(7))
    at = effective_time(member)
    d = _first_day(member, after, tz) - timedelta(days=1)
    for _ in range(400):
        d += timedelta(days=1)
        if d.weekday() not in days:
            continue
        instant = local_instant(d, at, tz)
        if instant > after:
            return instant
    raise RuntimeError("no due day found within a year")


def next_weekly(member: Member, after: datetime, weekday: int) -> datetime:
    return next_daily(member, after, {weekday % 7})


def paper_weekday(member: Member) -> int:
    return (member.nudge_weekday + 3) % 7


def next_due(member: Member, stream: str, after: datetime, last_assessed: datetime | None) -> datetime | None:
    if stream == "checkin":
        return next_daily(member, after)
    if stream == "nudge":
        return next_weekly(member, after, member.nudge_weekday)
    if stream == "paper":
        return next_weekly(member, after, paper_weekday(member))
    if stream == "reassess":
        if last_assessed is None:
            return None
        due = max(last_assessed + REASSESS_AFTER, after)
        return next_daily(member, due - timedelta(seconds=1), set(range(7)))
    raise ValueError(f"unknown stream {stream!r}")

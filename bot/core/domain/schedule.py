"""When each stream is next due for a member, as a UTC instant.

Local wall-clock times are turned into instants with zoneinfo, so DST is handled:
a time that does not exist on a spring-forward day moves to the first valid
instant after the gap; a time that occurs twice on a fall-back day is used once
(its first occurrence).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.clock import zone
from storage import outbox_store
from storage.models import Member

# The member settings the schedule maths reads; every list of them elsewhere is built from this.
SCHEDULE_INPUTS = (
    "timezone",
    "checkin_time",
    "checkin_days",
    "nudge_weekday",
    "quiet_start",
    "quiet_end",
    "paused_until",
)

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


def in_quiet(at: time, member: Member) -> bool:
    """Whether local wall time `at` falls inside the member's quiet hours."""
    if not member.quiet_start or not member.quiet_end:
        return False
    start, end = parse_hhmm(member.quiet_start), parse_hhmm(member.quiet_end)
    if start <= end:
        return start <= at < end
    return at >= start or at < end


def effective_time(member: Member) -> time:
    """The check-in time, moved to the end of quiet hours if it falls inside them."""
    at = parse_hhmm(member.checkin_time)
    if in_quiet(at, member) and member.quiet_end:
        return parse_hhmm(member.quiet_end)
    return at


def moved_overnight(member: Member) -> bool:
    """Whether quiet hours push the check-in past midnight (23:00 in 22:00-07:00 goes out at 07:00
    the next morning). Such a check-in is still about the day it was set for."""
    at = parse_hhmm(member.checkin_time)
    return bool(member.quiet_end) and in_quiet(at, member) and parse_hhmm(member.quiet_end or "") <= at


def _first_day(member: Member, after: datetime, tz: ZoneInfo) -> date:
    d = after.astimezone(tz).date()
    if member.paused_until is not None and member.paused_until > d:
        d = member.paused_until
    return d


def _shift(member: Member, own_day: bool) -> timedelta:
    """Days between a slot's own day and the day it is delivered on."""
    return timedelta(days=1) if own_day and moved_overnight(member) else timedelta(0)


def _days(member: Member, weekdays: set[int] | None) -> set[int]:
    days = weekdays if weekdays is not None else {int(c) for c in member.checkin_days}
    return days or set(range(7))


def next_daily(member: Member, after: datetime, weekdays: set[int] | None = None) -> datetime:
    """The next check-in instant strictly after `after` on one of the chosen days.

    Without `weekdays` this is the member's own daily check-in: the days are the days it is
    for, so one moved past midnight by quiet hours is delivered the morning after its day.
    """
    tz = zone(member.timezone)
    days = _days(member, weekdays)
    shift = _shift(member, weekdays is None)
    at = effective_time(member)
    d = _first_day(member, after, tz) - shift - timedelta(days=1)
    for _ in range(400):
        d += timedelta(days=1)
        if d.weekday() not in days or (member.paused_until is not None and d < member.paused_until):
            continue
        instant = local_instant(d + shift, at, tz)
        if instant > after:
            return instant
    raise RuntimeError("no due day found within a year")


def previous_daily(
    member: Member, at_or_before: datetime, weekdays: set[int] | None = None
) -> datetime | None:
    """The latest slot instant at or before `at_or_before` (the mirror of next_daily), within a week
    and a day; None when there is none (paused, or no chosen day that recently)."""
    tz = zone(member.timezone)
    days = _days(member, weekdays)
    shift = _shift(member, weekdays is None)
    at = effective_time(member)
    d = at_or_before.astimezone(tz).date() + timedelta(days=1)
    for _ in range(9):
        d -= timedelta(days=1)
        if d.weekday() not in days or (member.paused_until is not None and d < member.paused_until):
            continue
        instant = local_instant(d + shift, at, tz)
        if instant <= at_or_before:
            return instant
    return None


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


def previous_due(member: Member, stream: str, at_or_before: datetime) -> datetime | None:
    """The latest slot of a regular stream at or before the instant (None for reassessments)."""
    if stream == "checkin":
        return previous_daily(member, at_or_before)
    if stream == "nudge":
        return previous_daily(member, at_or_before, {member.nudge_weekday % 7})
    if stream == "paper":
        return previous_daily(member, at_or_before, {paper_weekday(member)})
    return None


CHECKIN_STREAMS = ("checkin",)
REGULAR_STREAMS = ("checkin", "nudge", "paper")
WEEKLY_GRACE = timedelta(days=2)


def local_day(at: datetime, member: Member) -> date:
    return at.astimezone(zone(member.timezone)).date()


def is_paused(member: Member, now: datetime) -> bool:
    """Paused through the day before `paused_until`; reminders resume on that date."""
    return member.paused_until is not None and local_day(now, member) < member.paused_until


def end_of_local_day(d: date, tz: ZoneInfo) -> datetime:
    """The instant the member's day `d` ends: their next local midnight (DST-safe)."""
    return local_instant(d + timedelta(days=1), time(0, 0), tz)


def iso_week(d: date) -> str:
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def slot_day(stream: str, due: datetime, member: Member) -> date:
    """The local day a slot delivered at `due` is about: the day before for a check-in that
    quiet hours moved past midnight."""
    d = local_day(due, member)
    return d - _shift(member, stream in CHECKIN_STREAMS)


def slot_period(stream: str, due: datetime, member: Member) -> str:
    """The member's own day of the slot (its ISO week for weekly streams)."""
    d = slot_day(stream, due, member)
    return iso_week(d) if stream in ("nudge", "paper") else d.isoformat()


def slot_key(stream: str, member_id: int, due: datetime, member: Member) -> str:
    """The outbox idempotency key of the slot due at `due`: one message per slot, ever.

    The claim pass builds the same key inside the database, with `outbox_store.slot_key_sql`.
    """
    return outbox_store.slot_key(stream, member_id, slot_period(stream, due, member))


def slot_payload(stream: str, due: datetime, member: Member) -> dict[str, str]:
    """What an outbox row remembers of its slot. `due` is the wall-clock time the slot was set
    for, on its own day, so the message built from it is about that day even when it goes
    out the morning after."""
    if stream in CHECKIN_STREAMS and moved_overnight(member):
        d = slot_day(stream, due, member)
        due = local_instant(d, parse_hhmm(member.checkin_time), zone(member.timezone))
    return {"due": due.isoformat()}


def slot_expiry(stream: str, due: datetime, member: Member) -> datetime:
    """After this a missed message is stale: check-ins end with the local day they are delivered
    on, the rest after 2 days."""
    if stream in CHECKIN_STREAMS:
        return end_of_local_day(local_day(due, member), zone(member.timezone))
    return due + WEEKLY_GRACE


def catch_up(stream: str, due: datetime, member: Member, now: datetime) -> datetime | None:
    """After an outage: the later slot to send in place of a stale one that was due at `due`.

    Only slots that can no longer be delivered sensibly are dropped. When the slot due at `due`
    has gone stale by `now`, the latest slot at or before `now` is still sent if it has not
    (today's check-in, later than planned but before the member's local midnight); every slot
    in between is dropped. None when there is no such slot.
    """
    if now < slot_expiry(stream, due, member):
        return None
    latest = previous_due(member, stream, now)
    if latest is None or latest <= due or now >= slot_expiry(stream, latest, member):
        return None
    return latest


def quiet_now(member: Member, now: datetime) -> bool:
    local = now.astimezone(zone(member.timezone))
    return in_quiet(local.time().replace(second=0, microsecond=0), member)


def quiet_ends(member: Member, now: datetime) -> datetime:
    """The first instant after `now` at which the member's quiet hours are over."""
    if not member.quiet_end:
        return now
    tz = zone(member.timezone)
    end = parse_hhmm(member.quiet_end)
    d = now.astimezone(tz).date()
    for offset in range(3):
        instant = local_instant(d + timedelta(days=offset), end, tz)
        if instant > now:
            return instant
    return now

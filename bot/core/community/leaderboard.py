"""/leaderboard [week|month|all]: this community's opted-in members by study hours.

How it counts (docs/community.md):
- hours are the study minutes of check-ins, summed per period in `study_totals`;
- a check-in counts in the ISO week (Monday to Sunday) and the month of its local date, the
  day on its member's own calendar; "this week" and "this month" are the caller's current
  local week and month, so every member's check-ins of those dates count;
- only members who opted in (`members.community_opt_in`) are shown or ranked;
- equal hours share a rank, standard competition ranking (1, 2, 2, 4); members on equal
  hours are listed in the order they joined;
- the caller always sees their own rank: an opted-in caller their place; anyone else, privately,
  the place they would have, and the button that puts them on the board.

Every figure is a bounded number of indexed queries, whatever the community's size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.core.call import Call
from bot.core.clock import zone
from bot.core.commands import CommandSpec, Option
from bot.core.community import study_totals
from bot.core.display import day, hours, month_year
from bot.core.domain import streaks
from bot.core.errors import UserError
from bot.core.registry import Registry
from bot.core.replies import Button, Card, Field, Reply
from bot.core.services import pauses
from bot.core.services.studylog import week_bounds
from bot.core.text import defuse_mentions, shorten
from storage.models import CheckIn, Community, Member, Pause, StudyTotal

TOP = 10
WINDOW_WEEKS = 8
PAUSE = "pause"
PERIODS = {"week": "This week", "month": "This month", "all": "All time"}
NAME_MAX = 40
UNNAMED = "A learner"
TIES = "Equal hours share a rank (1, 2, 2, 4)."
WEEK_RULE = (
    "A week runs Monday to Sunday on each member's own calendar: a check-in counts in the "
    "week of the day it was logged for, in that member's time zone."
)
MONTH_RULE = "A check-in counts in the month of the day it was logged for, in that member's time zone."
RULES = {"week": WEEK_RULE, "month": MONTH_RULE, "all": ""}
OFF = "The leaderboard is turned off in this community."


@dataclass(frozen=True, slots=True)
class Standing:
    member_id: int
    minutes: int
    rank: int
    name: str = UNNAMED
    streak: int = 0
    timezone: str | None = field(default=None, repr=False, compare=False)
    checkin_days: str = field(default="0123456", repr=False, compare=False)


def period_key(period: str, today: date) -> str:
    if period == "week":
        return study_totals.week_key(today)
    if period == "month":
        return study_totals.month_key(today)
    return study_totals.ALL


def period_words(period: str, today: date) -> str:
    if period == "week":
        start, end = week_bounds(today)
        return f"this week, {day(start)} to {day(end)}"
    if period == "month":
        return f"this month, {month_year(today)}"
    return "all time"


def study_hours(minutes: int) -> str:
    """Minutes as hours for boards: "45 min", "1.5 h", "1420 h" (never "1420.0 h")."""
    return hours(minutes / 60) if minutes < 60 else hours(round(minutes / 60, 1))


def shown_name(name: str | None) -> str:
    """A display name as plain text: one line, no mention syntax, never empty."""
    text = " ".join((name or "").split())
    return defuse_mentions(shorten(text, NAME_MAX)) if text else UNNAMED


def _board(community_id: int, key: str, table: Any = StudyTotal):  # type: ignore[no-untyped-def]
    return (
        table.community_id == community_id,
        table.period == key,
        table.opted_in.is_(True),
        table.minutes > 0,
    )


def _top(community_id: int, key: str, limit: int) -> Select[Any]:
    """The board's first rows with what dressing them needs: one index range read, in ranking
    order, and a primary-key lookup of each shown member."""
    return (
        select(
            StudyTotal.member_id,
            StudyTotal.minutes,
            Member.display_name,
            Member.timezone,
            Member.checkin_days,
        )
        .join(Member, Member.id == StudyTotal.member_id)
        .where(*_board(community_id, key))
        .order_by(StudyTotal.minutes.desc(), StudyTotal.member_id)
        .limit(limit)
    )


def _caller(community_id: int, key: str, member_id: int) -> Select[Any]:
    """A member's minutes for the period and how many opted-in members have more: one primary-key
    read and one count over the ranking index, in one statement."""
    other = aliased(StudyTotal)
    above = (
        select(func.count())
        .select_from(other)
        .where(*_board(community_id, key, other), other.minutes > StudyTotal.minutes)
        .scalar_subquery()
    )
    return select(StudyTotal.minutes, above).where(
        StudyTotal.member_id == member_id, StudyTotal.period == key
    )


def _logs(ids: Sequence[int], since: date | None, before: bool = False) -> Select[Any]:
    """The shown members' check-ins from `since` on (or, `before`, older ones) and their pauses."""
    dates = CheckIn.local_date < since if before else CheckIn.local_date >= since
    logs = select(CheckIn.member_id, CheckIn.local_date, CheckIn.local_date, CheckIn.kind).where(
        CheckIn.member_id.in_(ids), dates
    )
    if before:
        return logs
    held = select(Pause.member_id, Pause.start, Pause.end, literal(PAUSE, String)).where(
        Pause.member_id.in_(ids)
    )
    return union_all(logs, held)  # type: ignore[return-value]


def board_statements(
    community_id: int, key: str, member_id: int = 1, since: date | None = None, limit: int = TOP
) -> dict[str, Any]:
    """The board's statements by name; bench/ prints their query plans."""
    ids = list(range(1, limit + 1))
    return {
        "top": _top(community_id, key, limit),
        "caller": _caller(community_id, key, member_id),
        "dress": _logs(ids, since or date.today()),
        "older": _logs(ids, since or date.today(), before=True),
    }


async def top(session: AsyncSession, community_id: int, key: str, limit: int = TOP) -> list[Standing]:
    """The first `limit` opted-in members, ranked, with their names (streaks come from `dress`)."""
    out: list[Standing] = []
    for i, (member_id, minutes, name, tz, days) in enumerate(
        await session.execute(_top(community_id, key, limit))
    ):
        # Every member with more minutes is listed above, so this is competition ranking.
        rank = out[-1].rank if out and out[-1].minutes == minutes else i + 1
        out.append(Standing(int(member_id), int(minutes), rank, shown_name(name), 0, tz, days))
    return out


async def standing_of(session: AsyncSession, community_id: int, key: str, member_id: int) -> tuple[int, int]:
    """(minutes, rank) of a member for the period: the rank their minutes have, or would have, among
    the opted-in (one plus everyone above). (0, 0) without study logged for it."""
    row = (await session.execute(_caller(community_id, key, member_id))).first()
    if row is None or not row[0]:
        return 0, 0
    return int(row[0]), int(row[1]) + 1


def window_start(now: datetime) -> date:
    """The first day of check-ins `dress` reads: the Monday WINDOW_WEEKS whole weeks before the
    earliest local today on Earth."""
    earliest = now.date() - timedelta(days=1)
    return earliest - timedelta(days=earliest.weekday() + 7 * WINDOW_WEEKS)


async def dress(session: AsyncSession, standings: list[Standing], now: datetime) -> list[Standing]:
    """Current streaks for the few members shown, by the rule of bot/core/domain/streaks.py on each
    member's own calendar, from their last WINDOW_WEEKS weeks of check-ins and their pauses (one
    statement). Older days are read only for a member whose streak might reach back past the
    window (`streaks.starts_afresh`)."""
    if not standings:
        return []
    ids = [s.member_id for s in standings]
    since = window_start(now)
    study: dict[int, set[date]] = {i: set() for i in ids}
    skipped: dict[int, set[date]] = {i: set() for i in ids}
    spans: dict[int, list[tuple[date, date]]] = {i: [] for i in ids}
    for member_id, first, last, kind in await session.execute(_logs(ids, since)):
        if kind == PAUSE:
            spans[member_id].append((first, last))
        elif kind == "study":
            study[member_id].add(first)
        elif kind == "skip":
            skipped[member_id].add(first)
    todays = {s.member_id: now.astimezone(zone(s.timezone)).date() for s in standings}
    held = {i: pauses.held_days(spans[i], todays[i]) for i in ids}
    by_id = {s.member_id: s for s in standings}
    older = [
        i
        for i in ids
        if not streaks.starts_afresh(study[i], todays[i], since, by_id[i].checkin_days, held[i])
    ]
    if older:
        for member_id, first, _, kind in await session.execute(_logs(older, since, before=True)):
            if kind == "study":
                study[member_id].add(first)
    out = []
    for s in standings:
        i, today = s.member_id, todays[s.member_id]
        st = streaks.compute(study[i], today, s.checkin_days, held[i], today in skipped[i])
        out.append(replace(s, streak=st.current))
    return out


def line(s: Standing) -> str:
    medal = {1: "🥇", 2: "🥈", 3: "🥉"}.get(s.rank, "")
    streak = f" · streak {s.streak} day{'s' if s.streak != 1 else ''}" if s.streak else ""
    return f"{medal}{' ' if medal else ''}**{s.rank}.** {s.name} · {study_hours(s.minutes)}{streak}"


def remember_name(member: Member, display_name: str) -> None:
    """Keep the name the member goes by here, for boards and digests (written by writers only)."""
    name = " ".join(display_name.split())[:100]
    if name and member.display_name != name:
        member.display_name = name


async def _you(call: Call, community: Community, member: Member | None, key: str) -> str:
    if member is None:
        return "You haven't logged any study here yet. Log time with /checkin, then opt in to appear."
    mine, rank = await standing_of(call.session, community.id, key, member.id)
    if mine <= 0:
        nothing = "You have no study logged for this period yet; /checkin adds it."
        if member.community_opt_in:
            return nothing + " You're opted in, so you'll appear once you have."
        return nothing + " Press **Show me here** to appear once you have."
    if member.community_opt_in:
        return f"You're **#{rank}** with {study_hours(mine)}."
    return (
        f"You're not on the board: only members who opt in appear. With {study_hours(mine)} you "
        f"would be **#{rank}**. Only you can see this. Press **Show me here** to appear."
    )


async def board_reply(call: Call, period: str = "week", text: str = "") -> Reply:
    if period not in PERIODS:
        raise UserError(f"{period[:20]!r} isn't a leaderboard period.", hint="Use week, month or all.")
    community = await call.community()
    member = await call.existing_member()
    if not community.leaderboard_enabled:
        raise UserError(OFF, hint="An admin can turn it on with /admin leaderboard-on.")
    today = call.today(member) if member is not None else call.now().date()
    key = period_key(period, today)
    standings = await dress(call.session, await top(call.session, community.id, key), call.now())
    body = "\n".join(line(s) for s in standings) or (
        "Nobody on the board yet for this period. Members appear once they opt in and log study."
    )
    you = await _you(call, community, member, key)
    opted_in = member is not None and member.community_opt_in
    buttons = [
        Button(label, f"leaderboard:show:{p}", "primary" if p == period else "secondary")
        for p, label in PERIODS.items()
    ]
    if opted_in:
        buttons.append(Button("Hide me", f"leaderboard:leave:{period}", "danger"))
    else:
        buttons.append(Button("Show me here", f"leaderboard:join:{period}", "success"))
    return Reply(
        text=text,
        cards=(
            Card(
                title=f"Leaderboard · {PERIODS[period]}",
                body=body,
                fields=(Field("You", you, inline=False),),
                footer=f"Study hours, {period_words(period, today)}. {TIES} {RULES.get(period, '')}".rstrip(),
            ),
        ),
        buttons=tuple(buttons),
        origin=f"leaderboard:show:{period}",
    )


JOINED = (
    "You're on this community's leaderboard now. Your display name, hours and streak show on "
    "it and in the weekly digest. Press Hide me, or /settings leaderboard:off, to leave."
)
LEFT = (
    "You're off this community's leaderboard. You won't appear on it or in future digests; "
    "digests already posted stay as they were."
)


async def set_visibility(call: Call, member: Member, on: bool) -> str:
    """Opt in or out of this community's public places; returns the confirmation."""
    if on:
        remember_name(member, call.ctx.display_name)
    if member.community_opt_in == on:
        return "You're already on the leaderboard." if on else "You're already hidden from the leaderboard."
    await study_totals.set_opt_in(call.session, member, on)
    return JOINED if on else LEFT


async def leaderboard_command(call: Call, period: str | None = None) -> Reply:
    return await board_reply(call, period or "week")


async def show_action(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    return await board_reply(call, args[0] if args else "week")


async def join_action(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    said = await set_visibility(call, await call.member(), True)
    return await _after_switch(call, args, said)


async def leave_action(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    said = await set_visibility(call, await call.member(), False)
    return await _after_switch(call, args, said)


async def _after_switch(call: Call, args: list[str], said: str) -> Reply:
    community = await call.community()
    if not community.leaderboard_enabled:
        return Reply(cards=(Card(title="Saved", body=said, tone="success"),))
    period = args[0] if args and args[0] in PERIODS else "week"
    return await board_reply(call, period, text=said)


ACTIONS = {
    "leaderboard:show": show_action,
    "leaderboard:join": join_action,
    "leaderboard:leave": leave_action,
}

PERIOD_CHOICES = (("This week", "week"), ("This month", "month"), ("All time", "all"))
SPEC = CommandSpec(
    "leaderboard",
    "Who studied most here (members who opted in), and your own rank",
    (Option("period", "choice", "week, month or all time", choices=PERIOD_CHOICES),),
    usage="/leaderboard [week|month|all]",
)


def register(registry: Registry) -> None:
    registry.command(SPEC, leaderboard_command, order=110, read_only=True)
    registry.actions(ACTIONS, read_only=("leaderboard:show",))

"""Every pause is remembered: a later pause never turns an earlier one's days into misses,
so the streak a member was shown is never taken back."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.core.call import Call
from bot.core.features.privacy.handlers import export_member
from bot.core.identity import MemberKey
from bot.core.replies import render_text
from bot.core.services import studylog
from bot.runtime import App
from storage import repo
from storage.models import Pause

DAY0 = date(2026, 11, 2)  # a Monday
_users = itertools.count()


def at(n: int, hour: int = 20) -> datetime:
    d = DAY0 + timedelta(days=n)
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


async def join(app: App, user: str, days: str = "daily") -> MemberKey:
    key = MemberKey("discord", "g1", user)
    reply = await app.engine.command(key, "settings", {"timezone": "UTC", "checkin_days": days})
    assert not reply.error, render_text(reply)
    return key


async def run(app: App, key: MemberKey, command: str, **opts: object) -> None:
    reply = await app.engine.command(key, command, opts)
    assert not reply.error, render_text(reply)


async def study(app: App, key: MemberKey, n: int) -> None:
    app.clock.set(at(n))  # type: ignore[attr-defined]
    await run(app, key, "checkin", minutes=30)


async def pause(app: App, key: MemberKey, n: int, until: int | None) -> None:
    app.clock.set(at(n))  # type: ignore[attr-defined]
    value = "off" if until is None else (DAY0 + timedelta(days=until)).isoformat()
    await run(app, key, "settings", pause_until=value)


async def shown(app: App, key: MemberKey, n: int) -> tuple[int, int]:
    """(current, best) as the member would read them late on day n."""
    app.clock.set(at(n, 22))  # type: ignore[attr-defined]
    async with app.sessions() as s:
        member = await repo.find_member(s, key)
        assert member is not None
        st_ = await studylog.streak(Call(s, app.catalog, app.clock, key, _member=member), member)
        return st_.current, st_.best


async def periods(app: App, key: MemberKey) -> list[tuple[date, date]]:
    async with app.sessions() as s:
        member = await repo.find_member(s, key)
        assert member is not None
        rows = (
            await s.execute(select(Pause).where(Pause.member_id == member.id).order_by(Pause.id))
        ).scalars()
        return [(p.start, p.end) for p in rows]


async def test_a_second_pause_keeps_the_first_pauses_days_held(any_app):
    key = await join(any_app, "ada")
    for n in range(10):
        await study(any_app, key, n)
    assert await shown(any_app, key, 9) == (10, 10)
    await pause(any_app, key, 10, until=15)  # five days off, back on day 15
    for n in range(10, 15):
        assert await shown(any_app, key, n) == (10, 10)
    await pause(any_app, key, 15, until=None)  # resume
    for n in (15, 16, 17):
        await study(any_app, key, n)
    assert await shown(any_app, key, 17) == (13, 13)
    await pause(any_app, key, 18, until=20)  # the second pause replaces paused_until
    for n in (18, 19, 20):
        assert await shown(any_app, key, n) == (13, 13)
    await study(any_app, key, 21)
    assert await shown(any_app, key, 21) == (14, 14)
    assert await periods(any_app, key) == [
        (DAY0 + timedelta(days=10), DAY0 + timedelta(days=14)),
        (DAY0 + timedelta(days=18), DAY0 + timedelta(days=20)),
    ]


async def test_extending_a_pause_keeps_one_period_and_resuming_the_same_day_forgets_it(any_app):
    key = await join(any_app, "bea")
    await study(any_app, key, 0)
    await pause(any_app, key, 1, until=4)
    await pause(any_app, key, 2, until=6)
    assert await periods(any_app, key) == [(DAY0 + timedelta(days=1), DAY0 + timedelta(days=6))]
    await pause(any_app, key, 3, until=None)
    assert await periods(any_app, key) == [(DAY0 + timedelta(days=1), DAY0 + timedelta(days=2))]
    await pause(any_app, key, 5, until=8)
    await pause(any_app, key, 5, until=None)
    assert await periods(any_app, key) == [(DAY0 + timedelta(days=1), DAY0 + timedelta(days=2))]
    # Day 3 and 4 were neither paused nor logged: the first spends the week's freeze, the second
    # ends the streak; the pause on days 1-2 still holds.
    assert await shown(any_app, key, 5) == (0, 1)


async def test_a_pause_holds_from_the_day_it_is_set_not_before(any_app):
    key = await join(any_app, "cai")
    for n in range(3):
        await study(any_app, key, n)
    # Day 3 and 4 missed (same ISO week: one freeze, then the streak ends), then a pause on day 5.
    assert await shown(any_app, key, 4) == (3, 3)
    assert await shown(any_app, key, 5) == (0, 3)
    await pause(any_app, key, 5, until=8)
    assert await shown(any_app, key, 5) == (0, 3)


async def test_the_export_holds_the_pauses_and_delete_removes_them(any_app):
    key = await join(any_app, "dee")
    await study(any_app, key, 0)
    await pause(any_app, key, 1, until=3)
    await pause(any_app, key, 3, until=None)
    await pause(any_app, key, 4, until=9)
    async with any_app.sessions() as s:
        data = await export_member(s, key)
    assert data is not None
    rows = json.loads(json.dumps(data, default=str))["pauses"]
    assert [(r["start"], r["end"]) for r in rows] == [
        ((DAY0 + timedelta(days=1)).isoformat(), (DAY0 + timedelta(days=2)).isoformat()),
        ((DAY0 + timedelta(days=4)).isoformat(), (DAY0 + timedelta(days=9)).isoformat()),
    ]
    await run(any_app, key, "privacy", action="delete")
    reply = await any_app.engine.action(key, "privacy:delete:confirm")
    assert not reply.error and "gone" in render_text(reply)
    async with any_app.sessions() as s:
        assert (await s.execute(select(Pause))).scalars().all() == []


DAY_PLAN = st.tuples(
    st.booleans(),  # studied that day
    st.one_of(st.none(), st.just("off"), st.integers(1, 6)),  # pause for k days, resume, or nothing
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.sampled_from(["daily", "mon,tue,wed,thu,fri", "mon,wed,sat"]),
    st.lists(DAY_PLAN, min_size=5, max_size=28),
)
async def test_a_shown_streak_drops_only_after_a_missed_study_day(app, study_days, plan):
    key = await join(app, f"p{next(_users)}", study_days)
    weekdays = {"daily": set(range(7)), "mon,tue,wed,thu,fri": set(range(5)), "mon,wed,sat": {0, 2, 5}}
    running: tuple[int, int] | None = None  # the pause as the member set it, days inclusive
    missed: set[int] = set()
    seen: list[tuple[int, int]] = []
    for n, (studied, change) in enumerate(plan):
        if studied:
            await study(app, key, n)
        if change == "off":
            await pause(app, key, n, until=None)
            if running is not None and running[0] <= n <= running[1]:
                running = (running[0], n - 1)
        elif change is not None:
            await pause(app, key, n, until=n + change)
            running = (running[0] if running and running[0] <= n <= running[1] else n, n + change)
        held = running is not None and running[0] <= n <= running[1]
        if not studied and not held and (DAY0 + timedelta(days=n)).weekday() in weekdays[study_days]:
            missed.add(n)
        seen.append(await shown(app, key, n))
    for n in range(1, len(seen)):
        (before, best_before), (now, best_now) = seen[n - 1], seen[n]
        assert best_now >= best_before
        if now < before:
            assert n - 1 in missed, (n, seen)


async def test_joining_a_second_community_while_paused_holds_the_pause_there_too(any_app):
    key = await join(any_app, "eve")
    await pause(any_app, key, 2, until=6)
    other = MemberKey("discord", "g2", "eve")
    any_app.clock.set(at(4))  # type: ignore[attr-defined]
    await run(any_app, other, "checkin", minutes=20)
    assert await periods(any_app, other) == [(DAY0 + timedelta(days=4), DAY0 + timedelta(days=6))]
    # Days 5 and 6 are paused in the new community as well: the streak started on day 4 holds.
    assert await shown(any_app, other, 7) == (1, 1)

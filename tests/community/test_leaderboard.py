"""The leaderboard through the memory adapter: opt-in and out, ranks with ties, local weeks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.adapters.memory.driver import MemberDriver
from bot.core.call import Context
from bot.core.identity import MemberKey
from bot.core.replies import render_text
from storage.models import CheckIn, Member, StudyTotal

WS = "guild1"


def driver(app, user: str, name: str | None = None, tz: str | None = None) -> MemberDriver:
    ctx = Context(display_name=name or user.capitalize(), timezone_hint=tz)
    return MemberDriver(app.engine, MemberKey("test", WS, user), ctx)


async def log(d: MemberDriver, minutes: int) -> None:
    reply = await d.say(f"/checkin {minutes}")
    assert not reply.error, render_text(reply)


async def test_off_by_default_and_the_caller_hears_their_would_be_rank(app):
    ada, bob = driver(app, "ada"), driver(app, "bob")
    await log(ada, 60)
    await log(bob, 120)
    board = await ada.say("/leaderboard")
    text = render_text(board)
    assert board.private and not board.error
    assert "Nobody on the board yet" in text
    assert "Ada" not in text.split("== Leaderboard")[1].split("You:")[0]
    # Bob is not opted in, so he is not above Ada: she would be first.
    assert "would be **#1**" in text
    assert "Show me here" in [b.label for b in board.buttons]


async def test_show_me_here_and_hide_me(app):
    ada = driver(app, "ada", "Ada L")
    await log(ada, 90)
    await ada.say("/leaderboard")
    joined = await ada.press("Show me here")
    text = render_text(joined)
    assert "You're on this community's leaderboard now" in joined.text
    assert "**1.** Ada L · 1.5 h" in text
    assert "You're **#1** with 1.5 h" in text
    assert "Hide me" in [b.label for b in joined.buttons]
    left = await ada.press("Hide me")
    assert "off this community's leaderboard" in left.text
    assert "Ada L" not in left.cards[0].body
    async with app.sessions() as s:
        rows = (await s.execute(select(StudyTotal.opted_in))).scalars().all()
        member = (await s.execute(select(Member))).scalar_one()
    assert rows and not any(rows) and member.community_opt_in is False


async def test_settings_switch_is_the_same_opt_in(app):
    ada = driver(app, "ada")
    await log(ada, 30)
    saved = await ada.say("/settings leaderboard:on")
    assert "Leaderboard: on" in saved.text
    again = await ada.say("/settings leaderboard:on")
    assert "Nothing to change" in again.text
    board = await ada.say("/leaderboard week")
    assert "**1.** Ada" in board.cards[0].body
    off = await ada.say("/settings leaderboard off")
    assert "Leaderboard: off" in off.text
    assert "Ada" not in (await ada.say("/leaderboard")).cards[0].body


async def test_ties_share_a_rank_competition_style(app):
    minutes = {"ann": 120, "ben": 90, "cat": 90, "dan": 60, "eve": 90}
    for user, m in minutes.items():
        d = driver(app, user)
        await log(d, m)
        await d.say("/settings leaderboard:on")
    board = await driver(app, "dan").say("/leaderboard")
    lines = board.cards[0].body.splitlines()
    ranks = [ln.split("**")[1] for ln in lines]
    assert ranks == ["1.", "2.", "2.", "2.", "5."]
    # Equal hours in joining order: Ben, Cat, Eve.
    assert [ln.split(" · ")[0].split("** ")[1] for ln in lines[1:4]] == ["Ben", "Cat", "Eve"]
    assert "You're **#5**" in render_text(board)


async def test_names_never_ping(app):
    d = driver(app, "mal", "@everyone <@&123> hi")
    await log(d, 45)
    await d.say("/settings leaderboard:on")
    body = (await d.say("/leaderboard")).cards[0].body
    assert "@everyone" not in body and "<@&" not in body
    assert "everyone" in body


async def test_week_follows_each_members_calendar(app, clock):
    # Sunday 23:30 in Los Angeles is Monday in Tokyo: each check-in falls in its own member's week.
    clock.set(datetime(2026, 11, 9, 7, 30, tzinfo=UTC))  # Sun 8 Nov 23:30 LA, Mon 9 Nov 16:30 Tokyo
    la = driver(app, "la", "LA", "America/Los_Angeles")
    tokyo = driver(app, "tk", "Tokyo", "Asia/Tokyo")
    await log(la, 60)
    await log(tokyo, 30)
    for d in (la, tokyo):
        await d.say("/settings leaderboard:on")
    # LA's caller week is 2 Nov - 8 Nov: LA's hour counts, Tokyo's (a Monday 9 Nov) does not.
    la_board = await la.say("/leaderboard")
    assert "LA · 1 h" in la_board.cards[0].body and "Tokyo" not in la_board.cards[0].body
    tk_board = await tokyo.say("/leaderboard")
    assert "Tokyo · 30 min" in tk_board.cards[0].body and "LA" not in tk_board.cards[0].body
    month = await tokyo.say("/leaderboard month")
    assert "LA · 1 h" in month.cards[0].body and "Tokyo · 30 min" in month.cards[0].body


async def test_turned_off_by_an_admin(app):
    admin = MemberDriver(app.engine, MemberKey("test", WS, "boss"), Context(is_admin=True))
    off = await admin.say("/admin leaderboard-off")
    assert "Leaderboard off" in render_text(off)
    refused = await driver(app, "ada").say("/leaderboard")
    assert refused.error and "turned off" in render_text(refused)
    await admin.say("/admin leaderboard-on")
    assert not (await driver(app, "ada").say("/leaderboard")).error


@pytest.mark.parametrize("period", ["year", "x"])
async def test_unknown_period_is_refused(app, period):
    reply = await driver(app, "ada").say(f"/leaderboard {period}")
    assert reply.error


async def test_streak_shown_from_the_streak_rule(app, clock):
    ada = driver(app, "ada")
    for _ in range(3):
        await log(ada, 20)
        clock.advance(timedelta(days=1))
    await ada.say("/settings leaderboard:on")
    body = (await ada.say("/leaderboard all")).cards[0].body
    assert "streak 3 days" in body


async def test_long_histories_show_the_streak_progress_shows(app, clock):
    """The board reads eight weeks of check-ins, and older ones only for a streak that may reach
    back past them: each figure is the streak /progress shows."""
    today = clock.now().date()
    quiet = today - timedelta(days=today.weekday() + 28)  # a whole week, four weeks back
    histories = {
        "ann": {today - timedelta(days=n) for n in range(1, 120)},  # every day: 120 with today
        "ben": {today - timedelta(days=n) for n in range(1, 120)}
        - {quiet + timedelta(days=i) for i in range(7)},
        "cat": {today - timedelta(days=n) for n in range(1, 120) if n % 7 != 3},  # a freeze a week
    }
    for i, (user, days) in enumerate(histories.items()):
        d = driver(app, user)
        await log(d, 60 - 10 * i)
        await d.say("/settings leaderboard:on")
        async with app.sessions() as s, s.begin():
            mid = (await s.execute(select(Member.id).where(Member.user_id == user))).scalar_one()
            s.add_all(
                CheckIn(member_id=mid, local_date=day, minutes=30, created_at=clock.now()) for day in days
            )
    body = (await driver(app, "ann").say("/leaderboard week")).cards[0].body
    for user in histories:
        progress = render_text(await driver(app, user).say("/progress"))
        streak = progress.split("Streak: ")[1].split(" days")[0]
        assert f"{user.capitalize()} · " in body
        line = next(ln for ln in body.splitlines() if f" {user.capitalize()} · " in ln)
        assert line.endswith(f"streak {streak} days"), (line, streak)
    assert "Ann · 1 h · streak 120 days" in body
    assert int(body.split("Ben · 50 min · streak ")[1].split(" ")[0]) < 28

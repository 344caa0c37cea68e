"""/review on Discord (ephemeral buttons) and Slack (Block Kit, in a message and from the App Home),
through the real discord.py and slack-bolt against the local fakes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.adapters.slack.runner import prepare, serve_http
from bot.adapters.slack.users import member_key as slack_member
from bot.core.call import Context
from bot.core.clock import FrozenClock
from bot.core.identity import MemberKey
from bot.core.replies import choices_of
from bot.runtime import build_app
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.ratelimit import RateLimiter
from bot.scheduler.service import claim_pass
from storage.models import Member, ReviewCardState, ReviewLogEntry
from tests.conftest import make_settings
from tests.discord import conftest as discord_fixtures
from tests.discord.conftest import Bot, discord_app
from tests.discord.helpers import EPHEMERAL, answer, components, original, text_of
from tests.fakes.discord_fake import GUILD_ID, FakeDiscord
from tests.fakes.slack_fake import TEAM_ID
from tests.review.support import catalog_with_cards
from tests.slack.conftest import START, SlackHarness, check_blocks, check_view, slack_settings

DISCORD_USER = "940000000000000001"
OTHER_GUILD = "910000000000000042"


async def queue_due_cards(engine, key: MemberKey, clock: FrozenClock) -> None:
    """Enrol, mark the first topic done, and move to the next day, when its cards are due."""
    await engine.action(key, "learn:enrol:ml-engineer")
    today = await engine.command(key, "today")
    done = next(a for label, a in choices_of(today) if label.startswith("Done:"))
    assert not (await engine.action(key, done)).error
    clock.advance(timedelta(days=1))


# The Discord suite's own fixtures: the fake (its bodies checked against Discord's schema when it
# stops) and strict payload limits.
fake = discord_fixtures.fake
strict_payloads = discord_fixtures.strict_payloads


@pytest.fixture
async def review_bot(db_url, fake, clock) -> AsyncIterator[Bot]:
    app = discord_app(db_url, fake, clock, catalog_with_cards())
    running = await Bot(app).start()
    yield running
    await running.stop()
    await app.close()


async def test_discord_review_is_ephemeral_buttons_one_card_at_a_time(review_bot, fake: FakeDiscord, clock):
    await queue_due_cards(review_bot.app.engine, MemberKey("discord", GUILD_ID, DISCORD_USER), clock)
    inter, call = await answer(fake, fake.slash("review"))
    data = call.body["data"]
    assert data["flags"] & EPHEMERAL and "Recall your answer" in text_of(data)
    message = original(fake, inter)
    show = next(c for c in components(message) if c.get("label") == "Show answer")
    _, shown = await answer(fake, fake.click(message, show["custom_id"]))
    assert shown.body["type"] == 7
    labels = [c["label"] for row in shown.body["data"]["components"] for c in row["components"]]
    assert labels == ["Again", "Hard", "Good", "Easy"]
    message = original(fake, inter)
    good = next(c for c in components(message) if c.get("label") == "Good")
    _, rated = await answer(fake, fake.click(message, good["custom_id"]))
    assert "Good: next time on" in text_of(rated.body["data"])
    # The same Good button again: nothing changes, and the member is told.
    _, again = await answer(fake, fake.click(message, good["custom_id"]))
    assert "already rated, so nothing changed" in text_of(again.body["data"])
    async with review_bot.app.sessions() as s:
        assert (await s.execute(select(func.count()).select_from(ReviewLogEntry))).scalar_one() == 1


@pytest.fixture
async def review_slack(tmp_path, fake_slack) -> AsyncIterator[SlackHarness]:
    import aiohttp

    from storage.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path}/t.db"
    await upgrade(url)
    app = build_app(slack_settings(url, fake_slack), clock=FrozenClock(START), catalog=catalog_with_cards())
    runtime = prepare(app, socket_mode=False)
    runner = await serve_http(app, runtime, host="127.0.0.1", port=0)
    http = aiohttp.ClientSession()
    yield SlackHarness(app, fake_slack, f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events", http)
    await http.close()
    await runner.cleanup()
    await app.close()


@pytest.fixture
async def fake_slack():
    from tests.fakes.slack_fake import FakeSlack

    server = await FakeSlack().start()
    yield server
    await server.close()


def buttons_in(blocks: list[dict]) -> dict[str, str]:
    return {
        e["text"]["text"]: e["value"]
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    }


async def test_slack_review_in_a_message_and_from_the_app_home(review_slack: SlackHarness):
    slack = review_slack
    await queue_due_cards(slack.app.engine, slack_member(TEAM_ID, "U1"), slack.app.clock)
    await slack.command("review")
    await slack.fake.wait_for(lambda: [r for r in slack.fake.responses if r["_url"] == "review"])
    first = next(r for r in slack.fake.responses if r["_url"] == "review")
    check_blocks(first["blocks"])
    show = buttons_in(first["blocks"])["Show answer"]
    await slack.click(show)
    await slack.fake.wait_for(lambda: [r for r in slack.fake.responses if r["_url"] == "action"])
    answer_msg = [r for r in slack.fake.responses if r["_url"] == "action"][-1]
    check_blocks(answer_msg["blocks"])
    ratings = buttons_in(answer_msg["blocks"])
    assert list(ratings) == ["Again", "Hard", "Good", "Easy"]
    await slack.click(ratings["Easy"])
    await slack.fake.wait_for(lambda: len([r for r in slack.fake.responses if r["_url"] == "action"]) >= 2)
    assert "Easy: next time on" in json.dumps([r for r in slack.fake.responses if r["_url"] == "action"][-1])

    # From the App Home the same flow opens in a modal.
    home = {"id": "V0HOME", "type": "home"}
    await slack.click("review:next", view=home)
    await slack.fake.wait_for(lambda: slack.fake.find("views.open"))
    opened = slack.fake.find("views.open")[-1].args["view"]
    check_view(opened)
    assert "Show answer" in json.dumps(opened)


async def test_console_review_by_numbers(db_url, clock):
    import io

    from bot.adapters.console.session import ConsoleSession

    app = build_app(make_settings(db_url), clock=clock, catalog=catalog_with_cards())
    try:
        key = MemberKey("console", "local", "me")
        await queue_due_cards(app.engine, key, clock)
        out = io.StringIO()
        # /review, 1 = Show answer, 3 = Good, then /review again for the next card.
        lines = iter(["/review", "1", "3", "/quit"])
        await ConsoleSession(app.engine, key, out=out, read_line=lambda _p: next(lines, None)).run()
        text = out.getvalue()
        assert "[1] Show answer" in text
        assert "[1] Again" in text and "[3] Good" in text and "[4] Easy" in text
        assert "Good: next time on" in text
        assert "Card 2 of 3 today" in text
    finally:
        await app.close()


async def deliver_checkins(app) -> None:
    """The member's 10:00 UTC check-in, claimed and sent through the platform's messenger."""
    app.clock.set(app.clock.now().replace(hour=10, minute=1))
    await claim_pass(app)
    await Dispatcher(app.sessions, app.clock, app.platform.messenger, RateLimiter(lambda _k: None)).drain()


async def test_discord_checkin_dm_carries_the_due_count_and_review_now(review_bot, fake: FakeDiscord, clock):
    key = MemberKey("discord", GUILD_ID, DISCORD_USER)
    await review_bot.app.engine.command(key, "settings", {"timezone": "UTC", "checkin_time": "10:00"})
    await queue_due_cards(review_bot.app.engine, key, clock)
    await deliver_checkins(review_bot.app)
    [dm] = [m for m in fake.messages.values() if "Daily check-in" in text_of(m)]
    assert "3 review cards are due" in text_of(dm)
    review_now = next(c for c in components(dm) if c.get("label") == "Review now")
    _, shown = await answer(fake, fake.click(dm, review_now["custom_id"], user_id=DISCORD_USER, guild=False))
    assert "Recall your answer" in text_of(shown.body["data"])


async def test_slack_checkin_dm_carries_the_due_count_and_review_now(review_slack: SlackHarness):
    slack = review_slack
    key = slack_member(TEAM_ID, "U1")
    await slack.app.engine.command(key, "settings", {"timezone": "UTC", "checkin_time": "10:00"})
    await queue_due_cards(slack.app.engine, key, slack.app.clock)
    await deliver_checkins(slack.app)
    [dm] = [c.args for c in slack.fake.find("chat.postMessage") if "Daily check-in" in json.dumps(c.args)]
    check_blocks(dm["blocks"])
    assert "3 review cards are due" in json.dumps(dm["blocks"])
    await slack.click(buttons_in(dm["blocks"])["Review now"])
    await slack.fake.wait_for(lambda: [r for r in slack.fake.responses if r["_url"] == "action"])
    assert "Recall your answer" in json.dumps([r for r in slack.fake.responses if r["_url"] == "action"][-1])


async def test_one_checkin_counts_the_cards_of_each_server_a_person_is_in(
    review_bot, fake: FakeDiscord, clock
):
    """Each membership keeps its own queue; the one daily check-in lists both, and the other
    server's button reviews that server's cards."""
    engine = review_bot.app.engine
    home, away = MemberKey("discord", GUILD_ID, DISCORD_USER), MemberKey("discord", OTHER_GUILD, DISCORD_USER)
    await engine.command(home, "settings", {"timezone": "UTC", "checkin_time": "10:00"})
    await engine.command(away, "today", {}, Context(community_name="Second Server"))
    for key, roadmap in ((away, "ai-agents"), (home, "ml-engineer")):
        await engine.action(key, f"learn:enrol:{roadmap}")
        today = await engine.command(key, "today")
        assert not (
            await engine.action(key, next(a for t, a in choices_of(today) if t.startswith("Done:")))
        ).error
        clock.advance(timedelta(minutes=1))  # the home plan starts last: its check-in is the one sent
    clock.advance(timedelta(days=1))
    await deliver_checkins(review_bot.app)
    [dm] = [m for m in fake.messages.values() if "Daily check-in" in text_of(m)]
    assert "3 review cards are due in community" in text_of(dm)
    assert "3 review cards are due in Second Server" in text_of(dm)
    labels = {c.get("label"): c["custom_id"] for c in components(dm) if c.get("custom_id")}
    assert labels["Review now"].endswith(f"~{GUILD_ID}")
    assert labels["Review in Second Server"].endswith(f"~{OTHER_GUILD}")
    _, shown = await answer(
        fake, fake.click(dm, labels["Review in Second Server"], user_id=DISCORD_USER, guild=False)
    )
    show = next(c["custom_id"] for c in components(shown.body["data"]) if c.get("label") == "Show answer")
    async with review_bot.app.sessions() as s:
        away_cards = (
            (
                await s.execute(
                    select(ReviewCardState.card_id)
                    .join(Member, Member.id == ReviewCardState.member_id)
                    .where(Member.workspace_id == OTHER_GUILD)
                )
            )
            .scalars()
            .all()
        )
    assert show.split(":")[2] in away_cards

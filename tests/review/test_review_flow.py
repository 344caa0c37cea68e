"""Spaced review through the memory adapter on a real database, with a frozen clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card, Rating, Scheduler, State
from sqlalchemy import event, func, select

from bot.adapters.memory import MemberDriver
from bot.adapters.memory.messenger import MemoryMessenger
from bot.core.clock import FrozenClock
from bot.core.identity import MemberKey
from bot.core.replies import choices_of, render_text
from bot.runtime import App, build_app
from storage.models import ReviewCardState, ReviewLogEntry
from tests.conftest import make_settings
from tests.review.support import catalog_with_cards
from tests.scheduler.conftest import step

ADA = MemberKey("discord", "g1", "ada")
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday; 13:00 in Berlin


@pytest.fixture
async def rapp(any_db_url) -> AsyncIterator[App]:
    app = build_app(make_settings(any_db_url), clock=FrozenClock(T0), catalog=catalog_with_cards())
    yield app
    await app.close()


async def enrol_and_finish_first_topic(app: App, m: MemberDriver) -> str:
    await enrol_and_finish_first_topic_of(app, m)
    async with app.sessions() as s:
        topics = (await s.execute(select(ReviewCardState.topic_id).distinct())).scalars().all()
    assert len(topics) == 1
    return topics[0]


async def enrol_and_finish_first_topic_of(app: App, m: MemberDriver) -> None:
    await m.command("settings", timezone="Europe/Berlin", checkin_time="19:00")
    await m.act("learn:enrol:ml-engineer")
    today = await m.command("today")
    done = next(a for label, a in choices_of(today) if label.startswith("Done:"))
    await m.act(done)


async def cards(app: App) -> dict[str, ReviewCardState]:
    async with app.sessions() as s:
        return {c.card_id: c for c in (await s.execute(select(ReviewCardState))).scalars()}


async def test_a_topic_marked_done_gives_cards_due_the_next_local_day(rapp):
    m = MemberDriver(rapp.engine, ADA)
    topic = await enrol_and_finish_first_topic(rapp, m)
    queued = await cards(rapp)
    assert sorted(queued) == [f"{topic}-{n}" for n in (1, 2, 3)]
    # Berlin's next midnight: 23:00 UTC on Monday.
    assert {c.due for c in queued.values()} == {datetime(2026, 3, 2, 23, 0, tzinfo=UTC)}
    await m.command("review")
    assert m.last.cards[0].title == "Nothing to review"
    assert "Next cards due: Tue 3 Mar 2026" in m.text

    rapp.clock.set(datetime(2026, 3, 3, 7, 0, tzinfo=UTC))
    await m.command("review")
    assert "Recall your answer" in m.text and choices_of(m.last)[0][0] == "Show answer"
    await m.press("Show answer")
    assert [label for label, _ in choices_of(m.last)] == ["Again", "Hard", "Good", "Easy"]
    assert "Because of reason" in m.text


async def test_ratings_move_due_dates_as_fsrs_says(rapp):
    m = MemberDriver(rapp.engine, ADA)
    topic = await enrol_and_finish_first_topic(rapp, m)
    await m.command("settings", review_retention="80%", review_limit="10")
    card_id = f"{topic}-1"
    expected = Card(card_id=1, state=State.Learning, due=datetime(2026, 3, 2, 23, 0, tzinfo=UTC))
    scheduler = Scheduler(desired_retention=0.8, learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    now = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    for label, rating in (("Good", Rating.Good), ("Again", Rating.Again), ("Easy", Rating.Easy)):
        rapp.clock.set(now)
        reps = (await cards(rapp))[card_id].reps
        await m.act(f"review:show:{card_id}:{reps}")
        await m.press(label)
        expected, _ = scheduler.review_card(expected, rating, now)
        stored = (await cards(rapp))[card_id]
        assert stored.due == expected.due
        assert stored.stability == pytest.approx(expected.stability)
        assert stored.difficulty == pytest.approx(expected.difficulty)
        assert stored.state == int(expected.state)
        now = expected.due + timedelta(hours=1)
    async with rapp.sessions() as s:
        ratings = (await s.execute(select(ReviewLogEntry.rating).order_by(ReviewLogEntry.id))).scalars().all()
    assert ratings == [3, 1, 4]


async def test_a_repeated_or_stale_press_changes_nothing_and_says_so(rapp):
    m = MemberDriver(rapp.engine, ADA)
    topic = await enrol_and_finish_first_topic(rapp, m)
    rapp.clock.set(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    good = f"review:rate:{topic}-1:0:good"
    first = await m.act(good)
    assert "Good: next time on" in render_text(first)
    before = await cards(rapp)
    again = await m.act(f"review:rate:{topic}-1:0:again")
    assert "already rated, so nothing changed" in render_text(again)
    assert await cards(rapp) == before or {k: v.due for k, v in (await cards(rapp)).items()} == {
        k: v.due for k, v in before.items()
    }
    stale_show = await m.act(f"review:show:{topic}-1:1")
    assert "no longer due" in render_text(stale_show)
    broken = await m.act(f"review:rate:{topic}-1:0:great")
    assert broken.error
    async with rapp.sessions() as s:
        assert (await s.execute(select(func.count()).select_from(ReviewLogEntry))).scalar_one() == 1


async def test_the_daily_limit_stops_the_session_with_a_summary(rapp):
    m = MemberDriver(rapp.engine, ADA)
    await enrol_and_finish_first_topic(rapp, m)
    await m.command("settings", review_limit="2")
    rapp.clock.set(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    await m.command("review")
    for _ in range(2):
        await m.press("Show answer")
        await m.press("Good")
    assert m.last.cards[0].title == "Review done"
    assert "You reviewed 2 cards today" in m.text
    assert "daily limit of 2; 1 more card is due" in m.text
    rapp.clock.set(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
    await m.command("review")
    assert choices_of(m.last)[0][0] == "Show answer"


async def test_review_as_a_first_command_makes_the_member_and_has_nothing_due(rapp):
    m = MemberDriver(rapp.engine, MemberKey("discord", "g1", "newcomer"))
    await m.command("review")
    assert not m.last.error and m.last.cards[0].title == "Nothing to review"
    assert "join your queue and are due the next day" in m.text


async def test_help_mentions_review(rapp):
    m = MemberDriver(rapp.engine, ADA)
    await m.command("help")
    assert "**/review** · Recall what you studied" in m.text


async def test_review_settings_are_validated_and_shown(rapp):
    m = MemberDriver(rapp.engine, ADA)
    await m.command("settings", review_retention="1.5")
    assert m.last.error and "between 70% and 97%" in m.text
    await m.command("settings", review_limit="abc")
    assert m.last.error and "isn't a number of cards" in m.text
    await m.command("settings", review_limit="99")
    assert m.last.error and "at most 50" in m.text
    await m.command("settings")
    assert "Review cards: 5 a day, 90% retention" in m.text
    await m.command("settings", review_retention="0.85", review_limit="0")
    assert not m.last.error and "Review retention: 85%" in m.text and "Reviews off" in m.text
    assert "Review cards: off" in m.text


async def test_logging_study_queues_the_topic_in_progress(rapp):
    m = MemberDriver(rapp.engine, ADA)
    await m.command("settings", timezone="Asia/Kolkata")
    await m.act("learn:enrol:ai-agents")
    await m.command("checkin", minutes="30")
    queued = await cards(rapp)
    assert len(queued) == 3
    # Kolkata's next midnight after 17:30 local on 2 March: 18:30 UTC.
    assert {c.due for c in queued.values()} == {datetime(2026, 3, 2, 18, 30, tzinfo=UTC)}


async def test_the_checkin_dm_carries_the_due_count_and_a_review_button(rapp):
    m = MemberDriver(rapp.engine, ADA)
    await enrol_and_finish_first_topic(rapp, m)
    messenger = MemoryMessenger(platform="discord")
    await step(rapp, messenger, datetime(2026, 3, 2, 18, 0, tzinfo=UTC), catalog=rapp.engine.catalog)
    monday = [s for s in messenger.sent if "Daily check-in" in render_text(s.reply)]
    assert monday and "review" not in render_text(monday[-1].reply).lower()
    await step(rapp, messenger, datetime(2026, 3, 3, 18, 0, tzinfo=UTC), catalog=rapp.engine.catalog)
    tuesday = [s for s in messenger.sent if "Daily check-in" in render_text(s.reply)][-1]
    assert len([s for s in messenger.sent if "Daily check-in" in render_text(s.reply)]) == 2
    assert "3 review cards are due" in render_text(tuesday.reply)
    review_now = next(a for label, a in choices_of(tuesday.reply) if label == "Review now")
    reply = await rapp.engine.action(ADA, review_now)
    assert choices_of(reply)[0][0] == "Show answer"


async def test_progress_shows_recall_and_the_weakest_topic(rapp):
    m = MemberDriver(rapp.engine, ADA)
    topic = await enrol_and_finish_first_topic(rapp, m)
    rapp.clock.set(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    for n, rating in ((1, "again"), (2, "good"), (3, "again")):
        await m.act(f"review:rate:{topic}-{n}:0:{rating}")
    await m.command("progress")
    assert "1 learned of 3" not in m.text and "3 learned of 3 · 0 due now" in m.text
    assert "Recall, last 30 days: 33% (1 of 3)" in m.text
    study = m.choice("Study ")
    assert study == f"review:topic:{topic}"
    shown = await m.act(study)
    assert shown.cards[0].title.startswith("Study again:")


async def test_export_and_delete_cover_card_state_and_the_log(rapp):
    m = MemberDriver(rapp.engine, ADA)
    topic = await enrol_and_finish_first_topic(rapp, m)
    rapp.clock.set(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    await m.act(f"review:rate:{topic}-1:0:hard")
    exported = await m.command("privacy", action="export")
    data = json.loads(exported.attachment.content)
    assert sorted(c["card_id"] for c in data["review_cards"]) == [f"{topic}-{n}" for n in (1, 2, 3)]
    assert [r["rating"] for r in data["review_logs"]] == [2]
    await m.command("privacy", action="delete")
    await m.press("Yes, delete everything")
    async with rapp.sessions() as s:
        assert (await s.execute(select(func.count()).select_from(ReviewCardState))).scalar_one() == 0
        assert (await s.execute(select(func.count()).select_from(ReviewLogEntry))).scalar_one() == 0


async def test_a_card_removed_from_the_catalogue_is_never_shown(any_db_url):
    full = catalog_with_cards()
    app = build_app(make_settings(any_db_url), clock=FrozenClock(T0), catalog=full)
    try:
        m = MemberDriver(app.engine, ADA)
        topic = await enrol_and_finish_first_topic(app, m)
    finally:
        await app.close()
    kept = {**full.cards, topic: full.cards[topic][1:]}
    app = build_app(
        make_settings(any_db_url), clock=FrozenClock(T0), catalog=full.model_copy(update={"cards": kept})
    )
    try:
        app.clock.set(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
        m = MemberDriver(app.engine, ADA)
        await m.command("review")
        for _ in range(2):
            assert f"{topic}-1" not in m.choice("Show answer")
            await m.press("Show answer")
            await m.press("Good")
        assert m.last.cards[0].title == "Review done" and "No more cards are due" in m.text
        assert "daily limit" not in m.text
        gone = await m.act(f"review:rate:{topic}-1:0:good")
        assert "isn't in your review queue any more" in render_text(gone)
    finally:
        await app.close()


async def test_the_checkin_counts_due_cards_with_the_claim_and_offers_what_review_will(rapp):
    """Two check-ins claimed together: their due cards are counted in one statement, and each DM
    states what /review then offers, after the ratings already given today."""
    ada, bob = MemberDriver(rapp.engine, ADA), MemberDriver(rapp.engine, MemberKey("discord", "g1", "bob"))
    for m in (ada, bob):
        await enrol_and_finish_first_topic_of(rapp, m)
    await ada.command("settings", review_limit="2")
    rapp.clock.set(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    await ada.command("review")
    await ada.press("Show answer")
    await ada.press("Good")

    statements: list[str] = []

    def seen(_conn, _cursor, sql: str, *_args) -> None:
        if "review_cards" in sql:
            statements.append(sql)

    messenger = MemoryMessenger(platform="discord")
    event.listen(rapp.db.sync_engine, "before_cursor_execute", seen)
    try:
        await step(rapp, messenger, datetime(2026, 3, 3, 18, 0, tzinfo=UTC), catalog=rapp.engine.catalog)
    finally:
        event.remove(rapp.db.sync_engine, "before_cursor_execute", seen)
    assert len(statements) == 1, statements
    dms = {s.to: s.reply for s in messenger.sent if "Daily check-in" in render_text(s.reply)}
    assert "2 review cards are due (1 today)" in render_text(dms["ada"])
    assert "3 review cards are due." in render_text(dms["bob"])

    review_now = next(a for label, a in choices_of(dms["ada"]) if label == "Review now")
    shown = await rapp.engine.action(ADA, review_now)
    assert "Card 2 of 2 today" in render_text(shown)
    await ada.act(choices_of(shown)[0][1])
    await ada.press("Good")
    assert "daily limit of 2; 1 more card is due" in ada.text

    # A snoozed copy is built when snooze is pressed, without the claim's count: the same rule.
    snooze = next(a for label, a in choices_of(dms["ada"]) if label == "Remind me in 2 h")
    await ada.act(snooze)
    await step(rapp, messenger, datetime(2026, 3, 3, 20, 1, tzinfo=UTC), catalog=rapp.engine.catalog)
    later = [s.reply for s in messenger.sent if s.to == "ada"][-1]
    assert "1 review card is due. You've reviewed your 2 for today, so it waits for tomorrow." in render_text(
        later
    )
    assert "Review now" not in [label for label, _ in choices_of(later)]

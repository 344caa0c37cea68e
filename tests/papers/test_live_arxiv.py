"""The optional live arXiv source, against a local fake API serving recorded Atom feeds."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.core.replies import choices_of, render_text
from bot.core.services import arxiv_picks
from bot.papers_live import cache, refresh_if_due
from bot.papers_live.client import ArxivClient
from bot.papers_live.gate import RateGate
from bot.papers_live.source import make_client
from bot.runtime import App, build_app
from storage.models import ArxivEntry, MemberPaper
from tests.conftest import make_settings
from tests.papers.conftest import enrol, key
from tests.papers.fake_arxiv import FakeArxiv, closed_port_url, serve_fake_arxiv

ALL = ["cs.LG", "cs.CL", "cs.AI", "cs.CR"]


class FakeTime:
    """A monotonic clock that only moves when the gate sleeps."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


@pytest.fixture
async def fake() -> AsyncIterator[FakeArxiv]:
    async with serve_fake_arxiv() as server:
        yield server


def live_app(db_url, clock, catalog, url: str, categories=ALL, timeout: float = 5.0) -> tuple[App, FakeTime]:
    settings = make_settings(
        db_url,
        papers_live="arxiv",
        papers_arxiv_api_url=url,
        papers_arxiv_categories=",".join(categories),
        papers_arxiv_timeout_seconds=timeout,
    )
    app = build_app(settings, clock=clock, catalog=catalog)
    t = FakeTime()
    app.arxiv_client = ArxivClient(
        url, gate=RateGate(clock=t, sleep=t.sleep), timeout=timeout, max_results=50
    )
    return app, t


@pytest.fixture
async def live(db_url, clock, catalog, fake) -> AsyncIterator[tuple[App, FakeTime]]:
    app, t = live_app(db_url, clock, catalog, fake.url)
    yield app, t
    await app.close()


async def cached(app: App) -> dict[str, ArxivEntry]:
    async with app.sessions() as s:
        return {e.arxiv_id: e for e in (await s.execute(select(ArxivEntry))).scalars()}


async def test_fetches_politely_caches_and_dedupes(live, fake: FakeArxiv) -> None:
    app, t = live
    result = await refresh_if_due(app)
    assert result is not None and result.ran and not result.failures
    assert [r["search_query"] for r in fake.requests] == [f"cat:{c}" for c in ALL]
    assert all(r["sortBy"] == "submittedDate" and r["sortOrder"] == "descending" for r in fake.requests)
    assert t.sleeps == [3.0, 3.0, 3.0], "one request every 3 s, the first at once"
    entries = await cached(app)
    assert len(entries) == 8 and result.stored == 8
    rag = entries["2610.20544"]
    assert rag.version == 2 and rag.title == "Measuring Retrieval Drift in Long-Context RAG Pipelines"
    assert rag.categories[0] == "cs.CL" and {"cs.LG", "cs.IR"} <= set(rag.categories)
    assert set(entries["2610.22105"].categories) == {"cs.CL", "cs.AI"}
    # A second run later the same day is not due; forcing it stores nothing twice.
    assert (await refresh_if_due(app)).ran is False
    app.clock.advance(timedelta(hours=7))
    again = await refresh_if_due(app)
    assert again.ran and again.added == 0 and len(await cached(app)) == 8


async def test_new_this_week_pick_in_paper_command(live) -> None:
    app, _ = live
    await refresh_if_due(app)
    who = key("redteamer")
    await enrol(app, who, "ai-red-teaming")
    reply = await app.engine.command(who, "paper")
    assert ("New this week", "paper:new") in choices_of(reply)
    assert "2 new preprints" in reply.cards[0].footer
    first = await app.engine.action(who, "paper:new")
    assert not first.error and first.cards[0].title.startswith("🆕 Indirect Prompt Injection")
    assert ("Read it", "paper:read:arxiv:2610.21455") in choices_of(first)
    second = await app.engine.action(who, "paper:new:arxiv:2610.21455")
    assert "Membership Inference" in second.cards[0].title
    done = await app.engine.action(who, "paper:new:arxiv:2610.20001")
    assert not done.error and any("Nothing new" in n for n in done.notices)
    assert await app.engine.action(who, "paper:read:arxiv:2610.20001") is not None
    async with app.sessions() as s:
        rows = {r.paper_id: r for r in (await s.execute(select(MemberPaper))).scalars()}
    assert rows["arxiv:2610.21455"].status == "passed" and rows["arxiv:2610.21455"].source == "arxiv"
    assert rows["arxiv:2610.20001"].status == "read"
    progress = render_text(await app.engine.command(who, "progress"))
    assert "Membership Inference Against Fine-Tuned Code Models" in progress
    assert "removed from catalogue" not in progress


async def test_old_listings_fall_outside_the_week(live) -> None:
    app, _ = live
    await refresh_if_due(app)
    async with app.sessions() as s:
        fresh = await arxiv_picks.new_this_week(s, app.clock.now(), ["ml-engineer"])
    ids = [e.arxiv_id for e in fresh]
    assert "2610.08811" not in ids
    # Primary category first, then cross-listings, newest first within each.
    assert ids == ["2610.21873", "2610.19002", "2610.20544", "2610.20001"]


async def test_weekly_paper_offers_new_this_week_too(live) -> None:
    from bot.core.call import Call, Context
    from bot.core.features.papers import handlers as papers

    app, _ = live
    await refresh_if_due(app)
    who = key("weekly")
    await enrol(app, who, "prompt-engineering")
    async with app.sessions() as s, s.begin():
        call = Call(s, app.catalog, app.clock, who, Context())
        reply = await papers.weekly_paper_reply(call, await call.member())
    assert ("New this week", "paper:new") in choices_of(reply)


def test_window_and_weekend_rules() -> None:
    sat = datetime(2026, 11, 7, 12, 0, tzinfo=UTC)
    sun = datetime(2026, 11, 8, 12, 0, tzinfo=UTC)
    mon = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)
    fri = datetime(2026, 11, 6, 10, 0, tzinfo=UTC)
    assert arxiv_picks.last_announcement_day(sat).isoformat() == "2026-11-06"
    assert arxiv_picks.last_announcement_day(sun).isoformat() == "2026-11-06"
    # The weekend keeps the week that just ended in view instead of shrinking.
    assert arxiv_picks.new_window(sun)[0] == datetime(2026, 10, 30, tzinfo=UTC)
    assert arxiv_picks.new_window(mon)[0] == datetime(2026, 11, 2, tzinfo=UTC)
    # No refetch at the weekend once Friday's listing is in...
    assert cache.due(sat, last_success=fri, last_attempt=fri) is False
    assert cache.due(sun, last_success=fri, last_attempt=fri) is False
    # ...but an empty or pre-Friday cache is filled once.
    assert cache.due(sat, last_success=None, last_attempt=None) is True
    assert cache.due(sat, last_success=fri - timedelta(days=1), last_attempt=fri - timedelta(days=1)) is True
    # Weekdays refresh every few hours; a failure waits before the next try.
    assert cache.due(mon, last_success=mon - timedelta(hours=7), last_attempt=mon - timedelta(hours=7))
    assert not cache.due(mon, last_success=mon - timedelta(hours=1), last_attempt=mon - timedelta(hours=1))
    assert not cache.due(mon, last_success=None, last_attempt=mon - timedelta(minutes=5))


async def test_no_refetch_over_the_weekend(live, fake: FakeArxiv) -> None:
    app, _ = live
    app.clock.set(datetime(2026, 11, 6, 15, 0, tzinfo=UTC))  # Friday
    assert (await refresh_if_due(app)).ran
    n = len(fake.requests)
    for hours in (12, 24, 36, 48):  # Saturday and Sunday
        app.clock.set(datetime(2026, 11, 6, 15, 0, tzinfo=UTC) + timedelta(hours=hours))
        assert (await refresh_if_due(app)).ran is False
    assert len(fake.requests) == n
    app.clock.set(datetime(2026, 11, 9, 9, 0, tzinfo=UTC))  # Monday
    assert (await refresh_if_due(app)).ran
    assert len(fake.requests) == 2 * n


@pytest.mark.parametrize("mode", ["empty", "malformed", "api-error", "http-500", "http-503", "slow"])
async def test_bad_responses_fall_back_to_the_catalogue(db_url, clock, catalog, fake, mode, caplog) -> None:
    fake.modes["cs.CR"] = mode
    app, _ = live_app(db_url, clock, catalog, fake.url, categories=["cs.CR"], timeout=0.2)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.papers_live"):
            result = await refresh_if_due(app)
        assert result.ran and result.failures and result.stored == 0
        assert any(
            "arXiv live source" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
        )
        assert await cached(app) == {}
        who = key("fallback")
        await enrol(app, who, "ai-red-teaming")
        reply = await app.engine.command(who, "paper")
        assert not reply.error
        assert "paper:new" not in [a for _, a in choices_of(reply)]
        assert any(a.startswith("paper:read:") for _, a in choices_of(reply))
        # The failure is remembered so the next scheduler tick does not hammer the API.
        assert (await refresh_if_due(app)).ran is False
    finally:
        await app.close()


async def test_network_unavailable(db_url, clock, catalog, caplog) -> None:
    app, _ = live_app(db_url, clock, catalog, closed_port_url(), categories=["cs.LG", "cs.CR"])
    try:
        with caplog.at_level(logging.WARNING, logger="bot.papers_live"):
            result = await refresh_if_due(app)
        assert result.ran and len(result.failures) == 2
        assert sum("arXiv live source" in r.getMessage() for r in caplog.records) == 2
        reply = await app.engine.command(key("offline"), "paper")
        assert not reply.error and reply.cards
    finally:
        await app.close()


async def test_one_failing_category_keeps_the_others_and_a_failed_refresh_keeps_the_cache(
    live, fake: FakeArxiv
) -> None:
    app, _ = live
    fake.modes["cs.CR"] = "http-500"
    result = await refresh_if_due(app)
    assert len(result.failures) == 1 and result.stored == 6
    assert "2610.21455" not in await cached(app)
    for cat in ALL:
        fake.modes[cat] = "malformed"
    app.clock.advance(timedelta(hours=7))
    failed = await refresh_if_due(app)
    assert len(failed.failures) == 4
    assert len(await cached(app)) == 6, "a failed refresh leaves the cache as it was"


async def test_live_source_is_off_by_default(db_url, clock, catalog, fake: FakeArxiv) -> None:
    settings = make_settings(db_url, papers_arxiv_api_url=fake.url)
    assert Settings(_env_file=None).papers_live == "off"
    assert Settings(_env_file=None).papers_arxiv_api_url == "https://export.arxiv.org/api/query"
    app = build_app(settings, clock=clock, catalog=catalog)
    try:
        assert await refresh_if_due(app) is None
        assert fake.requests == []
        reply = await app.engine.command(key("plain"), "paper")
        assert "paper:new" not in [a for _, a in choices_of(reply)]
    finally:
        await app.close()


async def test_client_from_settings(db_url, clock, catalog, fake: FakeArxiv) -> None:
    """Without injection the client comes from settings (one category: no gate wait)."""
    settings = make_settings(
        db_url, papers_live="arxiv", papers_arxiv_api_url=fake.url, papers_arxiv_categories="cs.CR"
    )
    client = make_client(settings)
    assert client.url("cs.CR").startswith(fake.url + "?search_query=cat%3Acs.CR")
    app = build_app(settings, clock=clock, catalog=catalog)
    try:
        result = await refresh_if_due(app)
        assert result.stored == 2 and fake.requests[0]["max_results"] == "50"
    finally:
        await app.close()


async def test_rate_gate_spacing() -> None:
    t = FakeTime()
    gate = RateGate(3.0, clock=t, sleep=t.sleep)
    await gate.wait()
    t.t += 1.0
    await gate.wait()
    assert t.sleeps == [2.0]
    t.t += 10.0
    await gate.wait()
    assert t.sleeps == [2.0]
    await gate.wait()
    assert t.sleeps == [2.0, 3.0]

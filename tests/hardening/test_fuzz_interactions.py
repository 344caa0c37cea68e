"""Interaction payloads fuzzed through both adapters, end to end against the fake platforms.

Kinds: custom_ids and values that match nothing, stale buttons (rows that don't exist or
are finished), one member pressing another member's button, and modal submits with
missing, empty, oversized, control-character or mention-laden fields.

The properties, for each example:
- the bot always answers (Discord: an interaction callback within 3 s; Slack: a 200 ack
  and a response_url post or views.update / views.open);
- the answer is friendly (no traceback, no exception names), within the platform's limits
  (Discord: limits.check_payload strictly; Slack: slack_sdk.models) and pings nobody;
- an invalid interaction changes nothing in the database. A stale button of the presser's
  own (a finished quiz, a topic already done) may only touch the presser's last_active_at.

One fake and one running client per test; examples run synchronously on its loop.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import discord
import pytest
import yarl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from slack_sdk.models.views import View
from sqlalchemy import select

from bot.adapters.discord import limits as discord_limits
from bot.adapters.discord.client import DEFAULT_API_BASE
from bot.adapters.discord.members import guild_member_key
from bot.adapters.discord.router import SORRY
from bot.adapters.slack.users import member_key as slack_member_key
from bot.core.clock import FrozenClock
from bot.core.engine import INTERNAL_ERROR
from bot.core.identity import CommunityKey, MemberKey
from bot.runtime import App
from content.loader import load_default_catalog
from storage import repo
from storage.migrate import upgrade
from storage.models import Assessment, Base, CommunityPaper, PlanItem
from tests.discord.conftest import Bot, discord_app
from tests.discord.helpers import EPHEMERAL, text_of
from tests.fakes.discord_fake import CHANNEL_ID, GUILD_ID, FakeDiscord
from tests.fakes.slack_fake import TEAM_ID, FakeSlack
from tests.hardening.support import MENTIONS, START, assert_slack_silent, check_slack_blocks
from tests.slack.conftest import SlackHarness, sign, start_harness

EXAMPLES = 30
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
ANSWER_WITHIN = 3.0  # Discord's acknowledgement window
UNFRIENDLY = re.compile(r"Traceback|File \"|\b[A-Z]\w*(Error|Exception)\b|\bNone\b")

# -- hostile pieces ----------------------------------------------------------------------

ODD_DIGITS = ("²", "٣", "١٢٣", "߁", "𝟗", "9" * 25, str(2**63), str(10**30), "-1", "0", "00", "1e9", " 1")
CONTROL = ("\x00", "\x07", "\x1b[31m", "\u202e", "\u200b", "\ufeff", "\r\n", "\t", "\x7f")
JUNK = st.one_of(
    st.sampled_from(ODD_DIGITS + CONTROL + MENTIONS),
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
)


def custom_ids() -> st.SearchStrategy[str]:
    """Ids that look like ours and are not, or are nothing like ours; at most 100 characters."""
    namespaced = st.builds(
        lambda prefix, tail: (prefix + tail)[:100],
        st.sampled_from(
            [
                "learn:enrol:",
                "learn:enrol",
                "pg:",
                "pg:1:",
                "pg:9999:",
                "pg:x:learn:list:all",
                "topic:done:",
                "assess:ans:",
                "paper:groupread:",
                "checkin:done:",
                "settings:stream:",
                "privacy:delete:",
                "nothing:",
                ":",
                "",
            ]
        ),
        st.lists(JUNK, max_size=3).map(":".join),
    )
    long = st.builds(
        lambda c, n: (c * n)[:100], st.sampled_from(["a", "é", "𝟗", ":", "9", "‮"]), st.integers(1, 100)
    )
    return st.one_of(namespaced, long, st.text(min_size=1, max_size=100)).filter(bool)


def field_value() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        st.sampled_from(ODD_DIGITS + CONTROL + MENTIONS),
        st.builds(
            lambda c, n: c * n,
            st.sampled_from(["x", "9", "é", "@everyone ", "<!here> "]),
            st.integers(4001, 5000),
        ),
        st.text(max_size=40),
    )


BAD_MINUTES = st.one_of(
    st.sampled_from(["", " ", "0", "-5", "1441", "99999", "nan", "inf", "1e999", "²", "thirty", "\x00"]),
    st.sampled_from(MENTIONS),
    st.builds(lambda c, n: c * n, st.sampled_from(["9", "x", "@here"]), st.integers(4001, 5000)),
)


@st.composite
def bad_submits(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """A modal submit that must be refused: the log form without good minutes, the settings
    form with a bad value, or a form id that is not ours."""
    kind = draw(st.sampled_from(["checkin", "checkin-missing", "settings", "unknown"]))
    if kind == "checkin":
        values = {"minutes": draw(BAD_MINUTES)}
        if draw(st.booleans()):
            values["note"] = draw(field_value())
        return draw(st.sampled_from(["checkin:log", "checkin:log:2026-11-02"])), values
    if kind == "checkin-missing":
        extra = draw(
            st.dictionaries(st.sampled_from(["note", "x", "Minutes", "minutes "]), field_value(), max_size=2)
        )
        return "checkin:log", extra
    if kind == "settings":
        # Each field's own bad values: "-3" is a fine time zone (UTC-3) but no number of hours.
        own = {
            "timezone": ["Mars/Olympus"],
            "checkin_time": ["25:99"],
            "checkin_days": ["funday"],
            "hours_per_week": ["-3"],
            "pause_until": ["2026-02-30"],
        }
        name = draw(st.sampled_from(sorted(own)))
        bad = draw(
            st.one_of(
                st.sampled_from([*own[name], "\x00", "@everyone"]),
                st.builds(
                    lambda c, n: c * n, st.sampled_from(["x", "9", "<!channel>"]), st.integers(4001, 5000)
                ),
            )
        )
        return "settings:save", {name: bad}
    unknown = st.builds(
        lambda prefix, tail: (prefix + tail)[:100],
        st.sampled_from(["", "nothing:", "pg:", "pg:1:", "learn:nope:", "x:"]),
        st.lists(JUNK, max_size=3).map(":".join),
    )
    return draw(unknown), draw(st.dictionaries(st.text(max_size=10), field_value(), max_size=3))


# -- the database, compared ---------------------------------------------------------------


Rows = dict[str, list[str]]


async def snapshot(app: App, ignore_active_of: int | None = None) -> Rows:
    """Every row of every table, as text; optionally without one member's last_active_at."""
    out: Rows = {}
    async with app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = []
            for row in (await session.execute(select(table))).mappings():
                values = dict(row)
                if table.name == "members" and values.get("id") == ignore_active_of:
                    values.pop("last_active_at", None)
                rows.append(repr(sorted(values.items())))
            out[table.name] = sorted(rows)
    return out


def changed(before: Rows, after: Rows) -> dict[str, int]:
    return {t: len(set(after[t]) ^ set(before[t])) for t in before if before[t] != after[t]}


async def member_id(app: App, key: MemberKey) -> int | None:
    async with app.sessions() as session:
        member = await repo.find_member(session, key)
        return member.id if member else None


@dataclass
class Seeded:
    """Ids of things that belong to member A, and of things that are gone or finished."""

    a_items: list[int] = field(default_factory=list)
    a_done_item: int = 0
    a_assessment: int = 0
    a_question: str = ""
    a_finished_assessment: int = 0
    a_finished_question: str = ""
    other_community_post: int = 0
    missing: int = 0


async def seed(app: App, a: MemberKey, b: MemberKey, other_workspace: str) -> Seeded:
    e = app.engine
    out = Seeded()
    for key, roadmap in ((a, "ai-engineer"), (b, "ml-engineer")):
        assert not (await e.action(key, f"learn:enrol:{roadmap}")).error
        assert not (await e.command(key, "checkin", {"minutes": 30, "note": "seed"})).error
    assert not (await e.command(a, "assess", {})).error
    assert not (await e.action(a, "assess:start:ai")).error  # the first quiz is now abandoned
    async with app.sessions() as session:
        a_id = await member_id(app, a)
        quizzes = (
            (
                await session.execute(
                    select(Assessment).where(Assessment.member_id == a_id).order_by(Assessment.id)
                )
            )
            .scalars()
            .all()
        )
        finished, active = quizzes[0], quizzes[-1]
        assert finished.status != "active" and active.status == "active"
        out.a_finished_assessment, out.a_finished_question = finished.id, finished.state["current"]["id"]
        out.a_assessment, out.a_question = active.id, active.state["current"]["id"]
        plan = await repo.active_plan(session, a_id)
        assert plan is not None
        items = (await session.execute(select(PlanItem).where(PlanItem.plan_id == plan.id))).scalars().all()
        out.a_items = [i.id for i in items]
    out.a_done_item = out.a_items[0]
    assert not (await e.action(a, f"topic:done:{out.a_done_item}")).error
    paper_id = next(iter(app.catalog.papers))
    async with app.sessions() as session, session.begin():
        community = await repo.get_or_create_community(
            session, CommunityKey(a.platform, other_workspace), app.clock.now()
        )
        post = CommunityPaper(
            community_id=community.id,
            paper_id=paper_id,
            week="2026-W45",
            channel_id="C-elsewhere",
            posted_at=app.clock.now(),
        )
        session.add(post)
        await session.flush()
        out.other_community_post = post.id
    out.missing = 10**9 + 7
    return out


def stale_ids(s: Seeded) -> st.SearchStrategy[str]:
    """Buttons for rows that don't exist, whoever presses them."""
    gone = st.integers(s.missing, s.missing + 10**6).map(str) | st.sampled_from(ODD_DIGITS)
    return st.one_of(
        gone.map(lambda n: f"topic:done:{n}"),
        st.tuples(gone, st.integers(0, 4)).map(lambda t: f"assess:ans:{t[0]}:{s.a_question}:{t[1]}"),
        gone.map(lambda n: f"paper:groupread:{n}"),
        gone.map(lambda n: f"assess:resume:{n}"),
        st.just(f"paper:groupread:{s.other_community_post}"),  # another community's post
    )


def others_ids(s: Seeded) -> st.SearchStrategy[str]:
    """A's buttons, pressed by B."""
    return st.one_of(
        st.sampled_from(s.a_items).map(lambda i: f"topic:done:{i}"),
        st.integers(0, 3).map(lambda i: f"assess:ans:{s.a_assessment}:{s.a_question}:{i}"),
        st.sampled_from(
            [
                f"assess:resume:{s.a_assessment}",
                f"assess:skip:{s.a_assessment}:x",
                f"assess:ans:{s.a_finished_assessment}:{s.a_finished_question}:0",
            ]
        ),
    )


def own_stale_ids(s: Seeded) -> st.SearchStrategy[str]:
    """A's own buttons that have gone stale: a finished quiz, an answered question, a done topic."""
    return st.sampled_from(
        [
            f"assess:ans:{s.a_finished_assessment}:{s.a_finished_question}:0",
            f"assess:ans:{s.a_assessment}:not-the-current-question:1",
            f"assess:resume:{s.a_finished_assessment}",
            f"topic:done:{s.a_done_item}",
        ]
    )


def assert_friendly(text: str) -> None:
    assert text.strip(), "an empty answer"
    assert INTERNAL_ERROR not in text and SORRY not in text, text
    hit = UNFRIENDLY.search(text)
    assert hit is None, f"unfriendly answer: {text[max(0, hit.start() - 40) : hit.end() + 40]!r}"


# == Discord =============================================================================

ALICE_ID, BOB_ID = "940000000000000001", "940000000000000002"
D_ALICE, D_BOB = guild_member_key(GUILD_ID, ALICE_ID), guild_member_key(GUILD_ID, BOB_ID)


@dataclass
class LiveDiscord:
    runner: asyncio.Runner
    fake: FakeDiscord
    app: App
    clock: FrozenClock
    seeded: Seeded
    answered: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: {"refused": 0, "accepted": 0})

    def run(self, coro: Any) -> Any:
        return self.runner.run(coro)


async def _settle_discord() -> None:
    """Wait until every interaction handler discord.py started has finished."""
    for _ in range(50):
        busy = [
            t
            for t in asyncio.all_tasks()
            if t is not asyncio.current_task()
            and (
                t.get_name().startswith("discord.py: on_interaction")
                or t.get_name().startswith("discord-ui-")
            )
        ]
        if not busy:
            return
        await asyncio.wait(busy, timeout=5)


@contextmanager
def live_discord(folder: Path) -> Iterator[LiveDiscord]:
    url = f"sqlite+aiosqlite:///{folder}/discord.db"
    clock = FrozenClock(START)
    with asyncio.Runner() as runner:
        runner.run(upgrade(url))
        fake = runner.run(FakeDiscord().start())
        app = discord_app(url, fake, clock, load_default_catalog())
        bot = runner.run(Bot(app).start())
        try:
            seeded = runner.run(seed(app, D_ALICE, D_BOB, "910000000000000999"))
            yield LiveDiscord(runner, fake, app, clock, seeded)
        finally:
            runner.run(bot.stop())
            runner.run(app.close())
            runner.run(fake.stop())
            discord.http.Route.BASE = DEFAULT_API_BASE
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL("wss://gateway.discord.gg/")


@pytest.fixture(scope="module")
def live_d(tmp_path_factory) -> Iterator[LiveDiscord]:
    with live_discord(tmp_path_factory.mktemp("discord")) as live:
        yield live


def _button_message(fake: FakeDiscord, custom_id: str, *, ephemeral: bool, select: bool) -> dict[str, Any]:
    if select:
        comp = {
            "type": 3,
            "custom_id": custom_id,
            "options": [{"label": "x", "value": "x"}],
            "min_values": 1,
            "max_values": 1,
        }
    else:
        comp = {"type": 2, "style": 1, "label": "Press", "custom_id": custom_id}
    body = {"content": "", "components": [{"type": 1, "components": [comp]}]}
    return fake._message(CHANNEL_ID, body, flags=EPHEMERAL if ephemeral else 0)


async def _press(
    live: LiveDiscord,
    custom_id: str,
    user_id: str,
    *,
    ephemeral: bool = True,
    select_values: list[str] | None = None,
    on_message: bool = True,
) -> dict[str, Any]:
    fake = live.fake
    select = select_values is not None
    message = _button_message(fake, custom_id, ephemeral=ephemeral, select=select)
    if not on_message:  # the button is no longer on the message (edited away)
        message = {**message, "components": []}
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": 3 if select else 2}
    if select:
        data["values"] = select_values
    payload = fake._interaction(3, data, user_id, guild=True, permissions="2147485696", message=message)
    await fake.dispatch("INTERACTION_CREATE", payload)
    return payload


def _check_discord_answer(live: LiveDiscord, payload: dict[str, Any], n_calls: int) -> dict[str, Any]:
    """The callback for this interaction, within 3 s, and every message the bot sent for it."""
    fake = live.fake
    token = payload["token"]
    started = time.monotonic()
    call = live.run(
        fake.wait_for(lambda c: c.path.endswith(f"/{token}/callback"), after=n_calls, within=ANSWER_WITHIN)
    )
    assert time.monotonic() - started < ANSWER_WITHIN
    live.run(_settle_discord())
    mine = [c for c in fake.calls[n_calls:] if token in c.path]
    callbacks = [c for c in mine if c.path.endswith("/callback")]
    assert len(callbacks) == 1, [c.route() for c in mine]  # answered exactly once
    body = call.body
    assert body["type"] in (4, 5, 6, 7, 9), body
    sent = [body.get("data") or {}] if body["type"] in (4, 7) else []
    sent += [c.body for c in mine if c.method in ("POST", "PATCH") and "/webhooks/" in c.path]
    if body["type"] == 9:
        discord_limits.check_payload("modal", body["data"])
    for data in sent:
        discord_limits.check_payload("message", data)
        assert data.get("allowed_mentions") == {"parse": []}, data.get("allowed_mentions")
        assert_friendly(text_of(data))
    live.answered += 1
    return body


REFUSED = "That didn't work"


def _discord_round(
    live: LiveDiscord, push, *, presser: MemberKey, must_refuse: bool = True, own_stale: bool = False
) -> dict[str, Any]:
    """One interaction: answered in time, friendly, in limits; refused ones change nothing."""
    live.clock.advance(timedelta(seconds=7))  # a refused call that wrote last_active_at would show
    ignore = live.run(member_id(live.app, presser)) if own_stale else None
    live.run(live.app.engine.flush_activity())  # earlier calls' activity, written behind
    before = live.run(snapshot(live.app, ignore))
    n = len(live.fake.calls)
    payload = live.run(push())
    body = _check_discord_answer(live, payload, n)
    refused = _is_refusal(body)
    assert refused or not must_refuse, f"not refused: {body}"
    if refused or own_stale:
        after = live.run(snapshot(live.app, ignore))
        assert changed(before, after) == {}, f"an invalid interaction changed data: {changed(before, after)}"
    live.outcomes["refused" if refused else "accepted"] += 1
    return body


def _is_refusal(body: dict[str, Any]) -> bool:
    data = body.get("data") or {}
    return body["type"] == 4 and bool(data.get("flags", 0) & EPHEMERAL) and REFUSED in text_of(data)


def test_discord_unknown_custom_ids_are_answered_and_change_nothing(live_d: LiveDiscord) -> None:
    @FUZZ
    @given(
        custom_id=custom_ids(),
        presser=st.sampled_from([ALICE_ID, BOB_ID, "940000000000000077"]),
        ephemeral=st.booleans(),
        select=st.none() | st.lists(custom_ids(), min_size=1, max_size=1),
    )
    @example(custom_id="hello", presser=ALICE_ID, ephemeral=True, select=None)
    @example(custom_id="pg:9999:learn:list:all", presser=ALICE_ID, ephemeral=True, select=None)
    @example(custom_id="learn:enrol:ai engineer", presser=ALICE_ID, ephemeral=False, select=None)
    @example(custom_id="topic:done:" + "9" * 80, presser=BOB_ID, ephemeral=True, select=None)
    @example(custom_id="topic:done:٣", presser=ALICE_ID, ephemeral=True, select=None)
    def run(custom_id: str, presser: str, ephemeral: bool, select: list[str] | None) -> None:
        key = guild_member_key(GUILD_ID, presser)
        _discord_round(
            live_d,
            lambda: _press(live_d, custom_id, presser, ephemeral=ephemeral, select_values=select),
            presser=key,
            must_refuse=False,  # a random id may be a real one ("checkin:done:" opens today's form)
        )

    live_d.outcomes = {"refused": 0, "accepted": 0}
    run()
    assert live_d.outcomes["refused"] > live_d.outcomes["accepted"], live_d.outcomes


def test_discord_a_button_gone_from_its_message_is_still_answered(live_d: LiveDiscord) -> None:
    for custom_id in ("help:show", "today:show", "nothing"):
        _discord_round(
            live_d, lambda c=custom_id: _press(live_d, c, ALICE_ID, on_message=False), presser=D_ALICE
        )


def test_discord_stale_and_others_buttons_are_refused(live_d: LiveDiscord) -> None:
    s = live_d.seeded

    @FUZZ
    @given(
        case=st.one_of(
            st.tuples(stale_ids(s), st.sampled_from([ALICE_ID, BOB_ID])),
            st.tuples(others_ids(s), st.just(BOB_ID)),
        ),
        ephemeral=st.booleans(),
    )
    def run(case: tuple[str, str], ephemeral: bool) -> None:
        custom_id, presser = case
        key = guild_member_key(GUILD_ID, presser)
        _discord_round(live_d, lambda: _press(live_d, custom_id, presser, ephemeral=ephemeral), presser=key)

    run()


def test_discord_own_stale_buttons_touch_only_last_active(live_d: LiveDiscord) -> None:
    s = live_d.seeded

    @settings(FUZZ, max_examples=8)
    @given(custom_id=own_stale_ids(s), ephemeral=st.booleans())
    def run(custom_id: str, ephemeral: bool) -> None:
        _discord_round(
            live_d,
            lambda: _press(live_d, custom_id, ALICE_ID, ephemeral=ephemeral),
            presser=D_ALICE,
            must_refuse=False,
            own_stale=True,
        )

    run()


def test_discord_bad_modal_submits_are_refused(live_d: LiveDiscord) -> None:
    @FUZZ
    @given(submit=bad_submits(), presser=st.sampled_from([ALICE_ID, BOB_ID, "940000000000000077"]))
    @example(submit=("checkin:log", {}), presser=ALICE_ID)
    @example(submit=("checkin:log", {"minutes": "", "note": "@everyone"}), presser=ALICE_ID)
    @example(submit=("checkin:log", {"minutes": "9" * 5000}), presser=BOB_ID)
    @example(submit=("settings:save", {"timezone": "x" * 5000}), presser=ALICE_ID)
    def run(submit: tuple[str, dict[str, str]], presser: str) -> None:
        custom_id, values = submit
        key = guild_member_key(GUILD_ID, presser)
        _discord_round(live_d, lambda: live_d.fake.submit(custom_id, values, user_id=presser), presser=key)

    run()


def test_discord_control_a_valid_button_still_works(live_d: LiveDiscord) -> None:
    """The harness can tell a working button from a refused one."""
    n = len(live_d.fake.calls)
    payload = live_d.run(_press(live_d, "help:show", ALICE_ID))
    body = _check_discord_answer(live_d, payload, n)
    assert body["type"] == 7 and "/learn" in text_of(body["data"])


# == Slack ===============================================================================

S_ALICE, S_BOB = slack_member_key(TEAM_ID, "U1"), slack_member_key(TEAM_ID, "U2")


@dataclass
class LiveSlack:
    runner: asyncio.Runner
    slack: SlackHarness
    seeded: Seeded
    n: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: {"refused": 0, "accepted": 0})

    def run(self, coro: Any) -> Any:
        return self.runner.run(coro)

    @property
    def clock(self) -> FrozenClock:
        return self.slack.app.clock  # type: ignore[return-value]


async def _settle_slack() -> None:
    """Wait for Bolt's listeners, which keep working after the ack."""
    for _ in range(50):
        busy = [
            t
            for t in asyncio.all_tasks()
            if t is not asyncio.current_task()
            and "run_ack_function_asynchronously" in getattr(t.get_coro(), "__qualname__", "")
        ]
        if not busy:
            return
        await asyncio.wait(busy, timeout=5)


@contextmanager
def live_slack(folder: Path) -> Iterator[LiveSlack]:
    url = f"sqlite+aiosqlite:///{folder}/slack.db"
    with asyncio.Runner() as runner:
        runner.run(upgrade(url))
        fake = runner.run(FakeSlack().start())
        harness, stop = runner.run(start_harness(url, fake))
        try:
            seeded = runner.run(seed(harness.app, S_ALICE, S_BOB, "T0ELSEWHERE"))
            yield LiveSlack(runner, harness, seeded)
        finally:
            runner.run(stop())
            runner.run(fake.close())


@pytest.fixture(scope="module")
def live_s(tmp_path_factory) -> Iterator[LiveSlack]:
    with live_slack(tmp_path_factory.mktemp("slack")) as live:
        yield live


SURFACES = ("ephemeral", "public", "dm", "modal", "home")


def _action_payload(live: LiveSlack, value: str, user: str, surface: str, select: bool, name: str) -> dict:
    action: dict[str, Any] = {"action_id": "act:0", "block_id": "b1", "action_ts": "1.2"}
    if select:
        option = {"text": {"type": "plain_text", "text": "x"}, "value": value}
        action |= {"type": "static_select", "selected_option": option}
    else:
        action |= {"type": "button", "value": value, "text": {"type": "plain_text", "text": "x"}}
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A0APP",
        "trigger_id": f"trigger-{name}",
        "actions": [action],
    }
    if surface in ("modal", "home"):
        view = {"id": f"V{name}", "type": surface, "callback_id": "x", "blocks": []}
        return payload | {"view": view, "container": {"type": "view", "view_id": view["id"]}}
    channel = "D0DM" if surface == "dm" else "C0GENERAL"
    container = {"type": "message", "is_ephemeral": surface == "ephemeral", "channel_id": channel}
    return payload | {
        "container": container,
        "channel": {"id": channel},
        "response_url": live.slack.fake.response_url(name),
    }


def _slack_sent(live: LiveSlack, calls_before: int, responses_before: int) -> list[Any]:
    fake = live.slack.fake
    sent: list[Any] = [r for r in fake.responses[responses_before:]]
    sent += [c for c in fake.calls[calls_before:] if c.method not in ("auth.test", "users.info")]
    return sent


def _check_slack_payloads(sent: list[Any]) -> None:
    for item in sent:
        if isinstance(item, dict):  # a response_url post
            blocks, text = item.get("blocks") or [], item.get("text") or ""
        else:
            args = item.args
            if "view" in args:
                view = args["view"]
                View(**view).validate_json()
                check_slack_blocks(view["blocks"], 100)
                assert_slack_silent(view)
                assert_friendly(json.dumps(view, ensure_ascii=False))
                continue
            blocks, text = args.get("blocks") or [], args.get("text") or ""
        if blocks:
            check_slack_blocks(blocks, 50)
        assert_slack_silent(blocks)
        assert_slack_silent(text)
        assert_friendly(text + json.dumps(blocks, ensure_ascii=False))


def _expect_slack_answer(live: LiveSlack, surface: str, name: str, calls_before: int, responses_before: int):
    fake = live.slack.fake

    def answered() -> bool:
        if surface in ("modal", "home"):
            method = "views.update" if surface == "modal" else "views.open"
            return any(c.method == method for c in fake.calls[calls_before:])
        # In place of the message, in DMs when response_url fails, or a form in a modal.
        return any(r["_url"] == name for r in fake.responses[responses_before:]) or any(
            c.method in ("chat.postMessage", "views.open") for c in fake.calls[calls_before:]
        )

    live.run(fake.wait_for(answered, within=ANSWER_WITHIN))


def _slack_round(
    live: LiveSlack, send, *, presser: MemberKey, expect, must_refuse: bool = True, own_stale: bool = False
) -> list[Any]:
    """One interaction: a 200 ack, answered, friendly, in limits; refused ones change nothing."""
    live.clock.advance(timedelta(seconds=7))
    ignore = live.run(member_id(live.slack.app, presser)) if own_stale else None
    live.run(live.slack.app.engine.flush_activity())  # earlier calls' activity, written behind
    before = live.run(snapshot(live.slack.app, ignore))
    fake = live.slack.fake
    calls_before, responses_before = len(fake.calls), len(fake.responses)
    status, ack = live.run(send())
    assert status == 200, (status, ack)
    assert_friendly(ack or "ok")
    if expect is not None:
        expect(calls_before, responses_before)
    live.run(_settle_slack())
    sent = _slack_sent(live, calls_before, responses_before)
    _check_slack_payloads(sent)
    everything = [ack, *sent]
    shown = json.dumps([s if isinstance(s, (str, dict)) else s.args for s in everything], ensure_ascii=False)
    refused = REFUSED in shown or _ack_errors(ack) or not expect_answer(everything)
    assert refused or not must_refuse, f"not refused: {shown[:500]}"
    if refused or own_stale:
        after = live.run(snapshot(live.slack.app, ignore))
        assert changed(before, after) == {}, f"an invalid interaction changed data: {changed(before, after)}"
    live.outcomes["refused" if refused else "accepted"] += 1
    return everything


def _ack_errors(ack: str) -> bool:
    """A modal submit refused in its acknowledgement, beside the inputs."""
    try:
        return json.loads(ack).get("response_action") == "errors"
    except (ValueError, AttributeError):
        return False


def expect_answer(everything: list[Any]) -> bool:
    """Whether anything beyond a bare ack was sent."""
    return bool(everything[0]) or len(everything) > 1


def _slack_press(
    live: LiveSlack,
    value: str,
    user: str,
    surface: str,
    select: bool,
    *,
    must_refuse: bool = True,
    own_stale: bool = False,
):
    live.n += 1
    name = f"ex{live.n}"
    payload = _action_payload(live, value, user, surface, select, name)

    def expect(calls_before: int, responses_before: int) -> None:
        if value:  # a button with no value (a link) is only acknowledged
            _expect_slack_answer(live, surface, name, calls_before, responses_before)

    return _slack_round(
        live,
        lambda: live.slack.interactive(payload),
        presser=slack_member_key(TEAM_ID, user),
        expect=expect,
        must_refuse=must_refuse,
        own_stale=own_stale,
    )


def test_slack_unknown_values_are_answered_and_change_nothing(live_s: LiveSlack) -> None:
    @FUZZ
    @given(
        value=st.one_of(custom_ids(), st.text(max_size=300)),
        user=st.sampled_from(["U1", "U2", "U0NEW"]),
        surface=st.sampled_from(SURFACES),
        select=st.booleans(),
    )
    @example(value="nothing:here", user="U1", surface="home", select=False)
    @example(value="pg:x:help:show", user="U1", surface="ephemeral", select=False)
    @example(value="pg:1:" + "9" * 90, user="U1", surface="modal", select=False)
    @example(value="topic:done:<!channel>", user="U2", surface="public", select=False)
    def run(value: str, user: str, surface: str, select: bool) -> None:
        _slack_press(live_s, value, user, surface, select, must_refuse=False)

    live_s.outcomes = {"refused": 0, "accepted": 0}
    run()
    assert live_s.outcomes["refused"] > live_s.outcomes["accepted"], live_s.outcomes


def test_slack_stale_and_others_buttons_are_refused(live_s: LiveSlack) -> None:
    s = live_s.seeded

    @FUZZ
    @given(
        case=st.one_of(
            st.tuples(stale_ids(s), st.sampled_from(["U1", "U2"])),
            st.tuples(others_ids(s), st.just("U2")),
        ),
        surface=st.sampled_from(SURFACES),
    )
    def run(case: tuple[str, str], surface: str) -> None:
        value, user = case
        _slack_press(live_s, value, user, surface, select=False)

    run()


def test_slack_own_stale_buttons_touch_only_last_active(live_s: LiveSlack) -> None:
    s = live_s.seeded

    @settings(FUZZ, max_examples=8)
    @given(value=own_stale_ids(s), surface=st.sampled_from(SURFACES))
    def run(value: str, surface: str) -> None:
        _slack_press(live_s, value, "U1", surface, select=False, must_refuse=False, own_stale=True)

    run()


def _submit_payload(live: LiveSlack, callback_id: str, values: dict[str, str], user: str, name: str) -> dict:
    meta = json.dumps({"r": live.slack.fake.response_url(name), "c": "C0GENERAL"})
    view = {
        "id": "V0VIEW",
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": meta,
        "blocks": [{"type": "input", "block_id": k} for k in values],
        "state": {
            "values": {k: {k: {"type": "plain_text_input", "value": v or None}} for k, v in values.items()}
        },
    }
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A0APP",
        "trigger_id": "trigger-submit",
        "view": view,
    }


def test_slack_bad_modal_submits_are_refused(live_s: LiveSlack) -> None:
    @FUZZ
    @given(submit=bad_submits(), user=st.sampled_from(["U1", "U2", "U0NEW"]))
    @example(submit=("checkin:log", {}), user="U1")
    @example(submit=("checkin:log", {"minutes": "", "note": "<!channel> & <@U2>"}), user="U1")
    @example(submit=("checkin:log", {"minutes": "9" * 5000}), user="U2")
    def run(submit: tuple[str, dict[str, str]], user: str) -> None:
        callback_id, values = submit
        live_s.n += 1
        name = f"ex{live_s.n}"
        payload = _submit_payload(live_s, callback_id, values, user, name)

        def expect(calls_before: int, responses_before: int) -> None:
            if values:
                return  # refused in the acknowledgement, beside the first input
            _expect_slack_answer(live_s, "ephemeral", name, calls_before, responses_before)

        out = _slack_round(
            live_s,
            lambda: live_s.slack.interactive(payload),
            presser=slack_member_key(TEAM_ID, user),
            expect=expect,
        )
        ack = out[0]
        if values:
            answer = json.loads(ack)
            assert answer["response_action"] == "errors", answer
            shown = " ".join(answer["errors"].values())
            assert all(len(v) <= 300 for v in answer["errors"].values())  # well within Slack's limits
            assert_slack_silent(shown)
            assert_friendly(shown)

    run()


def test_slack_control_a_valid_button_still_works(live_s: LiveSlack) -> None:
    live_s.n += 1
    name = f"ex{live_s.n}"
    payload = _action_payload(live_s, "help:show", "U1", "ephemeral", False, name)
    status, _ = live_s.run(live_s.slack.interactive(payload))
    assert status == 200
    live_s.run(
        live_s.slack.fake.wait_for(lambda: any(r["_url"] == name for r in live_s.slack.fake.responses))
    )
    live_s.run(_settle_slack())


# -- Slack request robustness --------------------------------------------------------------


@pytest.mark.parametrize(
    "timestamp", ["", " ", "abc", "1e9", "²", "١٧٠٠٠٠٠٠٠٠", "-1", "0x10", "+1", "9" * 40]
)
def test_slack_odd_timestamps_get_401(live_s: LiveSlack, timestamp: str) -> None:
    body = urlencode({"team_id": TEAM_ID, "user_id": "U1", "command": "/help", "text": "", "trigger_id": "t"})
    good = sign(body)
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": good["X-Slack-Signature"]}
    status, _ = live_s.run(_raw_post(live_s, body.encode(), "application/x-www-form-urlencoded", headers))
    assert status == 401


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b'0{"type": "event_callback"}', "application/json"),
        (b"\xff\xfe\x00not utf-8", "application/json"),
        (b"\xff\xfe\x00not utf-8", "application/x-www-form-urlencoded"),
        (b"payload=%7B%22type", "application/x-www-form-urlencoded"),
        (b"", "application/json"),
        (b"<xml/>", "text/xml"),
        (b'{"type": "event_callback"}', "application/json; charset=no-such-charset"),
        ("payload=é".encode("utf-16"), "application/x-www-form-urlencoded; charset=utf-16"),
    ],
)
@pytest.mark.parametrize("signed", [False, True])
def test_slack_unparseable_bodies_get_401(live_s: LiveSlack, body: bytes, kind: str, signed: bool) -> None:
    """Unsigned, or signed over other bytes than were sent: 401 either way, never a 500."""
    headers = sign("something else") if signed else {}
    status, _ = live_s.run(_raw_post(live_s, body, kind, headers))
    assert status == 401


async def _raw_post(live: LiveSlack, body: bytes, kind: str, headers: dict[str, str]) -> tuple[int, str]:
    hdrs = {"Content-Type": kind, **headers}
    async with live.slack.http.post(live.slack.url, data=body, headers=hdrs) as resp:
        return resp.status, await resp.text()

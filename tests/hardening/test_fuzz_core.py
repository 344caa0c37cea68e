"""Every command, option and action, fuzzed with hostile input.

The property, for each example: the engine never raises; it either succeeds or
answers with a friendly error and leaves the database exactly as it was; and the
reply renders inside Discord's and Slack's limits without pinging anyone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core.call import Context
from bot.core.commands import Option
from bot.core.engine import Engine
from bot.core.identity import MemberKey
from bot.core.replies import Reply
from tests.hardening.support import (
    ADMIN,
    ALICE,
    BOB,
    OTHER,
    WriteTracker,
    check_reply,
    engine_app,
    fingerprint,
    hostile_text,
    hostile_value,
    seed,
)

EXAMPLES = 500
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    database=None,
)
COMMANDS = (
    "learn",
    "assess",
    "progress",
    "today",
    "checkin",
    "paper",
    "review",
    "explore",
    "settings",
    "privacy",
    "help",
    "buddy",
    "admin",
    "leaderboard",
)
CALLERS = st.sampled_from((ALICE, BOB, ADMIN, OTHER, MemberKey("test", "guild-a", "newcomer")))


def option_value(opt: Option) -> st.SearchStrategy[Any]:
    """Mostly hostile values, sometimes a valid one so that success paths run too."""
    valid: list[st.SearchStrategy[Any]] = []
    if opt.choices:
        valid.append(st.sampled_from([v for _, v in opt.choices] + [lb for lb, _ in opt.choices]))
    if opt.kind in ("integer", "number") and opt.min_value is not None and opt.max_value is not None:
        valid.append(st.integers(int(opt.min_value) + 1, int(opt.max_value)))
    if not valid:
        return hostile_value()
    return st.one_of(hostile_value(), *valid)


def options_for(engine: Engine, name: str) -> st.SearchStrategy[dict[str, Any]]:
    spec = engine.specs[name]
    known = st.fixed_dictionaries({}, optional={o.name: option_value(o) for o in spec.options})
    unknown = st.dictionaries(hostile_text(), hostile_value(), max_size=2)
    with_unknown = st.tuples(known, unknown).map(lambda t: {**t[1], **t[0]})
    # Valid calls are the slow ones and teach little after the first few; keep them a minority.
    return st.one_of(known, with_unknown, with_unknown, with_unknown) if spec.options else with_unknown


class Checker:
    """Runs one call and checks the property.

    Every example counts committed writes (cheap and exact); every SAMPLE-th refused
    example also compares full database fingerprints, and renders the reply as a modal.
    """

    SAMPLE = 25

    def __init__(self, runner, app, clock) -> None:
        self.runner, self.app, self.clock = runner, app, clock
        self.writes = WriteTracker(app)
        self.outcomes = {"ok": 0, "error": 0}

    def __call__(self, make_call) -> Reply:
        # Each example at a new instant, so a refused call that wrote last_active_at would show.
        self.clock.advance(timedelta(seconds=7))
        n = self.outcomes["ok"] + self.outcomes["error"]
        deep = n % self.SAMPLE == 0
        self.runner.run(self.app.engine.flush_activity())  # earlier calls' activity, written behind
        before = self.runner.run(fingerprint(self.app)) if deep else None
        writes = self.writes.committed_writes
        reply = self.runner.run(make_call())
        check_reply(reply, thorough=deep)
        if reply.error:
            assert self.writes.committed_writes == writes, f"a refused call committed a write: {reply}"
            if deep:
                assert self.runner.run(fingerprint(self.app)) == before, (
                    f"a refused call changed data: {reply}"
                )
            self.outcomes["error"] += 1
        else:
            self.outcomes["ok"] += 1
        return reply


@pytest.fixture
def checker(tmp_path):
    with engine_app(tmp_path) as (runner, app, clock):
        runner.run(seed(app))
        yield Checker(runner, app, clock)


@pytest.mark.parametrize("name", COMMANDS)
def test_command(checker: Checker, name: str) -> None:
    """Structured options (as Discord and Slack's forms pass them) or a typed line (console, Slack text)."""
    engine = checker.app.engine
    assert set(COMMANDS) == set(engine.specs), "a new command needs fuzzing too"

    @FUZZ
    @given(
        key=CALLERS,
        options=options_for(engine, name),
        is_admin=st.booleans(),
        channel=st.none() | hostile_text(),
        line=st.none() | st.tuples(st.sampled_from([name, name.upper(), f"{name}x"]), hostile_text()),
    )
    @example(key=ALICE, options={}, is_admin=True, channel="C\ud800", line=None)
    @example(key=ALICE, options={"note": "x\ud800"}, is_admin=False, channel=None, line=None)
    def run(key: MemberKey, options: dict[str, Any], is_admin: bool, channel: str | None, line) -> None:
        ctx = Context(is_admin=is_admin, display_name="<!channel>", channel_id=channel)
        if line is None:
            checker(lambda: engine.command(key, name, options, ctx))
        else:
            checker(lambda: engine.run_line(key, f"/{line[0]} {line[1]}", ctx))

    run()
    assert checker.outcomes["error"] > 0


def test_unknown_commands_and_lines(checker: Checker) -> None:
    engine = checker.app.engine

    @settings(FUZZ, max_examples=100)
    @given(name=hostile_text(), line=hostile_text(), options=st.dictionaries(hostile_text(), hostile_value()))
    def run(name: str, line: str, options: dict[str, Any]) -> None:
        checker(lambda: engine.command(ALICE, name, options))
        checker(lambda: engine.run_line(ALICE, line))

    run()


FORM_FIELDS = (
    "minutes",
    "note",
    "timezone",
    "checkin_time",
    "checkin_days",
    "hours_per_week",
    "nudge_day",
    "pause_until",
    "quiet_hours",
    "x",
)


def action_ids(engine: Engine) -> st.SearchStrategy[str]:
    prefixes = sorted(engine._actions)
    parts = st.one_of(
        st.sampled_from(["x", "confirm", "ask", "cancel", "ai", "on", "off", "checkin", "1", "5", "0", "-1"]),
        st.sampled_from(["²", "٣", "", str(2**63), "9" * 25, "9" * 5000, "inf", "nan", "1e999", " 1"]),
        st.integers(-5, 10**20).map(str),
        st.sampled_from(["2026-11-02", "2026-02-30", "9999-12-31", "ai-engineer", "ml-engineer"]),
        hostile_text(),
    )
    tails = st.lists(parts, max_size=4).map(lambda p: ":".join(p))
    known = st.tuples(st.sampled_from(prefixes), tails).map(lambda t: f"{t[0]}:{t[1]}" if t[1] else t[0])
    return st.one_of(known, hostile_text(), st.sampled_from(prefixes))


def test_actions(checker: Checker) -> None:
    engine = checker.app.engine

    @FUZZ
    @given(
        key=CALLERS,
        action=action_ids(engine),
        values=st.dictionaries(st.sampled_from(FORM_FIELDS), hostile_value()),
    )
    @example(key=ALICE, action="assess:ans:²:x:1", values={})
    @example(key=ALICE, action="topic:done:99999999999999999999999", values={})
    @example(key=ALICE, action="review:rate:x-1:²:good", values={})
    @example(key=ALICE, action="review:show:x-1:99999999999999999999999", values={})
    @example(key=ALICE, action="paper:groupread:²", values={})
    @example(key=ALICE, action="checkin:log", values={"minutes": "inf", "note": ""})
    @example(key=ALICE, action="checkin:done:2026-11-02:1e999", values={})
    @example(key=ALICE, action="paper:next:\ud800", values={})
    @example(key=ALICE, action="checkin:log", values={"minutes": "30", "note": "a\udfffb"})
    def run(key: MemberKey, action: str, values: dict[str, Any]) -> None:
        if action.startswith("privacy:delete:confirm"):
            return  # deleting is fine, but it would empty the seeded data the other examples need
        checker(lambda: engine.action(key, action, values, Context(is_admin=key == ADMIN)))

    run()


def test_autocomplete_never_fails(checker: Checker) -> None:
    engine = checker.app.engine

    @FUZZ
    @given(kind=st.sampled_from(["timezone", "roadmap", ""]) | hostile_text(), prefix=hostile_text())
    def run(kind: str, prefix: str) -> None:
        out = engine.autocomplete(kind, prefix)
        assert isinstance(out, list) and len(out) <= 25
        assert all(isinstance(z, str) and len(z) <= 100 for z in out)

    run()

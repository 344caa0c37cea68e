"""Shared pieces for the hardening tests: hostile input, a cheap database fingerprint,
a seeded community, and one check that renders a reply through both adapters."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlalchemy import event, select, text

from bot.adapters.discord import limits as discord_limits
from bot.adapters.discord import render as discord_render
from bot.adapters.slack import blocks as slack_blocks
from bot.config import Settings
from bot.core.clock import FrozenClock
from bot.core.engine import INTERNAL_ERROR
from bot.core.identity import CommunityKey, MemberKey
from bot.core.replies import Reply, render_text
from bot.runtime import App, build_app
from content.loader import load_default_catalog
from storage import repo
from storage.migrate import upgrade
from storage.models import Base, Community, CommunityPaper, OutboxMessage, Pause

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

# -- hostile input ----------------------------------------------------------------

MENTIONS = (
    "@everyone",
    "@here",
    "@channel",
    "@EveryOne hi",
    "<@&123456789012345678>",
    "<@123456789012345678>",
    "<@!123456789012345678>",
    "<!channel>",
    "<!here|here>",
    "<!everyone>",
    "<!subteam^S123|@team>",
    "<@U0123ABCD>",
    "<#C0123ABCD>",
    "&lt;!channel&gt;",
)
MARKUP = (
    "**bold** __u__ ~~s~~ `code` ```block```",
    "[click me](https://evil.example/x)",
    "<https://evil.example|totally safe>",
    "> quote\n# heading\n- bullet",
    "*_*_*_*_",
    "||spoiler||",
    "&amp; &lt; &gt; & < >",
)
SQLISH = (
    "'; DROP TABLE members; --",
    "1 OR 1=1",
    '" OR ""="',
    "Robert'); DELETE FROM checkins;--",
    "%",
    "_",
    "\\",
    "NULL",
    "None",
)
CONTROLS = ("\x00", "\x07", "\x1b[31mred", "\u202e", "\u200b", "\ufeff", "\ud800", "\r\n", "\t", "\x7f")
NUMBERISH = (
    "0",
    "-1",
    "1e309",
    "-1e309",
    "nan",
    "inf",
    "1_000",
    "0x10",
    "²",
    "٣",
    "9" * 40,
    "1.5",
    "  30  ",
    "+5",
    "1441",
    "80.0000001",
    "0.49",
)
DATEISH = (
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "2026-11-02",
    "yesterday",
    "off",
    "2026/11/02",
    "25:99",
    "24:00",
    "23:59",
    "7:5",
    "00:00-00:00",
    "22:00-07:00",
    "mon,funday",
    "weekdays",
    "daily",
    "sun",
    "mon,mon,mon",
)
ZONEISH = (
    "Mars/Olympus_Mons",
    "UTC",
    "utc",
    "Etc/GMT+14",
    "../../etc/passwd",
    "Europe/Berlin\x00",
    "posixrules",
    "localtime",
    "Factory",
    "right/UTC",
    "Europe/Berln",
    "America/Argentina/ComodRivadavia",
    "Asia/Kolkata",
    "berlin",
)
SPECIMENS = MENTIONS + MARKUP + SQLISH + CONTROLS + NUMBERISH + DATEISH + ZONEISH


def hostile_text() -> st.SearchStrategy[str]:
    """Strings a careless or malicious member might type."""
    specimen = st.sampled_from(SPECIMENS)
    joined = st.lists(specimen | st.text(max_size=8), min_size=1, max_size=5).map(" ".join)
    long = st.builds(
        lambda s, n: (s + " ") * n, specimen | st.text(min_size=1, max_size=3), st.integers(50, 1500)
    )
    anything = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=80)
    return st.one_of(specimen, joined, long, anything, st.text(max_size=30))


def hostile_value() -> st.SearchStrategy[Any]:
    """Option values as adapters might pass them: text, numbers, or odd types."""
    numbers = st.one_of(
        st.integers(min_value=-(10**20), max_value=10**20),
        st.floats(allow_nan=True, allow_infinity=True),
    )
    return st.one_of(hostile_text(), numbers, st.none(), st.booleans())


# -- one app per test, driven from a private event loop ---------------------------------


@contextmanager
def engine_app(folder: Path) -> Iterator[tuple[asyncio.Runner, App, FrozenClock]]:
    """A migrated SQLite app and the loop to drive it; hypothesis runs examples synchronously."""
    url = f"sqlite+aiosqlite:///{folder}/fuzz.db"
    clock = FrozenClock(START)
    with asyncio.Runner() as runner:
        runner.run(upgrade(url))
        app = build_app(
            Settings(_env_file=None, database_url=url), clock=clock, catalog=load_default_catalog()
        )
        try:
            yield runner, app, clock
        finally:
            runner.run(app.close())


ALICE = MemberKey("test", "guild-a", "alice")
BOB = MemberKey("test", "guild-a", "bob")
ADMIN = MemberKey("test", "guild-a", "admin")
OTHER = MemberKey("test", "guild-b", "alice")  # the same user id in another community


async def seed(app: App) -> None:
    """A small community with plans, check-ins, an assessment and paper history."""
    e = app.engine
    for key, roadmap in ((ALICE, "ai-engineer"), (BOB, "ml-engineer"), (OTHER, "ai-engineer")):
        await e.action(key, f"learn:enrol:{roadmap}")
        await e.command(key, "checkin", {"minutes": 30, "note": "seed"})
        await e.command(key, "assess", {})
        await e.command(key, "paper", {})
    await e.command(ADMIN, "settings", {"timezone": "Europe/Berlin"})


async def seed_rich(app: App) -> None:
    """`seed`, plus a snoozed check-in in the outbox, a cached DM channel, a past pause, a
    reading-group paper each community's members have read, and a community post waiting in
    the outbox."""
    await seed(app)
    e = app.engine
    paper_id = next(iter(app.catalog.papers))
    async with app.sessions() as session, session.begin():
        for key in (ALICE, BOB, OTHER):
            member = await repo.find_member(session, key)
            assert member is not None
            member.dm_channel_id = f"D-{key.workspace_id}-{key.user_id}"
            ended = app.clock.now().date() - timedelta(days=3)
            session.add(
                Pause(
                    member_id=member.id,
                    start=ended - timedelta(days=2),
                    end=ended,
                    created_at=app.clock.now(),
                )
            )
        for workspace in ("guild-a", "guild-b"):
            community = await repo.get_or_create_community(
                session, CommunityKey("test", workspace), app.clock.now()
            )
            session.add(
                CommunityPaper(
                    community_id=community.id,
                    paper_id=paper_id,
                    week="2026-W45",
                    channel_id=f"C-{workspace}",
                    posted_at=app.clock.now(),
                )
            )
            session.add(
                OutboxMessage(
                    key=f"post:{workspace}:2026-W45",
                    platform="test",
                    stream="paper",
                    target="channel",
                    community_id=community.id,
                    channel_id=f"C-{workspace}",
                    payload={},
                    not_before=app.clock.now(),
                    created_at=app.clock.now(),
                )
            )
    async with app.sessions() as session:
        rows = (await session.execute(select(CommunityPaper))).scalars().all()
        by_workspace = {}
        for row in rows:
            community = await session.get(Community, row.community_id)
            assert community is not None
            by_workspace[community.workspace_id] = row.id
    for key in (ALICE, BOB, OTHER):
        reply = await e.action(key, "checkin:snooze")
        assert not reply.error, render_text(reply)
        reply = await e.action(key, f"paper:groupread:{by_workspace[key.workspace_id]}")
        assert not reply.error, render_text(reply)
    await seed_community_side(app)


async def seed_community_side(app: App) -> None:
    """Study buddies and milestones: everyone opted in, one round run in each community (Alice and
    Bob paired in guild-a), and a milestone each."""
    from bot.core.community.buddy_rounds import run_due_rounds
    from storage.models import CommunityCircle, MemberMilestone

    for key in (ALICE, BOB, OTHER):
        reply = await app.engine.command(key, "buddy", {"action": "weekly"})
        assert not reply.error, render_text(reply)
    async with app.sessions() as session:
        due = max(c.next_buddy_round_at for c in (await session.execute(select(CommunityCircle))).scalars())
    await run_due_rounds(app.sessions, app.catalog, due)
    async with app.sessions() as session, session.begin():
        for key in (ALICE, BOB, OTHER):
            member = await repo.find_member(session, key)
            assert member is not None
            session.add(MemberMilestone(member_id=member.id, kind="streak-7", reached_at=app.clock.now()))


# -- the database, fingerprinted cheaply ----------------------------------------------------


async def fingerprint(app: App) -> dict[str, tuple[int, str]]:
    """Row count and a hash of every table's rows: equal fingerprints mean nothing changed."""
    out: dict[str, tuple[int, str]] = {}
    async with app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
            out[table.name] = (len(rows), digest)
        for name in ("slack_installations", "slack_bots", "slack_oauth_states"):
            exists = await session.execute(
                text("SELECT name FROM sqlite_master WHERE type='table' AND name=:n"), {"n": name}
            )
            if exists.first() is not None:
                rows = (await session.execute(text(f"SELECT * FROM {name}"))).all()
                out[name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return out


class WriteTracker:
    """Counts committed transactions that wrote anything, from the engine's own events.

    Cheaper than a fingerprint per example, and exact: a refused call must not commit a
    write. Rolled-back writes (a UserError after a flush) do not count.
    """

    WRITES = ("insert", "update", "delete", "replace")

    def __init__(self, app: App) -> None:
        self.committed_writes = 0
        self._dirty: set[int] = set()
        sync = app.db.sync_engine
        event.listen(sync, "before_cursor_execute", self._on_execute)
        event.listen(sync, "commit", self._on_commit)
        event.listen(sync, "rollback", self._on_rollback)

    def _on_execute(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().lower().startswith(self.WRITES):
            self._dirty.add(id(conn.connection.dbapi_connection))

    def _on_commit(self, conn: Any) -> None:
        key = id(conn.connection.dbapi_connection)
        if key in self._dirty:
            self._dirty.discard(key)
            self.committed_writes += 1

    def _on_rollback(self, conn: Any) -> None:
        self._dirty.discard(id(conn.connection.dbapi_connection))


# -- rendering through both adapters -------------------------------------------------------

_SLACK_PINGS = re.compile(r"<!(channel|here|everyone|subteam)|<@|@(everyone|here|channel)\b", re.IGNORECASE)


def _slack_strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            if k not in (
                "action_id",
                "value",
                "block_id",
                "callback_id",
                "private_metadata",
                "url",
                "image_url",
            ):
                yield from _slack_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _slack_strings(v)


def assert_slack_silent(payload: Any) -> None:
    for s in _slack_strings(payload):
        hit = _SLACK_PINGS.search(s)
        assert hit is None, f"Slack text can ping: {s[max(0, hit.start() - 20) : hit.end() + 20]!r}"


def check_slack_blocks(blocks: list[dict[str, Any]], limit: int) -> None:
    assert 0 < len(blocks) <= limit, f"{len(blocks)} blocks"
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()
        block.to_dict()


def check_slack(reply: Reply, thorough: bool = True) -> None:
    """Render with the Slack adapter (whose to_dict() already checks element limits), then
    parse the blocks back with slack_sdk.models. `thorough` also renders the reply as a modal."""
    pages = slack_blocks.render(reply)
    assert pages.text and len(pages.text) <= 3000
    assert_slack_silent(pages.text)
    for page in pages.pages:
        if thorough:
            check_slack_blocks(page, slack_blocks.MESSAGE_BLOCKS)
        else:
            assert 0 < len(page) <= slack_blocks.MESSAGE_BLOCKS
            for raw in page:
                assert Block.parse(raw) is not None, raw
        assert_slack_silent(page)
    if thorough:
        modal = slack_blocks.reply_view(reply)
        View(**modal).validate_json()
        check_slack_blocks(modal["blocks"], slack_blocks.VIEW_BLOCKS)
        assert_slack_silent(modal)
    if reply.form is not None:
        form = slack_blocks.form_view(reply.form)
        parsed = View(**form)
        parsed.validate_json()
        parsed.to_dict()
        assert_slack_silent(form)


NO_PINGS = {"parse": []}


def check_discord(reply: Reply) -> None:
    """Render with the Discord adapter; limits.STRICT makes the central check raise."""
    first = discord_render.render(reply, 0)
    for page in range(2 if first[0].pages > 1 else 1):
        for msg in first if page == 0 else discord_render.render(reply, page):
            discord_limits.check_payload("message", msg.payload())
            for kwargs in (msg.send_kwargs(), msg.edit_kwargs()):
                mentions = kwargs["allowed_mentions"]
                assert isinstance(mentions, discord.AllowedMentions)
                assert mentions.to_dict() == NO_PINGS
    if reply.form is not None:
        modal = discord_render.build_modal(reply.form)
        discord_limits.check_payload("modal", modal.to_dict())


def check_reply(reply: Reply, thorough: bool = True) -> None:
    """Every reply: a Reply, no internal error, renders inside both platforms' limits, pings nobody."""
    assert isinstance(reply, Reply), reply
    text_out = render_text(reply)
    assert INTERNAL_ERROR not in text_out, f"internal error instead of a friendly reply: {reply}"
    assert "Traceback" not in text_out
    check_discord(reply)
    check_slack(reply, thorough)


def dumps(reply: Reply) -> str:
    return json.dumps(render_text(reply))

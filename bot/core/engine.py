"""The front door of the core: one command or action in, one neutral reply out.

Each call runs in a single database transaction. A `UserError` rolls it back and
becomes a friendly reply, so bad input never leaves anything behind.

With a `DatabaseThread` the whole transaction runs on that thread: the caller's
event loop hands it over once and awaits the reply. Read-only commands run on a
second one (`read_db`), so they never queue behind writers' work, and take no
write lock; one that finds it must write after all (a first-time member) runs
again as a writer. `last_active_at` is written behind, in batches, on the
writers' thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core import adapter_calls, ids, timezones
from bot.core.call import Call, Context
from bot.core.clock import Clock, SystemClock
from bot.core.commands import CommandSpec, coerce_options, parse_args
from bot.core.community import leaderboard
from bot.core.errors import UserError
from bot.core.features.explore.handlers import topic_choices
from bot.core.features.settings.handlers import dm_problem
from bot.core.identity import MemberKey
from bot.core.pictures.render import draw_reply
from bot.core.registry import ActionHandler, Choices, CommandHandler, build
from bot.core.replies import Reply, error_reply
from bot.core.text import unreadable
from content.schema import Catalog
from storage import repo
from storage.models import Member

log = logging.getLogger(__name__)

_TOUCH = (
    update(Member.__table__)
    .where(Member.__table__.c.id == bindparam("member_id"))
    .values(last_active_at=bindparam("now"))
)
_NOTICE_SEEN = (
    update(Member.__table__)
    .where(Member.__table__.c.id == bindparam("member_id"))
    .values(dm_blocked_notice=False)
)
# How long member activity waits in memory before one batched UPDATE writes it.
ACTIVITY_FLUSH_SECONDS = 2.0
ACTIVITY_BATCH = 500


class DatabaseRunner(Protocol):
    """Where command transactions run (storage.dbthread.DatabaseThread)."""

    sessions: async_sessionmaker[AsyncSession]

    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...

    async def run(self, work: Callable[[], Awaitable[Any]]) -> Any: ...


# Told (name, seconds, ok) after every command or action; metrics hang off this without the
# core knowing about them. Names are bounded: a known command, "action:<ns>:<verb>", or "unknown".
Observer = Callable[[str, float, bool], None]

FOREIGN_BUTTON = "That button belongs to another community's message, so it can't act for you here."
UNREADABLE = "Some of that text has characters I can't read, so nothing was changed."
INTERNAL_ERROR = "Something went wrong on my side, and nothing was changed. Please try again in a moment."


class Engine:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalog: Catalog,
        clock: Clock | None = None,
        observer: Observer | None = None,
        db: DatabaseRunner | None = None,
        read_db: DatabaseRunner | None = None,
    ) -> None:
        # `sessions` serve the caller's loop (Slack Home, dedupe); commands use `db`'s, if any,
        # and read-only ones `read_db`'s.
        self.sessions = sessions
        self.db = db
        self.read_db = read_db
        self._command_sessions = db.sessions if db is not None else sessions
        self._activity: dict[int, datetime] = {}
        self._flush_handle: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None
        self.observer = observer
        self.catalog = catalog
        self.clock = clock or SystemClock()
        registry = build(
            Choices(
                roadmaps=tuple((r.name, r.id) for r in catalog.roadmap_list())
                + tuple((p.name, p.id) for p in catalog.path_list()),
                areas=tuple((a.name, a.id) for a in catalog.area_list()),
                topics=topic_choices(catalog),
            )
        )
        self.specs: dict[str, CommandSpec] = {s.name: s for s in registry.specs()}
        self._commands: dict[str, CommandHandler] = registry.command_handlers()
        self._actions: dict[str, ActionHandler] = registry.action_handlers()
        # Commands and actions that only read (Discord page turns and menus included).
        self.read_only_commands = registry.read_only_commands()
        self.read_only_actions = registry.read_only_actions()

    async def command(
        self,
        member: MemberKey,
        name: str,
        options: Mapping[str, Any] | None = None,
        ctx: Context | None = None,
    ) -> Reply:
        name = name.lstrip("/").lower()
        spec = self.specs.get(name)
        started = time.perf_counter()
        known = spec is not None and name in self._commands
        reply = await self._command(member, name, spec, options, ctx)
        self._observe(name if known else "unknown", started, reply)
        return reply

    async def _command(
        self,
        member: MemberKey,
        name: str,
        spec: CommandSpec | None,
        options: Mapping[str, Any] | None,
        ctx: Context | None,
    ) -> Reply:
        if spec is None or name not in self._commands:
            return error_reply(
                f"I don't know the command /{name[:40]}.", hint="Type /help to see what I can do."
            )
        if unreadable(*(options or {}).values()):
            return error_reply(UNREADABLE, hint="Please type it again.")
        try:
            opts = coerce_options(spec, dict(options or {}))
        except UserError as exc:
            return error_reply(exc.message, exc.hint)
        ctx = ctx or Context()
        if spec.admin and not ctx.is_admin:
            return error_reply("Only community admins can use /admin.")
        handler = self._commands[name]
        if name == "admin":
            await self.flush_activity()  # community figures count every member seen so far
        return await self._run(
            member, ctx, lambda call: handler(call, **opts), read_only=name in self.read_only_commands
        )

    async def run_line(self, member: MemberKey, line: str, ctx: Context | None = None) -> Reply:
        """Run a typed line such as `/checkin 30 read a paper`."""
        line = line.strip()
        if not line.startswith("/"):
            return error_reply("Commands start with a slash.", hint="Type /help to see them all.")
        name, _, rest = line[1:].partition(" ")
        spec = self.specs.get(name.lower())
        if spec is None:
            return await self.command(member, name, {}, ctx)
        try:
            raw = parse_args(spec, rest)
        except UserError as exc:
            return error_reply(exc.message, exc.hint)
        return await self.command(member, spec.name, raw, ctx)

    async def action(
        self,
        member: MemberKey,
        action: str,
        values: Mapping[str, str] | None = None,
        ctx: Context | None = None,
    ) -> Reply:
        started = time.perf_counter()
        action, scope = ids.split_scope(action)
        parts = action.split(":")
        handler = self._actions.get(":".join(parts[:2])) if len(parts) >= 2 else None
        if handler is None or unreadable(action, scope):
            reply = error_reply(
                "That button no longer does anything.",
                hint="Run the command again to get a fresh one.",
            )
            self._observe("action:unknown", started, reply)
            return reply
        clean = {k: v for k, v in (values or {}).items() if isinstance(v, str)}
        if unreadable(*clean.values()):
            reply = error_reply(UNREADABLE, hint="Please type it again.")
            self._observe("action:" + ":".join(parts[:2]), started, reply)
            return reply

        async def run(call: Call) -> Reply:
            # A scoped action (a button in a DM) acts only for that community's member,
            # and what it answers with stays scoped, so its own buttons and forms do too.
            if scope is not None and scope != call.key.workspace_id:
                raise UserError(FOREIGN_BUTTON)
            reply = await handler(call, parts[2:], clean)
            return ids.scope_reply(reply, scope) if scope is not None else reply

        read_only = ":".join(parts[:2]) in self.read_only_actions
        reply = await self._run(member, ctx or Context(), run, read_only=read_only)
        self._observe("action:" + ":".join(parts[:2]), started, reply)
        return reply

    def _observe(self, name: str, started: float, reply: Reply) -> None:
        if self.observer is None:
            return
        try:
            self.observer(name, time.perf_counter() - started, not reply.error)
        except Exception:
            log.exception("engine observer failed")

    async def knows(self, key: MemberKey) -> bool:
        """Whether the member has used the bot here: a read that takes no write lock."""

        runner = self.read_db or self.db
        sessions = runner.sessions if runner is not None else self.sessions

        async def work() -> bool:
            async with sessions() as session:
                begin_read = getattr(session, "begin_read", None)
                async with AsyncSession.begin(session):
                    if begin_read is not None:
                        await begin_read()
                    return await repo.find_member(session, key) is not None

        return await work() if runner is None else await runner.run(work)

    def autocomplete(self, kind: str, prefix: str, limit: int = 25) -> list[str]:
        """Answers from memory, for Discord's autocomplete and similar pickers."""
        if kind == "timezone":
            return timezones.complete(prefix, limit, now=self.clock.now())
        return []

    def autocomplete_choices(self, kind: str, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        """The same answers as (label, value): the label is what a member reads in the picker."""
        values = self.autocomplete(kind, prefix, limit)
        if kind == "timezone":
            now = self.clock.now()
            return [(timezones.picker_label(v, now), v) for v in values]
        return [(v, v) for v in values]

    async def _run(
        self,
        key: MemberKey,
        ctx: Context,
        fn: Callable[[Call], Awaitable[Reply]],
        read_only: bool = False,
    ) -> Reply:
        if unreadable(ctx.display_name, ctx.channel_id, ctx.community_name):
            return error_reply(UNREADABLE, hint="Please try again.")

        try:
            reply = await self._transaction(key, ctx, fn, read_only)
            return await draw_reply(reply)  # pictures are drawn in a worker thread, off this loop
        except UserError as exc:
            return error_reply(exc.message, exc.hint)
        except Exception:
            log.exception("command failed", extra={"member": str(key)})
            return error_reply(INTERNAL_ERROR)

    async def _transaction(
        self, key: MemberKey, ctx: Context, fn: Callable[[Call], Awaitable[Reply]], read_only: bool
    ) -> Reply:
        if read_only:
            try:
                return await self._on(self.read_db or self.db, key, ctx, fn, read_only=True)
            except OperationalError as exc:
                if "readonly" not in str(exc).replace(" ", "").lower():
                    raise
                # It had to write after all (e.g. the member's first command): run it as a writer.
        return await self._on(self.db, key, ctx, fn, read_only=False)

    async def _on(
        self,
        runner: DatabaseRunner | None,
        key: MemberKey,
        ctx: Context,
        fn: Callable[[Call], Awaitable[Reply]],
        read_only: bool,
    ) -> Reply:
        if runner is None:
            return await self._attempt(self.sessions, key, ctx, fn, read_only)
        sessions = runner.sessions
        return await runner.run(lambda: self._attempt(sessions, key, ctx, fn, read_only))

    async def _attempt(
        self,
        sessions: async_sessionmaker[AsyncSession],
        key: MemberKey,
        ctx: Context,
        fn: Callable[[Call], Awaitable[Reply]],
        read_only: bool,
    ) -> Reply:
        notice_seen: int | None = None
        async with sessions() as session:
            begin_read = getattr(session, "begin_read", None)
            if read_only and begin_read is not None:
                # Not session.begin(): that waits at the write gate.
                async with AsyncSession.begin(session):
                    await begin_read()
                    reply, member = await self._body(session, key, ctx, fn, read_only)
                    if member is not None and member.dm_blocked_notice:
                        notice_seen = member.id
            else:
                async with session.begin():
                    reply, member = await self._body(session, key, ctx, fn, False)
            if member is not None and not reply.error:  # a refused call leaves no trace
                self._touch(member.id, self.clock.now())
        if notice_seen is not None:
            async with sessions() as session, session.begin():
                await session.execute(_NOTICE_SEEN, {"member_id": notice_seen})
        return reply

    async def _body(
        self,
        session: AsyncSession,
        key: MemberKey,
        ctx: Context,
        fn: Callable[[Call], Awaitable[Reply]],
        read_only: bool,
    ) -> tuple[Reply, Member | None]:
        call = Call(session, self.catalog, self.clock, key, ctx)
        reply = await fn(call)
        member = await call.existing_member()
        if member is not None and not read_only and member.community_opt_in:
            leaderboard.remember_name(member, ctx.display_name)  # kept only while shown
        if member is not None and member.dm_blocked_notice:
            if not read_only:
                member.dm_blocked_notice = False
            reply = reply.with_notice(
                "I couldn't send you a direct message "
                f"({dm_problem(member.dm_blocked_reason)}), so DM "
                "reminders are off. Open your DMs to me, then turn them back on "
                "in /settings."
            )
        return reply, member

    # ---- activity, written behind ---------------------------------------

    def _touch(self, member_id: int, now: datetime) -> None:
        """Note activity on the loop that flushes it, from whichever thread ran the call."""
        home = self.db.loop if self.db is not None else None
        if home is None or home is asyncio.get_running_loop():
            self._record_activity(member_id, now)
        else:
            home.call_soon_threadsafe(self._record_activity, member_id, now)

    def _record_activity(self, member_id: int, now: datetime) -> None:
        self._activity[member_id] = now
        if self._flush_handle is None:
            loop = asyncio.get_running_loop()
            self._flush_handle = loop.call_later(ACTIVITY_FLUSH_SECONDS, self._start_flush)

    def _start_flush(self) -> None:
        self._flush_handle = None
        self._flushing = asyncio.ensure_future(self._flush_pending())

    async def _flush_pending(self) -> None:
        try:
            while self._activity:
                batch = dict(list(self._activity.items())[:ACTIVITY_BATCH])
                async with self._command_sessions() as session, session.begin():
                    await session.execute(_TOUCH, [{"member_id": k, "now": v} for k, v in batch.items()])
                for k, v in batch.items():
                    if self._activity.get(k) == v:
                        del self._activity[k]
        except Exception:
            log.exception("writing member activity failed")

    async def flush_activity(self) -> None:
        """Write the activity still held in memory now (before figures that count it; at exit)."""
        if self.db is None:
            await self._flush_now()
        else:
            await self.db.run(self._flush_now)

    async def _flush_now(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self._flushing is not None and not self._flushing.done():
            await self._flushing
        await self._flush_pending()

    async def first_time_event(self, platform: str, event_id: str) -> bool:
        """Record a platform event id; False when it was seen before (a retry or a duplicate)."""
        return await adapter_calls.first_time(self.sessions, platform, event_id, self.clock.now())

    async def stored_state(self, key: str) -> str | None:
        return await adapter_calls.read_state(self.sessions, key)

    async def store_state(self, key: str, value: str) -> None:
        await adapter_calls.write_state(self.sessions, key, value, self.clock.now())

    async def dm_member(self, platform: str, user_id: str, channel: str = "", scope: str = "") -> MemberKey:
        """The membership a direct message belongs to (bot/core/adapter_calls.py says which)."""
        return await adapter_calls.dm_member(self.sessions, platform, user_id, channel, scope)

    async def dashboard(self, member: MemberKey) -> adapter_calls.Dashboard | None:
        """The Home tab's replies in one read-only transaction; None for someone new here."""
        found: list[adapter_calls.Dashboard] = []
        reply = await self._run(
            member, Context(text_only=True), lambda call: adapter_calls.dashboard(call, found), read_only=True
        )
        if not found:
            return None if not reply.error else adapter_calls.Dashboard(reply, reply, reply)
        return replace(found[-1], week=reply)

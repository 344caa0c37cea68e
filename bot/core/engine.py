"""The front door of the core: one command or action in, one neutral reply out.

Each call runs in a single database transaction. A `UserError` rolls it back and
becomes a friendly reply, so bad input never leaves anything behind.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from bot.core import ids, timezones
from bot.core.call import Call, Context
from bot.core.clock import Clock, SystemClock
from bot.core.commands import CommandSpec, coerce_options, command_specs, parse_args
from bot.core.errors import UserError
from bot.core.identity import MemberKey
from bot.core.replies import Reply, error_reply
from bot.core.services import (
    admin,
    assess,
    checkin,
    explore,
    help,
    learn,
    papers,
    privacy,
    progress,
    reading_group,
    reminders,
    settings,
)
from content.schema import Catalog
from storage.models import Member

log = logging.getLogger(__name__)

_TOUCH = (
    update(Member.__table__)
    .where(Member.__table__.c.id == bindparam("member_id"))
    .values(last_active_at=bindparam("now"))
)

CommandHandler = Callable[..., Awaitable[Reply]]
ActionHandler = Callable[[Call, list[str], Mapping[str, str]], Awaitable[Reply]]
# Told (name, seconds, ok) after every command or action; metrics hang off this without the
# core knowing about them. Names are bounded: a known command, "action:<ns>:<verb>", or "unknown".
Observer = Callable[[str, float, bool], None]

FOREIGN_BUTTON = "That button belongs to another community's message, so it can't act for you here."
INTERNAL_ERROR = "Something went wrong on my side, and nothing was changed. Please try again in a moment."

_SERVICES = (
    learn,
    assess,
    progress,
    checkin,
    reminders,
    papers,
    reading_group,
    explore,
    settings,
    privacy,
    help,
    admin,
)


class Engine:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalog: Catalog,
        clock: Clock | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.sessions = sessions
        self.observer = observer
        self.catalog = catalog
        self.clock = clock or SystemClock()
        self.specs: dict[str, CommandSpec] = {
            s.name: s
            for s in command_specs(
                tuple((r.name, r.id) for r in catalog.roadmap_list())
                + tuple((p.name, p.id) for p in catalog.path_list()),
                tuple((a.name, a.id) for a in catalog.area_list()),
                explore.topic_choices(catalog),
            )
        }
        self._commands: dict[str, CommandHandler] = {}
        self._actions: dict[str, ActionHandler] = {}
        for module in _SERVICES:
            self._commands.update(getattr(module, "COMMANDS", {}))
            self._actions.update(getattr(module, "ACTIONS", {}))

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
        try:
            opts = coerce_options(spec, dict(options or {}))
        except UserError as exc:
            return error_reply(exc.message, exc.hint)
        ctx = ctx or Context()
        if spec.admin and not ctx.is_admin:
            return error_reply("Only community admins can use /admin.")
        handler = self._commands[name]
        return await self._run(member, ctx, lambda call: handler(call, **opts))

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
        if handler is None:
            reply = error_reply(
                "That button no longer does anything.",
                hint="Run the command again to get a fresh one.",
            )
            self._observe("action:unknown", started, reply)
            return reply
        clean = {k: v for k, v in (values or {}).items() if isinstance(v, str)}

        async def run(call: Call) -> Reply:
            # A scoped action (a button in a DM) acts only for that community's member,
            # and what it answers with stays scoped, so its own buttons and forms do too.
            if scope is not None and scope != call.key.workspace_id:
                raise UserError(FOREIGN_BUTTON)
            reply = await handler(call, parts[2:], clean)
            return ids.scope_reply(reply, scope) if scope is not None else reply

        reply = await self._run(member, ctx or Context(), run)
        self._observe("action:" + ":".join(parts[:2]), started, reply)
        return reply

    def _observe(self, name: str, started: float, reply: Reply) -> None:
        if self.observer is None:
            return
        try:
            self.observer(name, time.perf_counter() - started, not reply.error)
        except Exception:
            log.exception("engine observer failed")

    def autocomplete(self, kind: str, prefix: str, limit: int = 25) -> list[str]:
        """Answers from memory, for Discord's autocomplete and similar pickers."""
        if kind == "timezone":
            return timezones.complete(prefix, limit, now=self.clock.now())
        return []

    async def _touch(self, call: Call, member: Member) -> None:
        """Record the member as active: one UPDATE statement rather than a flush of the ORM object,
        which costs several times more and is most of a read-only command's write."""
        now = call.now()
        await call.session.execute(_TOUCH, {"member_id": member.id, "now": now})
        set_committed_value(member, "last_active_at", now)

    async def _run(self, key: MemberKey, ctx: Context, fn: Callable[[Call], Awaitable[Reply]]) -> Reply:
        try:
            async with self.sessions() as session, session.begin():
                call = Call(session, self.catalog, self.clock, key, ctx)
                reply = await fn(call)
                member = await call.existing_member()
                if member is not None:
                    await self._touch(call, member)
                    if member.dm_blocked_notice:
                        member.dm_blocked_notice = False
                        reply = reply.with_notice(
                            "I couldn't send you a direct message "
                            f"({settings.dm_problem(member.dm_blocked_reason)}), so DM "
                            "reminders are off. Open your DMs to me, then turn them back on "
                            "in /settings."
                        )
            return reply
        except UserError as exc:
            return error_reply(exc.message, exc.hint)
        except Exception:
            log.exception("command failed", extra={"member": str(key)})
            return error_reply(INTERNAL_ERROR)

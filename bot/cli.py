"""`python -m bot ...`: run, migrate, tick, content check, export and operator tools."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.config import Settings, get_settings
from bot.logs import setup_logging

if TYPE_CHECKING:
    from bot.runtime import App
    from bot.scheduler.messengers import MessengerFactory


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="AI/ML study companion bot")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="start the bot",
        description="Start the bot. With no "
        "platform it picks whichever has tokens configured, else the console.",
    )
    run.add_argument("platform", nargs="?", choices=("console", "discord", "slack"))

    mig = sub.add_parser(
        "migrate",
        help="create or upgrade the database",
        description="Apply database migrations. Safe to run repeatedly.",
    )
    mig.add_argument("--quiet", action="store_true", help="print nothing on success")

    content = sub.add_parser("content", help="content tools", description="Content tools.")
    csub = content.add_subparsers(dest="content_cmd", required=True, metavar="ACTION")
    csub.add_parser(
        "check",
        help="validate content/ and print a summary",
        description="Validate every content file and print counts.",
    )

    exp = sub.add_parser(
        "export",
        help="print a member's data as JSON",
        description="Print everything stored about one member as JSON.",
    )
    exp.add_argument(
        "--member", required=True, metavar="PLATFORM:WORKSPACE:USER", help="e.g. console:local:me"
    )

    tick = sub.add_parser(
        "tick",
        help="run one scheduling pass, then drain the outbox",
        description="Run one scheduling pass as if at --now, then deliver.",
    )
    tick.add_argument("--now", help="ISO-8601 instant, e.g. 2026-11-29T19:00:00+00:00")
    tick.add_argument(
        "--platform",
        choices=("console", "discord", "slack"),
        help="deliver through this platform (default: the configured one)",
    )

    outbox = sub.add_parser("outbox", help="outbox tools", description="Outbox tools.")
    osub = outbox.add_subparsers(dest="outbox_cmd", required=True, metavar="ACTION")
    osub.add_parser(
        "status",
        help="pending, sent, failed and dropped messages by stream",
        description="Show outbox counts by stream and state.",
    )

    db = sub.add_parser("db", help="database tools", description="Database tools.")
    dbsub = db.add_subparsers(dest="db_cmd", required=True, metavar="ACTION")
    copy = dbsub.add_parser(
        "copy",
        help="copy the database (or one community) to another database",
        description="Copy every row, keeping ids, into another database (e.g. PostgreSQL), "
        "which is migrated first. Refuses when the target already holds any of the rows.",
    )
    copy.add_argument(
        "--to",
        metavar="URL",
        help="e.g. postgresql+asyncpg://user@host/db; default: the DB_COPY_TO environment variable, "
        "which keeps a password off the command line",
    )
    copy.add_argument("--from", dest="source", metavar="URL", help="default: DATABASE_URL")
    copy.add_argument(
        "--community", metavar="PLATFORM:WORKSPACE", help="copy only this community, e.g. slack:T0123"
    )

    members = sub.add_parser("members", help="member tools", description="Member tools.")
    msub = members.add_subparsers(dest="members_cmd", required=True, metavar="ACTION")
    unblock = msub.add_parser(
        "unblock",
        help="list members switched off by delivery errors, or turn them back on",
        description="Without --reason: list members whose DMs a delivery error switched off, "
        "by reason. With --reason: turn back on every member whose reason starts with it.",
    )
    unblock.add_argument("--reason", metavar="TEXT", help="e.g. 'dm_closed' or 'rejected'")

    dc = sub.add_parser("discord", help="Discord tools", description="Discord tools.")
    dsub = dc.add_subparsers(dest="discord_cmd", required=True, metavar="ACTION")
    dsub.add_parser(
        "invite-url",
        help="print the OAuth2 invite URL",
        description="Print the URL that adds the bot to a server.",
    )

    sl = sub.add_parser("slack", help="Slack tools", description="Slack tools.")
    ssub = sl.add_subparsers(dest="slack_cmd", required=True, metavar="ACTION")
    manifest = ssub.add_parser(
        "manifest",
        help="print the app manifest to create the Slack app from",
        description="Print the Slack app manifest, with every command the bot has.",
    )
    manifest.add_argument("--host", default="https://YOUR-HOST", help="the bot's public HTTPS address")
    manifest.add_argument("--socket-mode", action="store_true", help="for Socket Mode (no public address)")
    return p


def pick_platform(settings: Settings, asked: str | None) -> str:
    if asked:
        return asked
    if settings.discord_configured:
        return "discord"
    if settings.slack_configured:
        return "slack"
    return "console"


def parse_instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"--now: {text!r} is not an ISO-8601 instant") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


async def _migrate(settings: Settings, quiet: bool) -> None:
    from storage.migrate import upgrade

    await upgrade(settings.database_url)
    if not quiet:
        print("database is up to date")


def _content_check() -> int:
    from bot.content_report import report
    from content.loader import ContentError, load_catalog

    try:
        text, ok = report(load_catalog())
    except ContentError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(text)
    return 0 if ok else 1


async def _export(settings: Settings, member: str) -> int:
    from bot.core.features.privacy.handlers import export_member
    from bot.core.identity import MemberKey
    from content.loader import load_default_catalog
    from storage.db import make_engine, make_sessionmaker

    try:
        key = MemberKey.parse(member)
    except ValueError as exc:
        print(f"--member: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            data = await export_member(session, key, load_default_catalog())
    finally:
        await engine.dispose()
    if data is None:
        print(f"no member {member}", file=sys.stderr)
        return 1
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    return 0


def messenger_factory(platform: str) -> MessengerFactory:
    """How a one-off delivery (`tick`, the console's scheduler) reaches `platform`."""
    if platform == "console":
        from bot.adapters.console.messenger import ConsoleMessenger

        return lambda _app: ConsoleMessenger()
    if platform == "discord":
        from bot.adapters.discord.messenger import open_messenger as open_discord

        return open_discord
    if platform == "slack":
        from bot.adapters.slack.bolt_app import open_messenger as open_slack

        return open_slack
    raise ValueError(f"no messenger for platform {platform!r}")


async def _run_platform(app: App, platform: str, messenger: MessengerFactory | None) -> None:
    if platform == "console":
        from bot.adapters.console.runner import run_console

        await run_console(app, messenger or messenger_factory("console"))
    elif platform == "discord":
        from bot.adapters.discord.runner import run_discord

        await run_discord(app)
    else:
        from bot.adapters.slack.runner import run_slack

        await run_slack(app)


async def _db_copy(settings: Settings, source: str, target: str, community: str | None) -> int:
    from bot.dbcopy import CopyRefused, copy_database

    try:
        report = await copy_database(source, target, community)
    except CopyRefused as exc:
        print(f"db copy: {exc}", file=sys.stderr)
        return 1
    print("\n".join(report.lines()))
    return 0


async def _members_unblock(settings: Settings, reason: str | None) -> int:
    from bot.ops.unblock import unblock
    from bot.runtime import build_app

    app = build_app(settings)
    try:
        report = await unblock(app, reason)
    finally:
        await app.close()
    print("\n".join(report.lines(reason)))
    return 0


async def _run(settings: Settings, platform: str, messenger: MessengerFactory | None) -> int:
    """Run a platform until it ends or SIGTERM arrives; HEALTH_PORT adds the ops endpoint."""
    from bot.ops.health import start_health_server
    from bot.ops.metrics import install as install_metrics
    from bot.ops.shutdown import install_sigterm, stopping
    from bot.runtime import build_app, settle_heap

    app = build_app(settings)
    install_metrics(app)
    settle_heap()
    task = asyncio.current_task()
    assert task is not None
    remove_handler = install_sigterm(app, task)
    health = None
    try:
        if settings.health_port is not None:
            health = await start_health_server(app, settings.health_port, settings.health_host)
        await _run_platform(app, platform, messenger)
    except asyncio.CancelledError:
        if not stopping(app):
            raise
    finally:
        if health is not None:
            await health.stop()
        await app.close()
        remove_handler()
    return 0


NEEDS_MIGRATE = ("export", "tick", "outbox")


UNMIGRATED = "The database has not been set up yet. Run `python -m bot migrate` first."
OUTDATED = "The database schema is out of date. Run `python -m bot migrate` first."


def _schema_problem(url: str) -> str | None:
    """One line saying the database needs `migrate`, or None when it is at the latest schema.
    A missing SQLite file is reported without creating it."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).exists():
            return UNMIGRATED
    return asyncio.run(_revision_problem(url))


async def _revision_problem(url: str) -> str | None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from storage.migrate import current_revision, head_revision

    engine = create_async_engine(url)
    try:
        current = await current_revision(engine)
    finally:
        await engine.dispose()
    if current is None:
        return UNMIGRATED
    return OUTDATED if current != head_revision() else None


def main(argv: Sequence[str] | None = None, messenger: MessengerFactory | None = None) -> int:
    """The command line. `messenger` replaces the platform's messenger for `tick` and the
    console's scheduler; tests pass a recorder here."""
    args = _parser().parse_args(argv)
    settings = get_settings()
    setup_logging(settings)
    if args.cmd in NEEDS_MIGRATE and (problem := _schema_problem(settings.database_url)):
        print(problem, file=sys.stderr)
        return 1
    if args.cmd == "migrate":
        asyncio.run(_migrate(settings, args.quiet))
        return 0
    if args.cmd == "content":
        return _content_check()
    if args.cmd == "export":
        return asyncio.run(_export(settings, args.member))
    if args.cmd == "run":
        platform = pick_platform(settings, args.platform)
        asyncio.run(_migrate(settings, quiet=True))
        try:
            return asyncio.run(_run(settings, platform, messenger))
        except KeyboardInterrupt:
            return 0
    if args.cmd == "tick":
        from bot.scheduler.cli import tick

        platform = pick_platform(settings, args.platform)
        factory = messenger or messenger_factory(platform)
        return asyncio.run(tick(settings, parse_instant(args.now), platform, factory))
    if args.cmd == "outbox":
        from bot.scheduler.cli import outbox_status

        return asyncio.run(outbox_status(settings))
    if args.cmd == "members":
        return asyncio.run(_members_unblock(settings, args.reason))
    if args.cmd == "db":
        target = args.to or (settings.db_copy_to.get_secret_value() if settings.db_copy_to else None)
        if not target:
            print("db copy: give --to URL or set DB_COPY_TO", file=sys.stderr)
            return 2
        return asyncio.run(_db_copy(settings, args.source or settings.database_url, target, args.community))
    if args.cmd == "slack":
        from bot.adapters.slack.manifest import build_manifest, manifest_yaml
        from bot.core.registry import command_specs

        made = build_manifest(command_specs((), (), ()), settings.slack_scopes, args.host, args.socket_mode)
        print(manifest_yaml(made), end="")
        return 0
    if args.cmd == "discord":
        from bot.adapters.discord.invite import invite_url

        print(invite_url(settings))
        return 0
    return 2

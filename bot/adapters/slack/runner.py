"""`python -m bot run slack`: HTTP mode on PORT, or Socket Mode when SLACK_APP_TOKEN is set,
with the scheduler delivering check-ins through the same Web API client."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

from bot.adapters.slack.bolt_app import EVENTS_PATH, SlackConfigError, SlackRuntime, build_slack
from bot.adapters.slack.server import web_app
from bot.runtime import App, PlatformHandle

log = logging.getLogger(__name__)


def _serving() -> bool:
    return True


def _app_token(app: App) -> str | None:
    token = app.settings.slack_app_token
    return token.get_secret_value() if token is not None and token.get_secret_value() else None


def prepare(app: App, socket_mode: bool) -> SlackRuntime:
    runtime = build_slack(app, socket_mode=socket_mode)
    app.platform = PlatformHandle("slack", runtime.messenger, client=runtime.bolt)
    return runtime


async def serve_http(
    app: App, runtime: SlackRuntime, host: str = "0.0.0.0", port: int | None = None
) -> web.AppRunner:
    secret = app.settings.slack_signing_secret
    signing_secret = secret.get_secret_value() if secret is not None else None
    runner = web.AppRunner(web_app(runtime.bolt, signing_secret), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, app.settings.port if port is None else port)
    await site.start()
    return runner


async def start_socket_mode(runtime: SlackRuntime, app_token: str) -> AsyncSocketModeHandler:
    handler = AsyncSocketModeHandler(runtime.bolt, app_token)
    await handler.connect_async()
    return handler


async def run_slack(app: App) -> None:
    from bot.ops.shutdown import start_delivery

    app_token = _app_token(app)
    try:
        runtime = prepare(app, socket_mode=app_token is not None)
    except SlackConfigError as exc:
        raise SystemExit(f"{exc} See docs/slack.md.") from None
    platform = app.platform
    assert platform is not None
    if app_token is not None:
        handler = await start_socket_mode(runtime, app_token)
        platform.ready = handler.client.is_connected
        log.info("Slack app connected in Socket Mode")
        closer = handler.close_async
    else:
        server = await serve_http(app, runtime)
        platform.ready = _serving
        where = f"port {app.settings.port}, path {EVENTS_PATH}"
        extra = " (install at /slack/install)" if runtime.multi_workspace else ""
        log.info("Slack app listening on %s%s", where, extra)
        closer = server.cleanup
    delivery = start_delivery(app, runtime.messenger) if app.settings.scheduler_enabled else None
    try:
        await asyncio.Event().wait()
    finally:
        if delivery is not None:
            await delivery.stop()
        await closer()

"""`python -m bot run slack`: HTTP mode on PORT, or Socket Mode when SLACK_APP_TOKEN is set."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

from bot.adapters.slack.bolt_app import EVENTS_PATH, SlackRuntime, build_slack
from bot.adapters.slack.server import web_app
from bot.runtime import App

log = logging.getLogger(__name__)


def _app_token(app: App) -> str | None:
    token = app.settings.slack_app_token
    return token.get_secret_value() if token is not None and token.get_secret_value() else None


def prepare(app: App, socket_mode: bool) -> SlackRuntime:
    runtime = build_slack(app, socket_mode=socket_mode)
    app.extras["messenger"] = runtime.messenger
    app.extras["slack"] = runtime
    return runtime


async def serve_http(
    app: App, runtime: SlackRuntime, host: str = "0.0.0.0", port: int | None = None
) -> web.AppRunner:
    runner = web.AppRunner(web_app(runtime.bolt), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, app.settings.port if port is None else port)
    await site.start()
    return runner


async def start_socket_mode(runtime: SlackRuntime, app_token: str) -> AsyncSocketModeHandler:
    handler = AsyncSocketModeHandler(runtime.bolt, app_token)
    await handler.connect_async()
    return handler


async def run_slack(app: App) -> None:
    app_token = _app_token(app)
    runtime = prepare(app, socket_mode=app_token is not None)
    stop = asyncio.Event()
    if app_token is not None:
        handler = await start_socket_mode(runtime, app_token)
        app.extras["ready"] = handler.client.is_connected  # for /readyz
        log.info("Slack app connected in Socket Mode")
        try:
            await stop.wait()
        finally:
            await handler.close_async()
        return
    runner = await serve_http(app, runtime)
    app.extras["ready"] = lambda: True  # for /readyz: listening for Slack's requests
    where = f"http://0.0.0.0:{app.settings.port}{EVENTS_PATH}"
    if runtime.multi_workspace:
        log.info("Slack app listening on %s (install at /slack/install)", where)
    else:
        log.info("Slack app listening on %s", where)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()

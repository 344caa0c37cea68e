"""The operations endpoint on HEALTH_PORT: /healthz, /readyz and /metrics.

- /healthz: 200 while the process runs (liveness).
- /readyz: 200 when the platform is connected, the database answers `SELECT 1` and no
  delivery is paused by an auth, scope or install error; 503 with
  {"ready": false, "reason": ...} otherwise, and while shutting down.
  The runner reports the platform through `app.platform.ready`, a callable
  returning a bool (or an awaitable of one); until it does, the bot is not ready.
- /metrics: Prometheus text format from the app's own registry.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from bot.ops import metrics as ops_metrics
from bot.ops.shutdown import stopping
from bot.runtime import App

log = logging.getLogger(__name__)

DB_TIMEOUT = 2.0
_APP_KEY = web.AppKey("bot_app", App)


async def platform_ready(app: App) -> bool:
    if app.platform is None:
        return False
    try:
        result = app.platform.ready()
        if inspect.isawaitable(result):
            result = await result
    except Exception:
        log.exception("platform readiness check failed")
        return False
    return bool(result)


async def database_ready(app: App) -> bool:
    async def ping() -> None:
        async with app.db.connect() as conn:
            await conn.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(ping(), DB_TIMEOUT)
    except Exception as exc:
        log.warning("readiness: database check failed: %s", type(exc).__name__)
        return False
    return True


async def readiness(app: App) -> str | None:
    """None when ready, else the reason."""
    if stopping(app):
        return "shutting down"
    if not await platform_ready(app):
        return "platform not connected"
    if not await database_ready(app):
        return "database not answering"
    if app.pauses.active():
        return "delivery paused: " + ", ".join(f"{p.label} ({p.reason})" for p in app.pauses.active())
    return None


def _json(status: int, body: dict[str, object]) -> web.Response:
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


async def _healthz(_request: web.Request) -> web.Response:
    return _json(200, {"alive": True})


async def _readyz(request: web.Request) -> web.Response:
    reason = await readiness(request.app[_APP_KEY])
    if reason is None:
        return _json(200, {"ready": True})
    return _json(503, {"ready": False, "reason": reason})


async def _metrics(request: web.Request) -> web.Response:
    app = request.app[_APP_KEY]
    metrics = ops_metrics.install(app)
    await ops_metrics.refresh_from_db(app, metrics)
    resp = web.Response(body=metrics.render())
    resp.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return resp


def web_app(app: App) -> web.Application:
    web_application = web.Application()
    web_application[_APP_KEY] = app
    web_application.router.add_get("/healthz", _healthz)
    web_application.router.add_get("/readyz", _readyz)
    web_application.router.add_get("/metrics", _metrics)
    return web_application


@dataclass
class HealthServer:
    runner: web.AppRunner
    host: str
    port: int

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_health_server(app: App, port: int, host: str = "127.0.0.1") -> HealthServer:
    """Serve the endpoints; port 0 picks a free one (the chosen port is logged and returned)."""
    runner = web.AppRunner(web_app(app), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    log.info("health and metrics on http://%s:%d (/healthz, /readyz, /metrics)", host, bound)
    return HealthServer(runner, host, bound)

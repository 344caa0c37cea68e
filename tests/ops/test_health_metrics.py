"""The ops endpoint (/healthz, /readyz, /metrics) on a real aiohttp server, and the metrics
it exposes: commands by name from the engine's observer, outbox depth and lag from the database."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.core.identity import MemberKey
from bot.ops import metrics as ops_metrics
from bot.ops.health import start_health_server
from bot.runtime import PlatformHandle, build_app
from tests.conftest import make_settings

ME = MemberKey("console", "local", "ada")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@pytest.fixture
async def server(app):
    ops_metrics.install(app)
    srv = await start_health_server(app, 0, host="127.0.0.1")
    async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{srv.port}") as http:
        yield app, http
    await srv.stop()


async def get(http: aiohttp.ClientSession, path: str) -> tuple[int, str]:
    async with http.get(path) as r:
        return r.status, await r.text()


async def test_liveness_is_always_ok_and_readiness_needs_platform_and_database(server):
    app, http = server
    assert (await get(http, "/healthz"))[0] == 200
    status, body = await get(http, "/readyz")
    assert status == 503 and '"platform not connected"' in body  # the runner has not said so yet
    app.platform = PlatformHandle("console", ready=lambda: True)
    assert (await get(http, "/readyz")) == (200, '{"ready": true}')

    async def disconnected() -> bool:
        return False

    app.platform.ready = disconnected  # async checks work too (Slack Socket Mode)
    assert (await get(http, "/readyz"))[0] == 503
    app.platform.ready = lambda: True
    app.stopping = True
    status, body = await get(http, "/readyz")
    assert status == 503 and "shutting down" in body
    assert (await get(http, "/healthz"))[0] == 200


async def test_readiness_reports_a_database_that_does_not_answer(tmp_path, catalog):
    (tmp_path / "not-a-db").mkdir()  # a directory where the database file should be
    broken = build_app(make_settings(f"sqlite+aiosqlite:///{tmp_path}/not-a-db"), catalog=catalog)
    broken.platform = PlatformHandle("console", ready=lambda: True)
    srv = await start_health_server(broken, 0, host="127.0.0.1")
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{srv.port}/readyz") as r:
                assert r.status == 503
                assert (await r.json()) == {"ready": False, "reason": "database not answering"}
            async with http.get(f"http://127.0.0.1:{srv.port}/metrics") as r:
                assert r.status == 200
                assert samples(await r.text())[("bot_database_up", ())] == 0
    finally:
        await srv.stop()
        await broken.close()


async def test_metrics_count_commands_by_name_and_read_outbox_depth_and_lag(server):
    app, http = server
    await app.engine.command(ME, "settings", {"timezone": "UTC", "checkin_time": "19:00"})
    await app.engine.run_line(ME, "/help")
    await app.engine.run_line(ME, "/nosuchcommand")
    await app.engine.action(ME, "checkin:done:not-a-date")
    await app.engine.action(ME, "zzz:unknown")
    from storage.models import Schedule

    async with app.sessions() as s, s.begin():
        row = await s.get(Schedule, (1, "checkin"))
        row.next_due_at = app.clock.now() - timedelta(minutes=7)
    status, body = await get(http, "/metrics")
    assert status == 200
    got = samples(body)
    assert got[("bot_commands_total", (("command", "settings"), ("outcome", "ok")))] == 1
    assert got[("bot_commands_total", (("command", "help"), ("outcome", "ok")))] == 1
    assert got[("bot_commands_total", (("command", "unknown"), ("outcome", "error")))] == 1
    assert got[("bot_commands_total", (("command", "action:checkin:done"), ("outcome", "error")))] == 1
    assert got[("bot_commands_total", (("command", "action:unknown"), ("outcome", "error")))] == 1
    assert got[("bot_command_duration_seconds_count", (("command", "settings"),))] == 1
    assert got[("bot_scheduler_lag_seconds", ())] == 7 * 60
    assert got[("bot_outbox_messages", (("state", "pending"),))] == 0
    assert got[("bot_database_up", ())] == 1

    from bot.scheduler.service import claim_pass

    await claim_pass(app)
    got = samples((await get(http, "/metrics"))[1])
    assert got[("bot_outbox_messages", (("state", "pending"),))] == 1
    assert got[("bot_scheduler_lag_seconds", ())] == 0
    assert got[("bot_outbox_lag_seconds", ())] == 7 * 60


async def test_each_app_has_its_own_registry(app, tmp_path, catalog):
    first = ops_metrics.install(app)
    first.observe_command("help", 0.01, True)
    other = build_app(make_settings(f"sqlite+aiosqlite:///{tmp_path}/o.db"), catalog=catalog)
    second = ops_metrics.install(other)
    assert second.registry is not first.registry
    assert ops_metrics.install(app) is first  # installing twice keeps the same registry
    assert b'command="help"' in first.render() and b'command="help"' not in second.render()
    await other.close()

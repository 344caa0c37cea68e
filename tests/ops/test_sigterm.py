"""SIGTERM on the real CLI: `python -m bot run console` delivering through a slow recorder.

The process must exit within 10 s, leave no outbox row in 'sending', and a later
`tick` must deliver every remaining message exactly once. Every stderr line is a
JSON log record (LOG_FORMAT=json), and the ops endpoint answers while it runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import select, update

from bot.config import Settings
from bot.core.identity import MemberKey
from bot.runtime import build_app
from bot.scheduler.cli import tick
from storage.migrate import upgrade
from storage.models import Member, OutboxMessage, Schedule
from tests.ops.recorder import open_slow_recorder, read_events

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 12
DELAY = 0.5


def noon_zone(now: datetime) -> str:
    """A fixed-offset zone where it is around midday now, so today's slot is fresh all test long."""
    offset = max(-11, min(12, 12 - now.hour))  # local = UTC + offset
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


async def make_due_members(url: str) -> list[str]:
    app = build_app(Settings(_env_file=None, database_url=url))
    now = datetime.now(UTC)
    users = [f"u{i}" for i in range(MEMBERS)]
    try:
        for user in users:
            reply = await app.engine.command(
                MemberKey("console", "local", user), "settings", {"timezone": noon_zone(now)}
            )
            assert not reply.error, reply
        async with app.sessions() as s, s.begin():
            ids = select(Member.id).where(Member.user_id.in_(users))
            await s.execute(update(Schedule).values(next_due_at=None))
            await s.execute(
                update(Schedule)
                .where(Schedule.stream == "checkin", Schedule.member_id.in_(ids))
                .values(next_due_at=now - timedelta(minutes=1))
            )
            # Only today's check-ins are due; the weekly streams wait a week.
            await s.execute(
                update(Schedule)
                .where(Schedule.stream != "checkin")
                .values(next_due_at=now + timedelta(days=7))
            )
    finally:
        await app.close()
    return users


def env_for(tmp_path: Path, url: str, delay: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    env.update(
        DATABASE_URL=url,
        SCHEDULER_ENABLED="true",
        CLAIM_PROCESS="true",  # as deployed: the claim pass in its own process
        RECORDER_FILE=str(tmp_path / "recorded.jsonl"),
        RECORDER_DELAY=str(delay),
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        HEALTH_PORT="0",
        DELIVERY_CONCURRENCY="1",  # one send at a time, so SIGTERM lands mid-delivery
        PYTHONPATH=str(ROOT),
    )
    return env


async def outbox(url: str) -> list[OutboxMessage]:
    app = build_app(Settings(_env_file=None, database_url=url))
    try:
        async with app.sessions() as s:
            return list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())
    finally:
        await app.close()


async def wait_until(predicate, within: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the subprocess"
        await asyncio.sleep(0.05)


async def test_sigterm_mid_delivery_loses_nothing_and_tick_finishes_once(tmp_path, monkeypatch):
    url = f"sqlite+aiosqlite:///{tmp_path}/t.db"
    await upgrade(url)
    users = await make_due_members(url)
    env = env_for(tmp_path, url, DELAY)
    recorded = tmp_path / "recorded.jsonl"

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.ops.bot_with_slow_recorder", "run", "console",
        cwd=ROOT, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stderr_lines: list[str] = []

    async def pump_stderr() -> None:
        assert proc.stderr is not None
        while line := await proc.stderr.readline():
            stderr_lines.append(line.decode())

    reader = asyncio.create_task(pump_stderr())
    try:
        await wait_until(lambda: any("health and metrics on" in line for line in stderr_lines))
        port = int(next(line for line in stderr_lines if "health and metrics on" in line)
                   .split("http://")[1].split(":")[1].split(" ")[0])  # fmt: skip
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{port}"
            async with http.get(f"{base}/healthz") as r:
                assert r.status == 200
            async with http.get(f"{base}/readyz") as r:
                assert r.status == 200, await r.text()
            # Wait until at least two messages landed and another is in flight.
            await wait_until(lambda: sum(e["event"] == "sent" for e in read_events(recorded)) >= 2)
            async with http.get(f"{base}/metrics") as r:
                body = await r.text()
            assert 'bot_deliveries_sent_total{platform="console",target="dm"}' in body
            assert 'bot_outbox_messages{state="sending"}' in body
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = await asyncio.wait_for(proc.wait(), 12)
        took = time.monotonic() - started
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await reader
    assert took < 10, f"exit took {took:.1f}s"
    assert rc == 0, "".join(stderr_lines)
    for line in stderr_lines:
        json.loads(line)  # LOG_FORMAT=json: every line is a JSON record
    assert any("returned to the outbox" in json.loads(line)["msg"] for line in stderr_lines)

    rows = await outbox(url)
    checkins = [r for r in rows if r.stream == "checkin"]
    assert len(checkins) == MEMBERS
    assert {r.status for r in checkins} <= {"sent", "pending"}
    assert "sending" not in {r.status for r in rows}
    sent_before = {e["key"] for e in read_events(recorded) if e["event"] == "sent"}
    assert {r.key for r in checkins if r.status == "sent"} == sent_before
    assert 2 <= len(sent_before) < MEMBERS, "SIGTERM should land mid-delivery"

    # `python -m bot tick`, in-process to keep the test quick.
    monkeypatch.setenv("RECORDER_FILE", str(recorded))
    monkeypatch.setenv("RECORDER_DELAY", "0")
    settings = Settings(_env_file=None, database_url=url)
    assert await tick(settings, None, "console", open_slow_recorder) == 0

    rows = await outbox(url)
    assert {r.status for r in rows if r.stream == "checkin"} == {"sent"}
    sent = [e for e in read_events(recorded) if e["event"] == "sent"]
    assert sorted(e["to"] for e in sent) == sorted(users)  # each member exactly once
    assert len({e["key"] for e in sent}) == len(sent)

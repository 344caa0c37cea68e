"""The real CLI in subprocesses: killed with SIGKILL between claim and send, and two
processes claiming together on PostgreSQL. Each member gets exactly one message."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.clock import FrozenClock
from storage.models import OutboxMessage
from tests.databases import fresh_postgres, postgres_url
from tests.fakes.discord_fake import FakeDiscord
from tests.fakes.messenger_fake import RecorderServer
from tests.scheduler.conftest import T0, add_member, make_app, outbox_rows

REPO = Path(__file__).resolve().parents[2]
DUE = "2026-03-02T19:00:00+00:00"


def cli_env(url: str, server: RecorderServer, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_", "SCHEDULER_"))}
    env.update(
        DATABASE_URL=url,
        FAKE_PLATFORM_URL=server.url,
        FAKE_PLATFORM_NAME="discord",
        PYTHONPATH=str(REPO),
        LOG_LEVEL="WARNING",
        **extra,
    )
    return env


async def start_tick(
    env: dict[str, str], now: str, entry: str = "tests.fakes.bot_with_recorder"
) -> asyncio.subprocess.Process:
    """`tick` in a process of its own; `entry` is the bot's command line, or a test's wrapper of it."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        entry,
        "tick",
        "--now",
        now,
        "--platform",
        "discord",
        cwd=REPO,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(proc: asyncio.subprocess.Process) -> str:
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_sigkill_between_claim_and_send_delivers_exactly_once(sapp):
    for i in range(5):
        await add_member(sapp, f"u{i}", timezone="UTC", checkin_time="19:00")
    server = RecorderServer(stall_first=True)
    await server.start()
    try:
        env = cli_env(sapp.settings.database_url, server)
        proc = await start_tick(env, DUE)
        await asyncio.wait_for(server.first_request.wait(), 60)
        proc.kill()  # SIGKILL while the first send is in flight
        await proc.wait()
        rows = await outbox_rows(sapp)
        assert {r.status for r in rows} == {"sending"} and len(rows) == 5
        # After the lease (5 min) the claims are taken again; the platform's dedupe on the
        # key (Discord's nonce) absorbs the resend of the one that was in flight.
        out = await finish(await start_tick(env, "2026-03-02T19:06:00+00:00"))
        assert "sent 5" in out
    finally:
        await server.stop()
    assert {u: len(keys) for u, keys in server.per_user().items()} == {f"u{i}": 1 for i in range(5)}
    assert {r.status for r in await outbox_rows(sapp)} == {"sent"}


@pytest.mark.skipif(postgres_url() is None, reason="TEST_POSTGRES_URL not set")
async def test_two_processes_on_postgresql_never_duplicate(shared_catalog):
    """Enough rows, and a platform slow enough (50 ms a message, two sends at a time per
    process) that one process cannot take them all before the other starts: both deliver,
    and nothing is delivered twice."""
    members = 120
    async with fresh_postgres(postgres_url()) as url:
        app = make_app(url, FrozenClock(T0), shared_catalog)
        try:
            for i in range(members):
                await add_member(app, f"u{i}", timezone="UTC", checkin_time="19:00")
        finally:
            await app.close()
        server = RecorderServer(delay=0.05)
        await server.start()
        try:
            env = cli_env(url, server, SCHEDULER_BATCH_SIZE="4", DELIVERY_CONCURRENCY="2")
            procs = [await start_tick(env, DUE) for _ in range(2)]
            await asyncio.gather(*(finish(p) for p in procs))
        finally:
            await server.stop()
        app = make_app(url, FrozenClock(T0), shared_catalog)
        try:
            async with app.sessions() as s:
                rows = list((await s.execute(select(OutboxMessage))).scalars())
        finally:
            await app.close()
    checkins = [r for r in rows if r.stream == "checkin"]
    assert len(checkins) == members and {r.status for r in checkins} == {"sent"}
    assert server.requests == len([r for r in rows if r.status == "sent"])  # no send was repeated
    assert sorted(server.per_user()) == sorted(f"u{i}" for i in range(members))
    assert all(len([k for k in keys if k.startswith("checkin")]) == 1 for keys in server.per_user().values())
    by_process: dict[str | None, int] = {}
    for r in checkins:
        by_process[r.claimed_by] = by_process.get(r.claimed_by, 0) + 1
    assert len(by_process) == 2 and None not in by_process, by_process  # both processes delivered


def discord_env(url: str, fake: FakeDiscord) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_", "SCHEDULER_"))}
    env.update(
        DATABASE_URL=url,
        DISCORD_TOKEN=fake.token,
        DISCORD_API_BASE=fake.api_base,
        PYTHONPATH=str(REPO),
        LOG_LEVEL="WARNING",
    )
    return env


@pytest.mark.parametrize(
    ("restart_after", "nonce_window"),
    [(10, 300.0), (200, 0.0)],
    ids=["within-the-nonce-window", "past-the-nonce-window"],
)
async def test_sigkill_mid_send_then_restart_delivers_in_seconds_and_once(sapp, restart_after, nonce_window):
    """discord.py in a real `tick`, killed after Discord accepted a message but before it
    answered. A restart seconds later releases the dead process's claims at once (no
    waiting out the lease) and the member sees that message once: within the nonce window
    Discord's nonce dedupes the resend; past it the bot finds the message in the channel."""
    for i in range(5):
        await add_member(sapp, str(940000000000000200 + i), timezone="UTC", checkin_time="19:00")
    fake = await FakeDiscord().start()
    fake.nonce_window = nonce_window
    fake.hang_after_accept = 1
    try:
        env = discord_env(sapp.settings.database_url, fake)
        proc = await start_tick(env, DUE, "bot")
        await asyncio.wait_for(fake.accepted.wait(), 60)
        proc.kill()
        await proc.wait()
        assert {r.status for r in await outbox_rows(sapp)} == {"sending"}
        later = (datetime.fromisoformat(DUE) + timedelta(seconds=restart_after)).isoformat()
        out = await finish(await start_tick(env, later, "bot"))
        assert "sent 5" in out, out
    finally:
        await fake.stop()
    assert {r.status for r in await outbox_rows(sapp)} == {"sent"}
    assert sorted(fake.visible_by_channel().values()) == [1] * 5

"""`python -m bot run slack` as a real process against the fake Slack serves every command."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from bot.core.registry import command_specs
from tests.fakes.slack_fake import BOT_TOKEN, FakeSlack
from tests.slack.conftest import SIGNING_SECRET, SlackHarness

COMMANDS = tuple(spec.name for spec in command_specs((), (), ()))

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_run_slack_serves_every_command(slack_db, fake: FakeSlack):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": slack_db,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "SLACK_ADMIN_USER_IDS": "U1",
        "PORT": str(port),
        "SCHEDULER_ENABLED": "false",
    }
    env.pop("SLACK_APP_TOKEN", None)
    env.pop("SLACK_CLIENT_ID", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "slack", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    http = aiohttp.ClientSession()
    try:
        for _ in range(1200):  # up to a minute: a busy machine starts the process slowly
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        break
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
        harness = SlackHarness(None, fake, f"http://127.0.0.1:{port}/slack/events", http)  # type: ignore[arg-type]
        for name in COMMANDS:
            status, _ = await harness.command(name, "stats" if name == "admin" else "")
            assert status == 200, name
        await fake.wait_for(
            lambda: len(fake.responses) + len(fake.find("views.open")) >= len(COMMANDS), within=15
        )
        answered = {r["_url"] for r in fake.responses} | {"checkin"} & {
            c.args["trigger_id"].removeprefix("trigger-") for c in fake.find("views.open")
        }
        assert answered == set(COMMANDS)
        assert "Something went wrong" not in str(fake.responses)
        assert "Only community admins" not in str(fake.responses)
    finally:
        await http.close()
        proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()

"""`python -m bot run discord` against the fake: connects, syncs commands, answers."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.discord.helpers import answer, text_of
from tests.fakes.discord_fake import FakeDiscord

REPO = Path(__file__).resolve().parents[2]


async def test_cli_runs_discord(tmp_path, fake: FakeDiscord) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db",
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "SCHEDULER_ENABLED": "false",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "discord", cwd=tmp_path, env=env | {"PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await fake.wait_for(lambda c: c.method == "PUT" and c.path.endswith("/commands"), within=20)
        await asyncio.wait_for(fake.identified.wait(), 10)
        for name in ("learn", "progress", "help"):
            _, call = await answer(fake, fake.slash(name))
            assert call.body["type"] == 4, text_of(call.body.get("data") or {})
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    stderr = (await proc.stderr.read()).decode() if proc.stderr else ""
    assert fake.token not in stderr

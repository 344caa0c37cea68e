"""The console adapter and the CLI, driven the way a person or a script would."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from bot.adapters.console.session import ConsoleSession
from bot.core.identity import MemberKey

ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], db: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    environ.update({"DATABASE_URL": f"sqlite+aiosqlite:///{db}", "SCHEDULER_ENABLED": "false", **env})
    environ.setdefault("CONSOLE_IMAGES_DIR", str(db.parent / "images"))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ,
        timeout=120,
        check=False,
    )


def test_piped_console_prints_the_plan_and_exits_at_eof(tmp_path):
    result = run_cli(["run"], tmp_path / "c.db", stdin="/learn\n1\n1\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Pick what to learn" in out
    assert "[1] Prompt Engineering" in out
    assert "Prompt Engineering" in out and "Topics" in out
    assert "Your plan: Prompt Engineering" in out
    assert "Traceback" not in result.stderr


def test_console_form_and_numbers(tmp_path):
    result = run_cli(
        ["run", "console"], tmp_path / "c.db", stdin="/checkin\n45\nread about transformers\n7\n/progress\n"
    )
    assert result.returncode == 0, result.stderr
    assert "Logged 45 min today" in result.stdout
    assert "Pick a number from 1 to" in result.stdout
    assert "Your progress" in result.stdout


def test_export_cli_prints_member_json(tmp_path):
    db = tmp_path / "c.db"
    run_cli(["run"], db, stdin="/checkin 20 hello\n")
    result = run_cli(["export", "--member", "console:local:me"], db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["member"]["user_id"] == "me" and data["checkins"][0]["minutes"] == 20
    missing = run_cli(["export", "--member", "console:local:nobody"], db)
    assert missing.returncode == 1 and "no member" in missing.stderr
    bad = run_cli(["export", "--member", "nonsense"], db)
    assert bad.returncode == 2


def test_content_check_and_migrate_twice(tmp_path):
    check = run_cli(["content", "check"], tmp_path / "c.db")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Content OK" in check.stdout and "ml-engineer" in check.stdout
    for _ in range(2):
        mig = run_cli(["migrate"], tmp_path / "m.db")
        assert mig.returncode == 0 and "up to date" in mig.stdout


def test_help_everywhere(tmp_path):
    for args in (
        ["--help"],
        ["run", "--help"],
        ["content", "check", "--help"],
        ["export", "--help"],
        ["tick", "--help"],
        ["outbox", "status", "--help"],
        ["migrate", "--help"],
    ):
        result = run_cli(args, tmp_path / "c.db")
        assert result.returncode == 0 and "usage:" in result.stdout, args


async def test_console_session_in_process(app):
    out = io.StringIO()
    lines = iter(["/help", "9", "/settings timezone:Asia/Kathmandu", "/quit", "/help"])
    session = ConsoleSession(
        app.engine, MemberKey("console", "local", "me"), out=out, read_line=lambda _prompt: next(lines, None)
    )
    await session.run()
    text = out.getvalue()
    assert "How I can help" in text
    assert "Pick a number from 1 to 2" in text
    assert "Time zone: Asia/Kathmandu" in text
    assert text.count("How I can help") == 1, "/quit ends the session"


async def test_a_delivered_dm_shows_its_buttons():
    """`tick` prints what a member would get, buttons included."""
    import io

    from bot.adapters.console.messenger import ConsoleMessenger
    from bot.core.identity import MemberKey
    from bot.core.replies import Button, Card, Reply

    out = io.StringIO()
    reply = Reply(
        cards=(Card(title="Daily check-in", body="How did it go?"),),
        buttons=(
            Button("Done: 30 min", "checkin:done:2026-03-02:30"),
            Button("Skipped today", "checkin:skip"),
        ),
    )
    await ConsoleMessenger(out).send_dm(MemberKey("console", "local", "me"), reply, key="k")
    assert out.getvalue().rstrip().endswith("[buttons] Done: 30 min · Skipped today")


async def test_a_channel_post_saves_its_picture_and_prints_where(tmp_path):
    """`tick` delivering the digest: the card is written as the session writes pictures."""
    from bot.adapters.console.messenger import ConsoleMessenger
    from bot.core.identity import CommunityKey
    from bot.core.replies import Card, Image, Reply

    out = io.StringIO()
    card = Image("community.png", "Community card, weeks from ...", png=b"\x89PNG\r\n\x1a\nfake")
    reply = Reply(cards=(Card(title="This week in the community"),), images=(card,), private=False)
    await ConsoleMessenger(out, tmp_path).post_channel(CommunityKey("console", "local"), "C1", reply, key="k")
    [saved] = list(tmp_path.iterdir())
    assert saved.read_bytes() == card.png
    assert f"[image] {saved}\n  Community card, weeks from ..." in out.getvalue()

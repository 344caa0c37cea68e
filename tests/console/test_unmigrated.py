"""Operator commands on a database that was never migrated say so in one line."""

from __future__ import annotations

import pytest

from tests.console.test_console import run_cli


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--member", "console:local:me"],
        ["outbox", "status"],
        ["tick", "--now", "2026-03-02T19:00:00+00:00"],
    ],
)
def test_unmigrated_database_asks_for_migrate(tmp_path, args):
    db = tmp_path / "never.db"
    result = run_cli(args, db)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["The database has not been set up yet. Run `python -m bot migrate` first."]
    assert not db.exists()


def test_an_empty_database_file_is_unmigrated_too(tmp_path):
    db = tmp_path / "empty.db"
    db.touch()
    result = run_cli(["outbox", "status"], db)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "migrate" in result.stderr


def test_a_migrated_database_runs_the_command(tmp_path):
    db = tmp_path / "ok.db"
    assert run_cli(["migrate", "--quiet"], db).returncode == 0
    result = run_cli(["outbox", "status"], db)
    assert result.returncode == 0, result.stderr
    assert "migrate" not in result.stderr

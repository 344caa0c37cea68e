"""Every benchmark once at a tiny size, so the benchmarks cannot rot. Nothing here is timed."""

from __future__ import annotations

import json

import pytest

from bench import __main__ as runner
from bench import subproc


@pytest.fixture(autouse=True)
def in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # Spawning interpreters is what makes the real run's memory figures clean; here it only costs time.
    monkeypatch.setattr(subproc, "INPROCESS", True)


def test_every_benchmark_runs_once_and_writes_json(tmp_path, capsys) -> None:
    out = tmp_path / "latest.json"
    assert runner.main(["--profile", "smoke", "--no-postgres", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    benches = {f["bench"] for f in data["figures"]}
    assert benches == {
        "1 core", "2 interactions", "3 scheduling", "4 dispatch", "5 memory", "6 baseline", "7 load",
        "8 review",
        "9 pictures",
        "10 community",
        "11 buddies",
    }  # fmt: skip
    for f in data["figures"]:
        assert f["low"] <= f["median"] <= f["high"], f
    printed = capsys.readouterr().out
    assert "median" in printed and "claim pass query plans" in printed
    assert "SEARCH schedules USING INDEX ix_schedules_due" in printed
    assert "due count plan: SEARCH review_cards USING COVERING INDEX ix_review_cards_member_due" in printed
    stats_plan = "admin stats plan members: SEARCH members USING COVERING INDEX ix_members_community_active"
    assert stats_plan in printed

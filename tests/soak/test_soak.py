"""Fault soak of scheduled delivery (see sim.py). `make test` runs a short one;
`make soak` runs 1,000 members over 60 days with a real subprocess SIGKILL:
SOAK_MEMBERS, SOAK_DAYS, SOAK_SEED and SOAK_KILL override the size."""

from __future__ import annotations

import os

import pytest

from tests.soak.sim import run_soak


@pytest.mark.parametrize("platform", ["discord", "slack"])
async def test_fault_soak(tmp_path, catalog, platform):
    report = await run_soak(
        tmp_path,
        catalog,
        members=int(os.environ.get("SOAK_MEMBERS", "30")),
        days=int(os.environ.get("SOAK_DAYS", "10")),
        seed=int(os.environ.get("SOAK_SEED", "8")),
        kill_subprocess=os.environ.get("SOAK_KILL", "0") == "1",
        platform_name=platform,
    )
    print(report)
    assert report.problems == [], str(report)
    assert report.checkins_expected > 0 and report.checkins_delivered == report.checkins_expected
    assert report.visible_duplicates == 0 and report.switched_off == 0
    assert report.auth_outages > 0 and report.faults.get("auth", 0) > 0

"""/metrics shows event-loop lag and how long writers waited at the SQLite write gate."""

from __future__ import annotations

import asyncio
import time

from prometheus_client.parser import text_string_to_metric_families

from bot.core.identity import MemberKey
from bot.ops import metrics as ops_metrics


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_show_loop_lag_and_write_lock_waits(sqlite_app):
    app = sqlite_app
    metrics = ops_metrics.install(app)
    await app.engine.command(MemberKey("discord", "g1", "u1"), "checkin", {"minutes": 10})
    await asyncio.sleep(0.12)
    time.sleep(0.15)  # noqa: ASYNC251 - a stall, on purpose
    await asyncio.sleep(0.12)
    got = _samples(metrics.render().decode())
    assert got[("bot_event_loop_lag_max_seconds", ())] >= 0.1
    assert got[("bot_event_loop_lag_max_seconds", ())] < 5
    db = app.settings.database_url.rsplit("/", 1)[-1]
    assert got[("bot_db_write_lock_wait_seconds_count", (("database", db), ("writer", "member")))] >= 1
    again = _samples(metrics.render().decode())
    assert again[("bot_event_loop_lag_max_seconds", ())] < 0.1  # the worst is per scrape


async def test_metrics_show_how_long_writers_held_the_gate(sqlite_app):
    from storage.db import gate_key
    from storage.gate import gate_for

    app = sqlite_app
    metrics = ops_metrics.install(app)
    gate = gate_for(gate_key(app.db))
    await gate.acquire()
    await asyncio.sleep(0.12)
    gate.release()
    # Earlier tests' databases may share the file name, so each gate's samples are read in turn.
    holds: list[dict[str, float]] = []
    for family in text_string_to_metric_families(metrics.render().decode()):
        if family.name == "bot_db_write_lock_hold_seconds":
            for s in family.samples:
                if s.name.endswith("_bucket") and s.labels["le"] == "0.1":
                    holds.append({"0.1": s.value})
                elif s.name.endswith("_bucket") and s.labels["le"] == "0.25":
                    holds[-1]["0.25"] = s.value
                elif s.name.endswith("_sum"):
                    holds[-1]["sum"] = s.value
    assert any(h["0.25"] - h["0.1"] >= 1 and h["sum"] >= 0.12 for h in holds), holds

"""Prometheus metrics for one App, in a registry of its own (no global state).

Counters and histograms are fed by the engine's observer and the delivery
wrappers in `bot.ops.delivery`; database-backed gauges (outbox depth, scheduler
lag) are refreshed by `refresh_from_db` on each scrape, with cheap indexed queries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import HistogramMetricFamily, Metric
from sqlalchemy import func, select

from bot.ops.looplag import LoopLagProbe
from bot.runtime import App
from bot.scheduler.pauses import DeliveryPauses
from storage import gate, outbox_store
from storage.models import OutboxMessage, Schedule

log = logging.getLogger(__name__)

OUTBOX_STATES = outbox_store.WATCHED
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.commands = Counter(
            "bot_commands", "Commands and actions handled", ["command", "outcome"], registry=r
        )
        self.command_seconds = Histogram(
            "bot_command_duration_seconds",
            "Time to answer a command or action",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.sends = Counter(
            "bot_deliveries_sent", "Scheduled messages delivered", ["platform", "target"], registry=r
        )
        self.send_failures = Counter(
            "bot_delivery_failures",
            "Scheduled message sends that failed, by reason "
            "(rate_limited, retryable, timeout, permanent, error, cancelled)",
            ["platform", "reason"],
            registry=r,
        )
        self.send_seconds = Histogram(
            "bot_delivery_duration_seconds",
            "Time a platform took to accept a scheduled message",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.ratelimit_waits = Histogram(
            "bot_ratelimit_wait_seconds",
            "Time spent waiting for a rate-limit token before a send (only waits that happened)",
            ["platform"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.ratelimit_blocks = Counter(
            "bot_ratelimit_blocks",
            "Times a platform's Retry-After blocked sending",
            ["platform"],
            registry=r,
        )
        self.outbox = Gauge("bot_outbox_messages", "Outbox rows by state", ["state"], registry=r)
        self.scheduler_lag = Gauge(
            "bot_scheduler_lag_seconds",
            "Now minus the oldest due schedule not yet claimed (0 when none is due)",
            registry=r,
        )
        self.delivery_lag = Gauge(
            "bot_outbox_lag_seconds",
            "Now minus the oldest pending outbox row that is due (0 when none is due)",
            registry=r,
        )
        self.delivery_paused = Gauge(
            "bot_delivery_paused",
            "1 while delivery is paused for a platform (scope empty) or workspace by an auth, "
            "scope or install error",
            ["platform", "scope"],
            registry=r,
        )
        self._paused_labels: set[tuple[str, str]] = set()
        self.db_up = Gauge("bot_database_up", "1 when the last scrape could query the database", registry=r)
        self.loop_lag = Gauge(
            "bot_event_loop_lag_seconds", "How late the event loop ran a timer, last sample", registry=r
        )
        self.loop_lag_max = Gauge(
            "bot_event_loop_lag_max_seconds",
            "The longest event-loop stall since the previous scrape",
            registry=r,
        )
        r.register(_WriteLockWaits())
        self.probe = LoopLagProbe()

    def start_probe(self) -> None:
        if self.probe.running:
            return
        try:
            self.probe.start(asyncio.get_running_loop())
        except RuntimeError:
            pass  # no loop yet: the first scrape starts it

    def observe_command(self, name: str, seconds: float, ok: bool) -> None:
        self.commands.labels(name, "ok" if ok else "error").inc()
        self.command_seconds.labels(name).observe(seconds)

    def show_pauses(self, pauses: DeliveryPauses | None) -> None:
        active = {(p.platform, p.scope or "") for p in (pauses.active() if pauses else [])}
        self._paused_labels |= active
        for labels in self._paused_labels:
            self.delivery_paused.labels(*labels).set(1 if labels in active else 0)

    def render(self) -> bytes:
        self.start_probe()
        self.loop_lag.set(self.probe.last)
        self.loop_lag_max.set(self.probe.take_worst())
        return generate_latest(self.registry)


class _WriteLockWaits:
    """The SQLite write gates' wait and hold histograms (storage.gate), read at scrape time."""

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        waits = HistogramMetricFamily(
            "bot_db_write_lock_wait_seconds",
            "Time a write transaction waited for its turn at the SQLite write gate, by writer "
            "(member: commands; background: the claim pass and the dispatcher, served after members)",
            labels=["database", "writer"],
        )
        holds = HistogramMetricFamily(
            "bot_db_write_lock_hold_seconds",
            "Time a write transaction kept its turn at the SQLite write gate (the longest bounds every wait)",
            labels=["database"],
        )
        for key, g in sorted(gate.all_gates().items()):
            name = Path(key).name
            for writer, histogram in (("member", g.waits), ("background", g.background_waits)):
                waits.add_metric([name, writer], _buckets(histogram), histogram.total)
            holds.add_metric([name], _buckets(g.holds), g.holds.total)
        yield waits
        yield holds


def _buckets(histogram: gate.WaitHistogram) -> list[tuple[str, float]]:
    cumulative, buckets = 0, []
    for bound, count in zip((*gate.WAIT_BUCKETS, float("inf")), histogram.counts, strict=True):
        cumulative += count
        buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
    return buckets


def install(app: App) -> Metrics:
    """Give the app a Metrics (once) and point the engine's observer at it."""
    metrics = app.metrics
    if metrics is None:
        metrics = app.metrics = Metrics()
    app.engine.observer = metrics.observe_command
    metrics.start_probe()
    return metrics


def of(app: App) -> Metrics | None:
    return app.metrics


def _age(now: datetime, then: datetime | None) -> float:
    if then is None:
        return 0.0
    if then.tzinfo is None:  # SQLite hands back naive UTC
        then = then.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - then).total_seconds())


async def refresh_from_db(app: App, metrics: Metrics) -> bool:
    """Outbox depth and lag gauges, from three indexed queries; False when the database failed."""
    now = app.clock.now()
    metrics.show_pauses(app.pauses)
    try:
        async with app.sessions() as session:
            counts = await outbox_store.counts_by_status(session, OUTBOX_STATES)
            oldest_due = await session.scalar(
                select(func.min(Schedule.next_due_at)).where(
                    Schedule.enabled.is_(True), Schedule.next_due_at <= now
                )
            )
            oldest_pending = await session.scalar(
                select(func.min(OutboxMessage.not_before)).where(outbox_store.due_now(now))
            )
    except Exception as exc:
        log.warning("metrics: database query failed: %s", type(exc).__name__)
        metrics.db_up.set(0)
        return False
    for state, n in counts.items():
        metrics.outbox.labels(state).set(n)
    metrics.scheduler_lag.set(_age(now, oldest_due))
    metrics.delivery_lag.set(_age(now, oldest_pending))
    metrics.db_up.set(1)
    return True

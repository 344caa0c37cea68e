"""A fault soak of scheduled delivery: simulated members over simulated days.

Time is a FrozenClock moved in fixed steps; each step runs the scheduler's claim
pass and a dispatcher drain directly (no sleeping), then lets members act through
the Engine. Faults, all seeded:
- process crash: a drain abandoned mid-chunk (rows left 'sending'), before or after
  the platform accepted the message; the next "process" gets a new worker name;
- one real delivery subprocess SIGKILLed mid-send (when `kill_subprocess`);
- 429 storms with Retry-After, 5xx, timeouts (some after the platform accepted);
- the database briefly gone (statements on the scheduler's connections raise
  OperationalError) and briefly locked (another connection holds an exclusive lock);
- the bot's token briefly refused (Discord 401, Slack invalid_auth): delivery must pause,
  not switch members off.

Two platform models, each counting every post a member would see:
- "discord": a resend with the same nonce within the nonce window is absorbed (the
  same message comes back); past the window it is a second visible message;
- "slack": no idempotency at all; every accepted post is visible.
Both answer `find_sent` the way the real adapters do (Slack by the key in message
metadata; Discord only past its nonce window, from channel history), so the check is
0 visible duplicates, however many raw resends the faults caused.
The model keeps its own record of each member's settings and check-ins, so the
checks at the end never trust the database under test.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.core.call import Call
from bot.core.clock import FrozenClock
from bot.core.identity import MemberKey
from bot.core.ports import Delivery, PausedDeliveryError, RetryableDeliveryError
from bot.core.replies import render_text
from bot.core.services import studylog
from bot.ops.delivery import CountingLimiter, GuardedMessenger
from bot.ops.metrics import Metrics
from bot.runtime import App, build_app
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.ratelimit import platform_limiter
from bot.scheduler.service import claim_pass
from content.schema import Catalog
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Member, OutboxMessage

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday; US and EU DST both start inside 60 days
STEP = timedelta(hours=1)
ZONES = (
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
)
ROOT = Path(__file__).resolve().parents[2]
# Step number -> a fault that certainly happens then (hours after the start).
FORCED = {
    9: "storm",
    13: "crash_before",
    15: "lock",
    17: "db_gone",
    11: "auth",
    35: "auth",
    33: "crash_after",
    38: "db_gone",
}
WORKSPACE = {"discord": "g1", "slack": "T0SOAK"}
NONCE_WINDOW = timedelta(minutes=2)


class SimulatedCrash(BaseException):
    """The process died here: nothing after this point in the pass runs."""


@dataclass
class Model:
    """What the simulation knows about one member, independently of the database."""

    user: str
    tz: ZoneInfo
    checkin_time: str
    member_id: int = 0
    platform: str = "discord"
    # (instant applied, paused_until or None) and (instant applied, opted out?)
    pauses: list[tuple[datetime, date | None]] = field(default_factory=list)
    optouts: list[tuple[datetime, bool]] = field(default_factory=list)
    logged: set[date] = field(default_factory=set)

    @property
    def key(self) -> MemberKey:
        return MemberKey(self.platform, WORKSPACE[self.platform], self.user)

    def local(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def paused_until(self, at: datetime) -> date | None:
        value = None
        for applied, until in self.pauses:
            if applied < at:
                value = until
        return value

    def held(self, at: datetime) -> set[date]:
        """Every day a pause set before `at` held: a pause holds the local day it is set through
        its end (extending the one running that day); resuming ends it the day before."""
        spans: list[list[date]] = []
        for applied, until in self.pauses:
            if applied >= at:
                break
            day = self.local(applied)
            running = next((sp for sp in reversed(spans) if sp[0] <= day <= sp[1]), None)
            if until is not None:
                if running is not None:
                    running[1] = until
                else:
                    spans.append([day, until])
            elif running is not None:
                running[1] = day - timedelta(days=1)
        today = self.local(at)
        out: set[date] = set()
        for start, end in spans:
            d = start
            while d <= min(end, today):
                out.add(d)
                d += timedelta(days=1)
        return out

    def opted_out(self, at: datetime) -> bool:
        value = False
        for applied, out in self.optouts:
            if applied < at:
                value = out
        return value

    def paused(self, at: datetime) -> bool:
        until = self.paused_until(at)
        return until is not None and self.local(at) < until

    def due_instant(self, d: date) -> datetime:
        hh, mm = map(int, self.checkin_time.split(":"))
        return datetime(d.year, d.month, d.day, hh, mm, tzinfo=self.tz).astimezone(UTC)

    def expected_checkins(self, created: datetime, last_claim: datetime) -> tuple[set[str], set[str]]:
        """(required, optional): due while neither paused nor opted out; optional when the member
        paused or opted out later that same day, since a message still waiting is then dropped."""
        required, optional = set(), set()
        d = self.local(created) - timedelta(days=1)
        while (u := self.due_instant(d)) <= last_claim:
            if u > created and not self.opted_out(u) and not self.paused(u):
                key = f"checkin:{self.member_id}:{d.isoformat()}"
                day_ends = datetime(d.year, d.month, d.day, tzinfo=self.tz) + timedelta(days=1)
                changes = [a for a, _ in self.pauses] + [a for a, _ in self.optouts]
                (optional if any(u <= a < day_ends for a in changes) else required).add(key)
            d += timedelta(days=1)
        return required, optional


def reference_streak(days: set[date], today: date, held: set[date] | frozenset[date] = frozenset()) -> int:
    """The rule in docs/rules.md, replayed forward: every day is a study day; a missed day
    spends its ISO week's freeze while a streak runs, else ends it; today can't be missed
    yet; paused days (every pause the member took) are held."""
    if not days:
        return 0
    count, spent = 0, set()
    for n in range((today - min(days)).days + 1):
        d = min(days) + timedelta(days=n)
        if d in days:
            count += 1
        elif d == today or d in held:
            continue
        elif count and d.isocalendar()[:2] not in spent:
            spent.add(d.isocalendar()[:2])
        else:
            count = 0
    return count


@dataclass
class Platform:
    """A chat platform with faults, modelled on Discord or Slack (see the module docstring)."""

    rng: random.Random
    clock: FrozenClock
    models: dict[str, Model]
    p_5xx: float = 0.03
    p_timeout: float = 0.02
    p_ambiguous: float = 0.01
    platform: str = "discord"
    storm_until: datetime | None = None
    crash_after: int | None = None
    crash_after_accept: bool = False
    accepted: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    raw: Counter[str] = field(default_factory=Counter)
    ambiguous: set[str] = field(default_factory=set)
    while_paused: list[str] = field(default_factory=list)
    while_opted_out: list[str] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    visible: Counter[str] = field(default_factory=Counter)
    auth_until: datetime | None = None
    # An outage that starts at the next send, lasting this long (so it always meets traffic).
    auth_armed: timedelta | None = None
    found: int = 0

    def _auth_broken(self) -> bool:
        return self.auth_until is not None and self.clock.now() < self.auth_until

    async def probe(self, scope: str | None = None) -> bool:
        return not self._auth_broken()

    async def find_sent(self, *, key, reply, since_seconds, member=None, community=None, channel_id=None):  # type: ignore[no-untyped-def]
        if self._auth_broken():
            raise PausedDeliveryError("invalid_auth", scope=WORKSPACE[self.platform])
        if self.platform == "discord" and since_seconds < NONCE_WINDOW.total_seconds():
            return None  # the nonce covers a resend this soon
        if key in self.accepted:
            self.found += 1
            return Delivery(message_id=key[:64], channel_id=channel_id or f"D{member.user_id}")
        return None

    def _accept(self, user: str, key: str) -> None:
        now = self.clock.now()
        self.raw[key] += 1
        first = self.accepted.get(key)
        if first is not None:
            if self.platform == "discord" and now - first[1] < NONCE_WINDOW:
                return  # Discord hands back the message the nonce already made
            self.visible[key] += 1
            return
        self.visible[key] += 1
        self.accepted[key] = (user, now)
        model = self.models[user]
        if model.paused(now):
            self.while_paused.append(key)
        if key.startswith("checkin:") and model.opted_out(now):
            self.while_opted_out.append(key)

    async def send_dm(self, member, reply, *, key, dm_channel_id=None) -> Delivery:  # type: ignore[no-untyped-def]
        if self.crash_after is not None:
            if self.crash_after == 0:
                self.crash_after = None
                self.faults["crash_after_accept" if self.crash_after_accept else "crash_before_send"] += 1
                if self.crash_after_accept:
                    self._accept(member.user_id, key)
                    self.ambiguous.add(key)
                raise SimulatedCrash
            self.crash_after -= 1
        now = self.clock.now()
        if self.auth_armed is not None:
            self.auth_until, self.auth_armed = now + self.auth_armed, None
        if self._auth_broken():
            self.faults["auth"] += 1
            raise PausedDeliveryError("invalid_auth", scope=WORKSPACE[self.platform])
        if self.storm_until is not None and now < self.storm_until:
            self.faults["429"] += 1
            raise RetryableDeliveryError("rate limited", retry_after=self.rng.uniform(0.5, 60))
        roll = self.rng.random()
        if roll < self.p_5xx:
            self.faults["5xx"] += 1
            raise RetryableDeliveryError("HTTP 503")
        roll -= self.p_5xx
        if roll < self.p_timeout:
            self.faults["timeout"] += 1
            raise TimeoutError
        roll -= self.p_timeout
        self._accept(member.user_id, key)
        if roll < self.p_ambiguous:  # accepted, but the answer never arrived
            self.faults["timeout_after_accept"] += 1
            self.ambiguous.add(key)
            raise TimeoutError
        return Delivery(message_id=key[:64], channel_id=f"D{member.user_id}")

    async def post_channel(self, *args, **kwargs) -> Delivery:  # type: ignore[no-untyped-def]
        raise AssertionError("no channel posts in this soak")


class DatabaseFaults:
    """Statements on one engine fail while `gone` > 0 (with that probability)."""

    def __init__(self, engine: AsyncEngine, rng: random.Random) -> None:
        self.gone = 0.0
        self.rng = rng
        self.raised = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)

    def _before(self, *_args) -> None:  # type: ignore[no-untyped-def]
        if self.gone and self.rng.random() < self.gone:
            self.raised += 1
            raise OperationalError("(simulated)", {}, Exception("database is gone"))


def hold_exclusive_lock(path: str, seconds: float) -> threading.Event:
    """Another connection takes an exclusive lock on the SQLite file for `seconds`."""
    held = threading.Event()

    def run() -> None:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        held.set()
        time.sleep(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    threading.Thread(target=run, daemon=True).start()
    held.wait(30)
    return held


@dataclass
class Report:
    members: int
    days: int
    steps: int = 0
    seconds: float = 0.0
    delivered: int = 0
    checkins_expected: int = 0
    checkins_delivered: int = 0
    checkins_optional: int = 0
    engine_checkins: int = 0
    engine_errors: int = 0
    engine_error_texts: set[str] = field(default_factory=set)
    pauses: int = 0
    optouts: int = 0
    crashes: int = 0
    claim_failures: int = 0
    drain_failures: int = 0
    db_errors_injected: int = 0
    locks: int = 0
    storms: int = 0
    killed_subprocess: bool = False
    killed_rows: int = 0
    raw_repeats: int = 0
    visible_duplicates: int = 0
    found_before_resend: int = 0
    switched_off: int = 0
    auth_outages: int = 0
    platform: str = "discord"
    faults: dict[str, int] = field(default_factory=dict)
    outbox: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [
            f"soak ({self.platform} model): {self.members} members x {self.days} days, {self.steps} steps, "
            f"{self.seconds:.1f}s",
            f"  delivered {self.delivered} DMs; check-ins {self.checkins_delivered}/{self.checkins_expected} "
            f"(+{self.checkins_optional} paused or opted out later the same day)",
            f"  engine check-ins {self.engine_checkins} (failed {self.engine_errors}); "
            f"pauses {self.pauses}, opt-outs/ins {self.optouts} {sorted(self.engine_error_texts)}",
            f"  crashes {self.crashes}, claim passes failed {self.claim_failures}, drains failed "
            f"{self.drain_failures}, db errors injected {self.db_errors_injected}, exclusive locks "
            f"{self.locks}, 429 storms {self.storms}",
            f"  subprocess SIGKILLed mid-send: {self.killed_subprocess} "
            f"({self.killed_rows} rows left claimed)",
            f"  platform faults {dict(sorted(self.faults.items()))}; "
            f"raw resends {self.raw_repeats}, visible duplicates {self.visible_duplicates}, "
            f"found before resending {self.found_before_resend}",
            f"  token outages {self.auth_outages}; members switched off {self.switched_off}",
            f"  outbox at the end {dict(sorted(self.outbox.items()))}",
            f"  problems: {len(self.problems)}",
        ]
        lines += [f"    - {p}" for p in self.problems[:30]]
        return "\n".join(lines)


async def _kill_a_delivery_process(url: str, now: datetime, tmp: Path) -> tuple[bool, int]:
    marker = tmp / "worker-started"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.soak.worker", url, now.isoformat(), str(marker),
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    # Polling a file another process writes; there is no event to wait on.
    while not marker.exists() and proc.returncode is None and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    started = marker.exists()
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    return started, 0


async def run_soak(
    tmp: Path,
    catalog: Catalog,
    members: int = 60,
    days: int = 14,
    seed: int = 8,
    kill_subprocess: bool = False,
    platform_name: str = "discord",
) -> Report:
    started_at = time.monotonic()
    rng = random.Random(seed)
    db_file = tmp / "soak.db"
    url = f"sqlite+aiosqlite:///{db_file}"
    await upgrade(url)
    clock = FrozenClock(START)
    app = build_app(Settings(_env_file=None, database_url=url), clock=clock, catalog=catalog)
    sched_db = make_engine(url)
    sched = App(app.settings, sched_db, make_sessionmaker(sched_db), catalog, clock, app.engine)
    db_faults = DatabaseFaults(sched_db, random.Random(seed + 1))
    report = Report(members, days, platform=platform_name)

    models: dict[str, Model] = {}
    for i in range(members):
        hh = rng.randint(7, 17)
        mm = rng.choice([m for m in range(5, 60, 5) if m != 30])
        m = Model(f"m{i}", ZoneInfo(rng.choice(ZONES)), f"{hh:02d}:{mm:02d}", platform=platform_name)
        reply = await app.engine.command(
            m.key, "settings", {"timezone": m.tz.key, "checkin_time": m.checkin_time}
        )
        assert not reply.error, reply
        if rng.random() < 0.5:
            await app.engine.action(m.key, "learn:enrol:ai-engineer")
        models[m.user] = m
    async with app.sessions() as s:
        for member in (await s.execute(select(Member))).scalars():
            models[member.user_id].member_id = member.id

    platform = Platform(random.Random(seed + 2), clock, models, platform=platform_name)
    metrics = Metrics()
    fake_now = [0.0]

    async def fake_sleep(seconds: float) -> None:
        fake_now[0] += seconds

    limiter = CountingLimiter(
        platform_limiter(platform_name, 40.0, 1.0, monotonic=lambda: fake_now[0], sleep=fake_sleep),
        metrics,
        platform_name,
        monotonic=lambda: fake_now[0],
    )
    generation = 0

    def dispatcher() -> Dispatcher:
        return Dispatcher(
            sched.sessions,
            clock,
            GuardedMessenger(platform, metrics),
            limiter,  # type: ignore[arg-type]
            lease_seconds=300,
            max_attempts=8,
            worker=f"sim-{generation}",
            rng=random.Random(seed + 3 + generation),
        )

    current = dispatcher()
    end = START + timedelta(days=days)
    settle_until = end + timedelta(hours=6)  # faults stop at `end`; retries finish
    kill_at = START + timedelta(days=max(1, days // 2)) if kill_subprocess else None
    last_claim = START
    t = START
    while t < settle_until:
        t += STEP
        clock.set(t)
        report.steps += 1
        faulty = t < end
        if not faulty:  # settling: the platform behaves, so the last retries can land
            platform.p_5xx = platform.p_timeout = platform.p_ambiguous = 0.0
            platform.storm_until = platform.auth_until = platform.auth_armed = None
        # Every kind of fault happens at least once, early on, whatever the seed; then at random.
        forced = FORCED.get(report.steps) if faulty else None
        if forced == "storm" or (faulty and rng.random() < 0.008):
            platform.storm_until = t + timedelta(minutes=rng.choice([20, 45, 70]))
            report.storms += 1
        if forced == "auth" or (faulty and rng.random() < 0.006):
            platform.auth_armed = timedelta(minutes=rng.choice([1, 10, 50]))
            report.auth_outages += 1
        gone = forced == "db_gone" or (faulty and rng.random() < 0.02)
        db_faults.gone = (1.0 if forced == "db_gone" else rng.choice([0.2, 0.5])) if gone else 0.0
        lock = forced == "lock" or (faulty and report.locks < 3 and rng.random() < 0.004)
        if lock:
            report.locks += 1
            hold_exclusive_lock(str(db_file), 0.3)
        try:
            await claim_pass(sched)
            claim_ok = True
            last_claim = t
        except OperationalError:
            claim_ok = False
            report.claim_failures += 1
        if kill_at is not None and t >= kill_at and claim_ok and not db_faults.gone:
            kill_at = None
            report.killed_subprocess, _ = await _kill_a_delivery_process(url, t, tmp)
            async with app.sessions() as s:
                report.killed_rows = len(
                    (
                        await s.execute(
                            select(OutboxMessage.id).where(OutboxMessage.claimed_by == "killed-worker")
                        )
                    ).all()
                )
        if forced in ("crash_before", "crash_after") or (faulty and rng.random() < 0.04):
            platform.crash_after = rng.randint(0, 4) if forced is None else 0
            platform.crash_after_accept = forced == "crash_after" or (forced is None and rng.random() < 0.5)
        sent_before = set(platform.accepted)
        try:
            await current.drain()
        except SimulatedCrash:
            report.crashes += 1
            generation += 1
            current = dispatcher()  # the restarted process
        except OperationalError:
            report.drain_failures += 1
            # Whatever the platform accepted this pass may not be marked sent: a repeat is possible.
            platform.ambiguous |= set(platform.accepted) - sent_before
        db_faults.gone = 0.0  # an armed crash stays armed until the next send
        if not claim_ok or not faulty:
            continue
        for m in models.values():
            local = t.astimezone(m.tz)
            if 8 <= local.hour < 22 and rng.random() < 0.07:
                reply = await app.engine.command(m.key, "checkin", {"minutes": rng.choice([15, 30, 60])})
                if reply.error:
                    report.engine_errors += 1
                    report.engine_error_texts.add(render_text(reply)[:120])
                else:
                    report.engine_checkins += 1
                    m.logged.add(local.date())
            roll = rng.random()
            if roll < 0.0012:
                until = local.date() + timedelta(days=rng.randint(1, 6))
                reply = await app.engine.command(m.key, "settings", {"pause_until": until.isoformat()})
                assert not reply.error, reply
                m.pauses.append((t, until))
                report.pauses += 1
            elif roll < 0.0018 and m.paused(t):
                reply = await app.engine.command(m.key, "settings", {"pause_until": "off"})
                assert not reply.error, reply
                m.pauses.append((t, None))
                report.pauses += 1
            elif roll < 0.0024 or (m.opted_out(t) and roll < 0.008):
                out = not m.opted_out(t)
                reply = await app.engine.command(
                    m.key, "settings", {"stream": "checkin", "enabled": "off" if out else "on"}
                )
                assert not reply.error, reply
                m.optouts.append((t, out))
                report.optouts += 1

    report.db_errors_injected = db_faults.raised
    report.faults = dict(platform.faults)
    await _check(app, models, platform, report, START, last_claim)
    report.seconds = time.monotonic() - started_at
    await sched_db.dispose()
    await app.close()
    return report


async def _check(
    app: App, models: dict[str, Model], platform: Platform, report: Report, created: datetime, last: datetime
) -> None:
    problems = report.problems
    by_user: dict[str, set[str]] = {}
    for key, (user, _) in platform.accepted.items():
        if key.startswith("checkin:"):
            by_user.setdefault(user, set()).add(key)
    report.delivered = len(platform.accepted)
    for m in models.values():
        expected, optional = m.expected_checkins(created, last)
        got = by_user.get(m.user, set())
        report.checkins_expected += len(expected)
        report.checkins_delivered += len(got & expected)
        report.checkins_optional += len(optional)
        if missing := sorted(expected - got):
            problems.append(f"{m.user} ({m.tz.key}) missed {missing}")
        if extra := sorted(got - expected - optional):
            problems.append(f"{m.user} ({m.tz.key}) got unexpected {extra}")
    repeats = {k: n for k, n in platform.raw.items() if n > 1}
    report.raw_repeats = sum(n - 1 for n in repeats.values())
    seen_twice = {k: n for k, n in platform.visible.items() if n > 1}
    report.visible_duplicates = sum(n - 1 for n in seen_twice.values())
    report.found_before_resend = platform.found
    if seen_twice:
        problems.append(f"members saw these more than once: {sorted(seen_twice)[:20]}")
    if unexplained := sorted(set(repeats) - platform.ambiguous):
        problems.append(f"sent more than once without an ambiguous failure: {unexplained}")
    if platform.while_paused:
        problems.append(f"sent while paused: {platform.while_paused}")
    if platform.while_opted_out:
        problems.append(f"check-in sent while opted out: {platform.while_opted_out}")
    async with app.sessions() as s:
        rows = list((await s.execute(select(OutboxMessage))).scalars())
        for row in rows:
            report.outbox[row.status] = report.outbox.get(row.status, 0) + 1
            if row.status == "sending":
                problems.append(f"stuck in 'sending': {row.key}")
            if row.status == "pending" and row.not_before <= last:
                problems.append(f"due but still pending: {row.key}")
            if row.status == "failed":
                problems.append(f"failed: {row.key} ({row.last_error})")
            if row.status == "sent" and row.key not in platform.accepted:
                problems.append(f"marked sent but never accepted: {row.key}")
        for m in models.values():
            member = await s.get(Member, m.member_id)
            assert member is not None
            if member.dm_blocked_reason:
                report.switched_off += 1
                problems.append(f"{m.user} switched off: {member.dm_blocked_reason}")
            call = Call(s, app.catalog, app.clock, m.key, _member=member)
            st = await studylog.streak(call, member)
            want = reference_streak(m.logged, m.local(app.clock.now()), m.held(app.clock.now()))
            if st.current != want:
                problems.append(f"{m.user} streak {st.current}, logs imply {want}")

"""Delivers pending outbox rows through a Messenger, at most once per key where the platform helps.

A row is claimed (status 'sending', claimed_at, claimed_by) in one short
transaction and its outcome written in another, so a crash in between loses
nothing. Leases:
- the lease is renewed just before each send, only while this worker still holds the
  row; a row it no longer holds is not sent;
- a drain never claims a row its own process is still working on (`_HELD`), only expired
  claims of other workers or of drains that ended;
- when the platform asks for a wait longer than half the lease, the rows waiting for it
  go back to 'pending' with that not-before time instead of sitting claimed;
- on start-up, rows held by dead processes of this host are released at once.
A row whose earlier attempt may have reached the platform (a crash, timeout, 5xx or
reset mid-send) is looked for first (`find_sent`: Slack's message metadata, Discord's
recent channel history past its nonce window) and only sent when it is not there.

Throughput: the next chunk is claimed while the current one is being sent, sends
run in up to `concurrency` tasks across chunk boundaries, and the 'sent' outcomes
of sends that finish together are written in one transaction (group commit). A
send's task still waits until its outcome is written, so at most the sends in
flight are unrecorded at any moment, as before.

Outcomes:
- sent: message id kept, the DM channel id cached on the member;
- expired before it could go out: 'dropped', last_error 'stale' (never sent late in a burst);
- inside the member's quiet hours: waits until they end, or is dropped if that is too late;
- RetryableDeliveryError or any other error: retried with exponential backoff and
  jitter, no sooner than Retry-After; 'failed' after the last attempt;
- PermanentDeliveryError (about the member: DMs closed, user gone): 'failed', and for a
  DM every stream of that member is turned off and the member told the next time they
  use the bot;
- PausedDeliveryError (token, scope or install broken): the row goes back to 'pending',
  unchanged, and delivery pauses for the platform or workspace until a probe succeeds
  (`bot.scheduler.pauses`);
- RejectedDeliveryError (a 400: this message is malformed): 'failed', logged with the
  payload's shape; nothing else changes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.call import Call
from bot.core.clock import Clock, FrozenClock
from bot.core.features.reminders import handlers as reminders
from bot.core.identity import CommunityKey, MemberKey
from bot.core.ports import (
    Delivery,
    Messenger,
    PausedDeliveryError,
    PermanentDeliveryError,
    RejectedDeliveryError,
    RetryableDeliveryError,
)
from bot.core.replies import Reply
from bot.core.reply_codec import reply_from_dict, reply_to_dict
from bot.scheduler import community_actions
from bot.scheduler.decide import Drop, GiveUp, Wait, decide
from bot.scheduler.pauses import DeliveryPauses
from bot.scheduler.ratelimit import RateLimiter, WaitTooLong, keys_for
from content.loader import load_default_catalog
from content.schema import Catalog
from storage import outbox_store as store
from storage import review_queries
from storage.models import Community, CommunityPaper, Member, OutboxMessage, Schedule
from storage.outbox_status import Status
from storage.outbox_store import SentRow

log = logging.getLogger(__name__)

BACKOFF_BASE = 5.0
BACKOFF_CAP = 30 * 60.0
CLAIM_CHUNK = 50
# 'sent' outcomes written per transaction, so that a drain never holds the write lock for long.
SENT_PER_TRANSACTION = 100
GLOBAL_KEY = ("global",)
# A send that hangs must not stall the drain job; well inside the claim lease.
SEND_TIMEOUT = 60.0


# Tells this process from an earlier one with the same pid (a container's pid 1 restarting).
_PROCESS_TOKEN = secrets.token_hex(4)
# Outcomes after which the platform certainly created nothing: no need to look before resending.
_CLEAN_OUTCOMES = ("rate_limited", "ratelimited", "could not build", "paused", "waiting out")


# Outbox ids this process's drains have claimed and not yet settled or given up on. A drain
# never claims these again, however long they wait; rows a failed drain left behind are not
# in it, and are taken again after the lease like any other worker's.
_HELD: set[int] = set()


def _host() -> str:
    return socket.gethostname()[:40]


def worker_name() -> str:
    return f"{_host()}:{os.getpid()}:{_PROCESS_TOKEN}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def dead_worker(claimed_by: str, me: str, alive: Callable[[int], bool] = pid_alive) -> bool:
    """True when `claimed_by` names a process of this host that is no longer running."""
    host, _, rest = claimed_by.partition(":")
    my_host, _, my_rest = me.partition(":")
    if host != my_host or claimed_by == me:
        return False
    pid_text = rest.partition(":")[0]
    my_pid = my_rest.partition(":")[0]
    if not pid_text.isdigit():
        return False
    if pid_text == my_pid:
        return True  # our pid, another token: an earlier process that had it
    return not alive(int(pid_text))


def _ambiguous(row: OutboxMessage) -> bool:
    """An earlier attempt may have reached the platform: the row was claimed and not settled
    cleanly (a crash, timeout, 5xx or dropped connection)."""
    if row.attempts <= 0:
        return False
    if row.status == Status.SENDING:
        return True
    return not (row.last_error or "").startswith(_CLEAN_OUTCOMES)


def payload_shape(payload: dict[str, Any]) -> dict[str, Any]:
    """What a refused message looked like, without its text: keys, sizes and counts."""
    reply = payload.get("reply") if isinstance(payload.get("reply"), dict) else {}

    def size(value: Any) -> Any:
        if isinstance(value, str):
            return f"str[{len(value)}]"
        if isinstance(value, (list, tuple)):
            return f"list[{len(value)}]"
        if isinstance(value, dict):
            return f"dict[{len(value)}]"
        return type(value).__name__

    return {
        "payload": sorted(payload),
        "reply": {k: size(v) for k, v in sorted((reply or {}).items())},
    }


def backoff(attempt: int, rng: random.Random) -> float:
    """Exponential with 'equal jitter': between half and all of base * 2^(attempt-1), capped."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass
class DrainStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    deferred: int = 0
    rate_limited: int = 0
    paused: int = 0
    handed_back: int = 0
    found: int = 0
    lost_lease: int = 0

    def __str__(self) -> str:
        text = (
            f"sent {self.sent}, retrying {self.retried}, failed {self.failed}, "
            f"dropped {self.dropped}, held for quiet hours {self.deferred}"
        )
        extra = [
            f"{label} {n}"
            for label, n in (
                ("held for a pause", self.paused),
                ("handed back for a long wait", self.handed_back),
                ("already delivered", self.found),
                ("taken over", self.lost_lease),
            )
            if n
        ]
        return ", ".join([text, *extra])


@dataclass
class _Job:
    id: int
    key: str
    target: str
    attempts: int
    payload: dict[str, Any]
    member_id: int | None = None
    member: MemberKey | None = None
    dm_channel_id: str | None = None
    community: CommunityKey | None = None
    channel_id: str | None = None
    limit_keys: tuple[Hashable, ...] = field(default=())
    stream: str = ""
    due: datetime | None = None
    built: bool = False
    workspace: str | None = None
    # When an earlier attempt may have reached the platform: when that attempt was made.
    earlier_attempt: datetime | None = None
    claimed_at: datetime | None = None
    review_due: int | None = None


@dataclass
class _Sent:
    job: _Job
    delivery: Delivery
    at: datetime


class _GroupCommit:
    """Writes the 'sent' outcomes of sends that finish close together in one transaction.

    `record` returns once the caller's outcome is committed, so a send's task never moves on
    with its row still 'sending' (the shutdown path returns such rows to the queue). While one
    write runs, outcomes that arrive queue up and go in the next write together. The writes
    run in their own task: a caller cancelled while it waits does not cancel the write of an
    outcome whose message was already sent.
    """

    def __init__(self, write: Callable[[list[_Sent]], Awaitable[None]]) -> None:
        self._write = write
        self._queued: list[tuple[_Sent, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, outcome: _Sent) -> None:
        done = asyncio.get_running_loop().create_future()
        self._queued.append((outcome, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._run())
        await done

    async def _run(self) -> None:
        while self._queued:
            batch, self._queued = self._queued[:SENT_PER_TRANSACTION], self._queued[SENT_PER_TRANSACTION:]
            try:
                await self._write([outcome for outcome, _ in batch])
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            except BaseException:
                for _, done in batch + self._queued:
                    done.cancel()
                self._queued = []
                raise
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


@dataclass
class _Run:
    """One drain's shared state: send slots, the group commit, members found blocked."""

    gate: asyncio.Semaphore
    sent: _GroupCommit
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    blocked: set[int] = field(default_factory=set)
    error: BaseException | None = None
    stop_claiming: bool = False
    ids: set[int] = field(default_factory=set)

    def check(self) -> None:
        if self.error is not None:
            raise self.error


class Dispatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        messenger: Messenger,
        limiter: RateLimiter,
        *,
        lease_seconds: float = 120.0,
        max_attempts: int = 8,
        worker: str | None = None,
        rng: random.Random | None = None,
        catalog: Catalog | None = None,
        concurrency: int = 1,
        pauses: DeliveryPauses | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.messenger = messenger
        self.platform = messenger.platform
        self.limiter = limiter
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self.worker = worker or worker_name()
        self.rng = rng or random.Random()
        self.catalog = catalog
        self.concurrency = max(1, concurrency)
        self.pauses = pauses or DeliveryPauses()
        self._released_dead = False

    async def drain(self, max_rows: int | None = None) -> DrainStats:
        """Send everything deliverable now; returns what happened.

        The next chunk is claimed while the current one is sent, so the platform's budget is
        not left idle during a claim. Besides the sends in flight, at most two chunks wait
        claimed and unsent, well inside the lease even at Slack's one message a second.
        """
        stats = DrainStats()
        if not self._released_dead:
            await self.release_dead_claims()
            self._released_dead = True
        await self._probe_pauses()
        if self.pauses.blocks(self.platform, None) is not None:
            return stats
        run = _Run(asyncio.Semaphore(self.concurrency), _GroupCommit(self._write_sent))
        ahead: asyncio.Task[tuple[list[_Job], int]] | None = None
        try:
            handled = 0
            limit = _chunk(handled, max_rows)
            jobs, claimed = await self._claim(limit, stats)
            run.ids.update(j.id for j in jobs)
            while True:
                handled += claimed
                more = (
                    claimed >= limit
                    and (max_rows is None or handled < max_rows)
                    and not run.stop_claiming
                    and self.pauses.blocks(self.platform, None) is None
                )
                if more:
                    limit = _chunk(handled, max_rows)
                    ahead = asyncio.create_task(self._claim(limit, stats))
                await self._deliver_all(jobs, stats, run)
                if ahead is None:
                    break
                jobs, claimed = await ahead
                run.ids.update(j.id for j in jobs)
                ahead = None
            if run.tasks:
                await asyncio.wait(set(run.tasks))
            run.check()
        except BaseException:
            me = asyncio.current_task()
            if me is not None and me.cancelling():
                for task in run.tasks:
                    task.cancel()
            raise
        finally:
            if ahead is not None and not ahead.done():
                ahead.cancel()
            if ahead is not None:
                await asyncio.wait({ahead})
                if not ahead.cancelled() and ahead.exception() is None:
                    run.ids.update(j.id for j in ahead.result()[0])
                # claimed rows go out after the lease (or are released)
            if run.tasks:
                await asyncio.wait(set(run.tasks))
            _HELD.difference_update(run.ids)
        return stats

    async def release_dead_claims(self) -> int:
        """Rows held ('sending') by processes of this host that have died go back to 'pending'
        at once, rather than after the lease. Attempts and claimed_at are kept: the message
        may have gone out, so the next attempt looks for it first."""
        async with self.sessions() as session, session.begin():
            released, dead = await store.release_dead(
                session, self.platform, _host() + ":", lambda w: dead_worker(w, self.worker)
            )
        if released:
            log.warning("released %d message(s) held by stopped process(es) %s", released, ", ".join(dead))
        return released

    async def _probe_pauses(self) -> None:
        now = self.clock.now()
        for pause in self.pauses.due_for_probe(self.platform, now):
            probe = getattr(self.messenger, "probe", None)
            try:
                ok = True if probe is None else bool(await probe(pause.scope))
            except Exception as exc:
                log.info("probe of %s raised %s", pause.label, type(exc).__name__)
                ok = False
            if ok:
                self.pauses.resume(self.platform, pause.scope, now)
            else:
                self.pauses.probe_failed(self.platform, pause.scope, now)

    async def _claim(self, limit: int, stats: DrainStats) -> tuple[list[_Job], int]:
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            stmt = store.claimable(
                session,
                self.platform,
                now,
                self.lease,
                limit,
                held=_HELD,
                paused_workspaces=self.pauses.workspaces(self.platform),
            )
            rows = list((await session.execute(stmt)).scalars())
            related = await _load_related(session, rows, now)
            jobs = []
            for row in rows:
                job = self._prepare(row, related, now, stats)
                if job is not None:
                    jobs.append(job)
            _HELD.update(job.id for job in jobs)
        return jobs, len(rows)

    def _prepare(
        self, row: OutboxMessage, related: _Related, now: datetime, stats: DrainStats
    ) -> _Job | None:
        """Apply `decide` to a claimed row: a job to send, or the row settled in the claim's transaction."""
        member = related.members.get(row.member_id) if row.target == "dm" and row.member_id else None
        stream = related.streams.get((member.id, row.stream)) if member is not None else None
        community = related.communities.get(row.community_id) if row.community_id else None
        outcome = decide(
            row,
            member,
            None if stream is None else stream.enabled,
            community is not None,
            now,
            self.max_attempts,
        )
        if isinstance(outcome, Drop):
            row.status, row.last_error = Status.DROPPED, outcome.reason
            stats.dropped += 1
            return None
        if isinstance(outcome, GiveUp):
            row.status, row.last_error = Status.FAILED, outcome.reason
            stats.failed += 1
            return None
        if isinstance(outcome, Wait):
            row.status, row.not_before = Status.PENDING, outcome.until
            stats.deferred += 1
            return None
        job = _Job(row.id, row.key, row.target, row.attempts + 1, dict(row.payload or {}))
        if _ambiguous(row):
            job.earlier_attempt = row.claimed_at or now
        if member is not None:
            job.member_id = member.id
            job.member = MemberKey(member.platform, member.workspace_id, member.user_id)
            job.stream = row.stream
            due_text = job.payload.get("due")
            job.due = datetime.fromisoformat(due_text) if due_text else row.not_before
            job.dm_channel_id = member.dm_channel_id
            job.workspace = member.workspace_id
            job.review_due = related.review_due.get(member.id)
            channel = member.dm_channel_id or f"user:{member.user_id}"
            job.limit_keys = keys_for(member.workspace_id, channel)
        else:
            assert community is not None and row.channel_id
            job.community = CommunityKey(community.platform, community.workspace_id)
            job.workspace = community.workspace_id
            job.channel_id = row.channel_id
            job.limit_keys = keys_for(community.workspace_id, row.channel_id)
        store.claim(row, self.worker, now, job.attempts)
        job.claimed_at = now
        return job

    async def _build(self, job: _Job) -> Reply | None:
        """The message for a claimed slot, built at its first delivery and then kept for retries.

        Building here, in its own short transaction and alongside other sends, keeps both the
        claim of a peak minute and the dispatcher's claim of a chunk cheap; the content reflects
        the member's state when the message actually goes out.
        """
        assert job.member is not None and job.member_id is not None and job.due is not None
        async with self.sessions() as session, session.begin():
            member = await session.get(Member, job.member_id)
            if member is None:
                return None
            catalog = self.catalog or load_default_catalog()
            call = Call(session, catalog, FrozenClock(self.clock.now()), job.member, _member=member)
            return await reminders.reply_for(call, member, job.stream, job.due, job.review_due)

    async def _ensure_built(self, job: _Job, stats: DrainStats) -> bool:
        """Build a DM queued without content; False when it was dropped or put back instead."""
        if job.target != "dm" or "reply" in job.payload:
            return True
        try:
            reply = await self._build(job)
        except Exception as exc:
            log.warning("building %s failed: %s", job.key, type(exc).__name__, exc_info=True)
            await self._retry(job, f"could not build: {type(exc).__name__}", None, stats)
            return False
        if reply is None:
            await self._drop(job, "nothing to send")
            stats.dropped += 1
            return False
        job.payload["reply"] = reply_to_dict(reply)
        job.built = True
        return True

    async def _send(self, job: _Job) -> Delivery:
        reply = reply_from_dict(job.payload.get("reply") or {})
        if job.target == "dm":
            assert job.member is not None
            return await self.messenger.send_dm(
                job.member, reply, key=job.key, dm_channel_id=job.dm_channel_id
            )
        assert job.community is not None and job.channel_id is not None
        if job.target in community_actions.TARGETS:
            return await community_actions.send(
                self.messenger, job.target, job.community, job.channel_id, job.payload, job.key
            )
        thread = job.payload.get("thread_reply")
        return await self.messenger.post_channel(
            job.community,
            job.channel_id,
            reply,
            key=job.key,
            thread_name=job.payload.get("thread_name"),
            thread_reply=reply_from_dict(thread) if thread else None,
        )

    async def _deliver_all(self, jobs: list[_Job], stats: DrainStats, run: _Run) -> None:
        """Start each job as a send slot frees up; returns once the last one has started.

        Several sends stay in flight so network latency does not cap throughput; the rate
        limiter, not this, decides the pace. Slots are shared across chunks, so the next
        chunk's sends start while this one's last sends finish. With one slot the drain's
        own task sends, one job after another.
        """
        for job in jobs:
            run.check()
            if self.concurrency == 1:
                await self._deliver(job, stats, run)
                continue
            await run.gate.acquire()
            if run.error is not None:
                run.gate.release()
                run.check()
            task = asyncio.create_task(self._deliver_in_slot(job, stats, run))
            run.tasks.add(task)
            task.add_done_callback(run.tasks.discard)

    async def _deliver_in_slot(self, job: _Job, stats: DrainStats, run: _Run) -> None:
        """The first failure (including a send refused at shutdown) stops the drain starting
        more; sends already in flight finish."""
        try:
            await self._deliver(job, stats, run)
        except BaseException as exc:
            if run.error is None:
                run.error = exc
        finally:
            run.gate.release()

    async def _deliver(self, job: _Job, stats: DrainStats, run: _Run) -> None:
        if job.member_id is not None and job.member_id in run.blocked:
            # A DM to this member failed permanently earlier in this drain, after this row
            # was claimed (so the pending rows dropped then did not include it).
            await self._drop(job, "DMs blocked")
            stats.dropped += 1
            return
        pause = self.pauses.blocks(self.platform, job.workspace)
        if pause is not None:
            await self._hand_back(job, None, f"paused: {pause.reason}")
            stats.paused += 1
            return
        if not await self._ensure_built(job, stats):
            return
        max_wait = self.lease.total_seconds() / 2
        try:
            await self.limiter.acquire(job.limit_keys, max_wait)
            if job.target == "dm" and job.dm_channel_id is None:
                # The messenger opens the DM channel first: one more request against the bot's
                # global budget (Discord), so take a second global token rather than draw 429s.
                await self.limiter.acquire([k for k in job.limit_keys if k == GLOBAL_KEY], max_wait)
        except WaitTooLong as exc:
            # Waiting this long would outlive the claim: give the row back until the wait is over.
            await self._hand_back(job, exc.seconds, f"waiting out a {exc.seconds:.0f} s rate limit")
            stats.handed_back += 1
            run.stop_claiming = True
            return
        if not await self._renew(job):
            log.warning("%s was taken over by another worker before it was sent; not sending", job.key)
            stats.lost_lease += 1
            return
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                found = await self._find_earlier(job)
                if found is not None:
                    stats.found += 1
                    log.info("%s was delivered by an earlier attempt; not sending again", job.key)
                    delivery = found
                else:
                    delivery = await self._send(job)
        except PausedDeliveryError as exc:
            scope = None if self.platform == "discord" else (exc.scope or job.workspace)
            self.pauses.pause(self.platform, scope, exc.reason, self.clock.now())
            await self._hand_back(job, None, f"paused: {exc.reason}")
            stats.paused += 1
        except RejectedDeliveryError as exc:
            log.warning(
                "%s refused by %s (%s); failing this message only. Payload shape: %s",
                job.key,
                self.platform,
                exc.reason,
                payload_shape(job.payload),
            )
            await self._fail(job, f"rejected: {exc.reason}")
            stats.failed += 1
        except PermanentDeliveryError as exc:
            await self._permanent(job, exc.reason)
            if job.member_id is not None:
                run.blocked.add(job.member_id)
            stats.failed += 1
        except RetryableDeliveryError as exc:
            if exc.retry_after is not None:
                stats.rate_limited += 1
                self.limiter.block(job.limit_keys, exc.retry_after)
                if exc.retry_after > max_wait:
                    run.stop_claiming = True
            await self._retry(job, exc.reason, exc.retry_after, stats)
        except Exception as exc:  # timeouts, 5xx surfaced as exceptions, adapter bugs
            log.warning("delivery of %s failed: %s", job.key, type(exc).__name__)
            await self._retry(job, f"{type(exc).__name__}: {exc}", None, stats)
        else:
            await run.sent.record(_Sent(job, delivery, self.clock.now()))
            stats.sent += 1

    async def _renew(self, job: _Job) -> bool:
        """Renew the claim just before sending; False when this worker no longer holds the row.

        A claim so fresh that the lease outlasts even a send that runs to its timeout needs no
        write: no other worker may take it before then. That keeps a drain's hot path free of an
        extra transaction per message; rows that waited (a rate limit, a slow chunk) renew.
        """
        now = self.clock.now()
        if job.claimed_at is not None and now - job.claimed_at + timedelta(seconds=SEND_TIMEOUT) < self.lease:
            return True
        async with self.sessions() as session, session.begin():
            renewed = await store.renew(session, job.id, self.worker, now)
        if renewed:
            job.claimed_at = now
            return True
        return False

    async def _find_earlier(self, job: _Job) -> Delivery | None:
        """For a resend after an unclear attempt: the message that attempt created, if any."""
        if job.earlier_attempt is None or job.target in community_actions.TARGETS:
            return None
        find = getattr(self.messenger, "find_sent", None)
        if find is None:
            return None
        since = max(0.0, (self.clock.now() - job.earlier_attempt).total_seconds())
        reply = reply_from_dict(job.payload.get("reply") or {})
        if job.target == "dm":
            return await find(
                key=job.key, reply=reply, since_seconds=since, member=job.member, channel_id=job.dm_channel_id
            )
        return await find(
            key=job.key, reply=reply, since_seconds=since, community=job.community, channel_id=job.channel_id
        )

    async def _hand_back(self, job: _Job, wait: float | None, reason: str) -> None:
        """Return a claimed, unsent row to 'pending' (due after `wait` seconds), attempt not counted.

        claimed_at goes back to the earlier attempt's time when there was one, so a later resend
        still knows how long ago that attempt was; an unclear earlier outcome keeps its error.
        """
        not_before = None if wait is None else self.clock.now() + timedelta(seconds=wait)
        async with self.sessions() as session, session.begin():
            await store.hand_back(
                session,
                job.id,
                self.worker,
                attempts=job.attempts - 1,
                earlier_attempt=job.earlier_attempt,
                not_before=not_before,
                reason=reason if job.earlier_attempt is None else None,
                payload=job.payload if job.built else None,
            )

    async def _fail(self, job: _Job, reason: str) -> None:
        async with self.sessions() as session, session.begin():
            await store.fail(session, job.id, reason, job.payload if job.built else None)
            await community_actions.note_failure(session, job.target, job.payload, reason)

    async def _write_sent(self, outcomes: list[_Sent]) -> None:
        """One transaction for a batch of sends: rows 'sent', new DM channel ids cached,
        posted papers linked to their message."""
        rows = [SentRow(o.job.id, o.at, o.delivery.message_id) for o in outcomes]
        channels = [
            {"id": o.job.member_id, "dm_channel_id": o.delivery.channel_id}
            for o in outcomes
            if o.job.member_id is not None
            and o.delivery.channel_id
            and o.delivery.channel_id != o.job.dm_channel_id
        ]
        papers = [
            {
                "id": o.job.payload["community_paper_id"],
                "channel_id": o.delivery.channel_id,
                "message_id": o.delivery.message_id,
                "thread_id": o.delivery.thread_id,
            }
            for o in outcomes
            if o.job.target == "channel" and isinstance(o.job.payload.get("community_paper_id"), int)
        ]
        async with self.sessions() as session, session.begin():
            await store.mark_sent(session, rows)
            if channels:
                await session.execute(update(Member), channels)
            if papers:
                await session.execute(update(CommunityPaper), papers)
            await community_actions.note_sent(session, [(o.job.target, o.job.payload) for o in outcomes])

    async def _drop(self, job: _Job, reason: str) -> None:
        async with self.sessions() as session, session.begin():
            await store.drop(session, job.id, reason)

    async def _retry(self, job: _Job, reason: str, retry_after: float | None, stats: DrainStats) -> None:
        payload = job.payload if job.built else None  # a retry sends the same message
        async with self.sessions() as session, session.begin():
            if job.attempts >= self.max_attempts:
                await store.fail(session, job.id, reason, payload)
                stats.failed += 1
                return
            delay = max(retry_after or 0.0, backoff(job.attempts, self.rng))
            await store.retry(session, job.id, self.clock.now() + timedelta(seconds=delay), reason, payload)
            stats.retried += 1

    async def _permanent(self, job: _Job, reason: str) -> None:
        """The platform refused for good (DMs closed, user gone); a DM's member is switched off."""
        async with self.sessions() as session, session.begin():
            await store.fail(session, job.id, reason)
            if job.member_id is not None:
                await store.block_member(session, job.member_id, reason, self.clock.now())


def _chunk(handled: int, max_rows: int | None) -> int:
    return CLAIM_CHUNK if max_rows is None else min(CLAIM_CHUNK, max_rows - handled)


@dataclass
class _Related:
    members: dict[int, Member]
    streams: dict[tuple[int, str], Schedule]
    communities: dict[int, Community]
    review_due: dict[int, int] = field(default_factory=dict)


async def _load_related(session: AsyncSession, rows: list[OutboxMessage], now: datetime) -> _Related:
    """The chunk's members (with their due review cards, for the check-ins), their streams and
    communities in three queries rather than one round trip per row: the claim holds SQLite's
    write lock, and sends wait on it to record."""
    dms = [r for r in rows if r.target == "dm" and r.member_id]
    member_ids = {r.member_id for r in dms}
    related = _Related({}, {}, {})
    if member_ids:
        for member, due in await review_queries.members_with_due(session, member_ids, now):
            related.members[member.id] = member
            related.review_due[member.id] = due
        pairs = {(r.member_id, r.stream) for r in dms}
        streams = await session.execute(
            select(Schedule).where(tuple_(Schedule.member_id, Schedule.stream).in_(pairs))
        )
        related.streams = {(st.member_id, st.stream): st for st in streams.scalars()}
    community_ids = {r.community_id for r in rows if r.target != "dm" and r.community_id}
    if community_ids:
        found = await session.execute(select(Community).where(Community.id.in_(community_ids)))
        related.communities = {c.id: c for c in found.scalars()}
    return related

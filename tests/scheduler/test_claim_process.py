"""The claim pass in its own process: the same rows queued, SQLite turns lent by the bot's
write gate, and nothing lost or held when the process dies."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.scheduler.service import claim_pass
from storage.db import gate_key
from storage.gate import local_gate
from storage.models import OutboxMessage
from tests.databases import fresh_database, suite_backend
from tests.scheduler.conftest import T0, make_app
from tests.scheduler.test_bulk import seed

DUE = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)


@pytest.fixture
async def papp(tmp_path, shared_catalog):
    async with fresh_database(suite_backend(), tmp_path) as url:
        from bot.core.clock import FrozenClock

        app = make_app(url, FrozenClock(T0), shared_catalog, claim_process=True)
        yield app
        await app.close()


async def _queued(app) -> int:
    async with app.sessions() as s:
        return (await s.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()


async def _until(condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("timed out")


def _gate(app):
    key = gate_key(app.db)
    return local_gate(key) if key is not None else None


@pytest.fixture
def gate(papp):
    """The bot's write gate for `papp`'s database; the test is skipped on PostgreSQL, which has none."""
    found = _gate(papp)
    if found is None:
        pytest.skip("PostgreSQL has no write gate")
    return found


async def _second_day_due(app, members: int) -> None:
    """`members` members' first day claimed (the process is up), and their second day due now."""
    await seed(app, members, DUE)
    app.clock.set(DUE)
    await claim_pass(app, seed=False)
    app.clock.set(DUE.replace(day=3))
    await seed_more(app)


async def test_the_pass_runs_in_another_process_and_queues_each_due_member_once(papp):
    await seed(papp, 300, DUE)
    papp.clock.set(DUE)
    stats = await claim_pass(papp, seed=False)
    assert stats.queued == 300 and stats.duplicate == 0
    process = papp.claim_process()
    assert process is not None and process.pid not in (None, os.getpid())
    assert await _queued(papp) == 300
    again = await claim_pass(papp, seed=False)
    assert again.queued == 0 and await _queued(papp) == 300
    assert process.starts == 1  # one process for every pass


async def test_on_sqlite_the_pass_writes_only_in_turns_the_bots_gate_grants(papp, gate):
    await _second_day_due(papp, 200)
    await gate.acquire()  # a member's write that takes its time
    try:
        claiming = asyncio.ensure_future(claim_pass(papp, seed=False))
        await asyncio.sleep(0.5)
        assert not claiming.done()
        assert gate.queued == 1  # the claim process's turn, waiting behind the member
        assert await _queued(papp) == 200
    finally:
        gate.release()
    stats = await asyncio.wait_for(claiming, 30)
    assert stats.queued == 200 and await _queued(papp) == 400


async def seed_more(app) -> None:
    """Tomorrow's check-ins for the same members: each is due again at the new clock."""
    from sqlalchemy import update

    from storage.models import Schedule

    async with app.sessions() as s, s.begin():
        await s.execute(update(Schedule).values(next_due_at=app.clock.now()))


async def _second_day_under_way(app) -> asyncio.Future:
    """3,000 members' first day claimed, and their second day's pass started."""
    await _second_day_due(app, 3000)
    return asyncio.ensure_future(claim_pass(app, seed=False))


async def test_a_process_killed_while_waiting_for_a_turn_leaves_the_pass_to_this_process(papp, gate):
    await seed(papp, 100, DUE)
    papp.clock.set(DUE)
    process = papp.claim_process()
    await gate.acquire()
    try:
        claiming = asyncio.ensure_future(claim_pass(papp, seed=False))
        await _until(lambda: gate.queued == 1)
        first = process.pid
        os.kill(first, signal.SIGKILL)
        await _until(lambda: not process.running)  # its place in the queue is given up...
        await _until(lambda: gate.queued == 1)  # ...and the pass, now in this process, waits in one
        assert not claiming.done() and await _queued(papp) == 0
    finally:
        gate.release()
    stats = await asyncio.wait_for(claiming, 30)
    assert stats.queued == 100 and await _queued(papp) == 100
    await claim_pass(papp, seed=False)
    assert process.starts == 2 and process.pid != first


async def test_a_process_killed_holding_a_turn_gives_it_back_and_nothing_is_queued_twice(papp, gate):
    process = papp.claim_process()
    claiming = await _second_day_under_way(papp)
    deadline = asyncio.get_running_loop().time() + 30
    for _ in itertools.count():  # every turn of this loop, which sets and clears the lent turn
        if process.holds_turn or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0)
    assert process.holds_turn, "the claim process never held a turn"
    os.kill(process.pid, signal.SIGKILL)
    await asyncio.wait_for(gate.acquire(), 10)  # the turn came back
    gate.release()
    stats = await asyncio.wait_for(claiming, 60)
    assert stats.errors == 0
    assert await _queued(papp) == 6000  # both days, each member once a day


async def test_with_the_process_switched_off_the_pass_runs_in_this_process(tmp_path, shared_catalog):
    from bot.core.clock import FrozenClock

    async with fresh_database(suite_backend(), tmp_path) as url:
        app = make_app(url, FrozenClock(T0), shared_catalog, claim_process=False)
        try:
            await seed(app, 20, DUE)
            app.clock.set(DUE)
            stats = await claim_pass(app, seed=False)
            assert stats.queued == 20 and app.claim_process() is None
        finally:
            await app.close()


async def test_a_process_killed_mid_pass_on_any_backend_leaves_every_member_queued_once(papp):
    process = papp.claim_process()
    claiming = await _second_day_under_way(papp)
    deadline = asyncio.get_running_loop().time() + 30
    for _ in itertools.count():
        if await _queued(papp) > 3000 or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.001)
    assert not claiming.done(), "the pass finished before it could be cut short"
    first = process.pid
    os.kill(first, signal.SIGKILL)
    stats = await asyncio.wait_for(claiming, 60)
    assert stats.errors == 0
    assert await _queued(papp) == 6000
    await claim_pass(papp, seed=False)
    assert process.pid != first and await _queued(papp) == 6000


async def test_a_pass_under_way_when_the_bot_stops_ends_and_is_not_run_again_here(tmp_path, shared_catalog):
    from bot.core.clock import FrozenClock
    from bot.scheduler.claim_process import ClaimProcessClosed

    async with fresh_database(suite_backend(), tmp_path) as url:
        app = make_app(url, FrozenClock(T0), shared_catalog, claim_process=True)
        gate = _gate(app)
        if gate is None:
            await app.close()
            pytest.skip("PostgreSQL has no write gate to hold the pass at")
        await seed(app, 100, DUE)
        app.clock.set(DUE)
        await gate.acquire()
        claiming = asyncio.ensure_future(claim_pass(app, seed=False))
        await _until(lambda: gate.queued == 1)  # the claim process waits for a turn
        try:
            await app.close()
            with pytest.raises(ClaimProcessClosed):
                await asyncio.wait_for(claiming, 10)
            assert gate.queued == 0  # its place in the queue went with it
        finally:
            gate.release()
        assert app._scheduler_db is None  # nothing ran it in this process instead
        with pytest.raises(ClaimProcessClosed):
            await claim_pass(app, seed=False)

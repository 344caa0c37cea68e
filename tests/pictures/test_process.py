"""The picture process: it draws what a thread would, and a member keeps their picture when it
fails, is stopped or dies."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import replace

import pytest

from bot.core.pictures import burnup, heatmap, process, render, samples, skills
from bot.core.replies import Image, Reply


@pytest.fixture
def worker():
    """A picture process of the test's own, closed afterwards."""
    own = process.PictureProcess(processes=1)
    saved = process.WORKER
    process.WORKER = own
    render.WORKER = own
    render.CACHE.clear()
    try:
        yield own
    finally:
        own.close()
        process.WORKER = saved
        render.WORKER = saved
        render.CACHE.clear()


def _expected() -> list[bytes]:
    return [heatmap.draw(samples.heatmap_spec()), burnup.draw(samples.burnup_spec())]


def _reply() -> Reply:
    return Reply(
        text="numbers",
        images=(
            Image("heatmap.png", "alt", spec=samples.heatmap_spec()),
            Image("burnup.png", "alt", spec=samples.burnup_spec()),
        ),
    )


async def test_the_picture_process_draws_the_same_bytes_as_a_thread_and_not_in_this_process(
    worker, monkeypatch
):
    calls: list[object] = []
    for kind, real in (
        (heatmap.HeatmapSpec, heatmap.draw),
        (burnup.BurnupSpec, burnup.draw),
    ):
        monkeypatch.setitem(render._DRAW, kind, lambda spec, real=real: calls.append(spec) or real(spec))
    drawn = await render.draw_reply(_reply())
    assert [i.png for i in drawn.images] == _expected()
    assert calls == []  # nothing was drawn in this process
    (pid,) = worker.pids()
    assert pid != os.getpid()


async def test_a_picture_the_process_cannot_draw_is_dropped_and_the_text_stays(worker):
    bad = skills.SkillSpec(areas=(("Python", "high", None),))  # a level that is not a number
    reply = Reply(text="numbers", images=(Image("s.png", "alt", spec=bad),))
    drawn = await render.draw_reply(reply)
    assert drawn.images == () and drawn.text == "numbers"
    good = await render.draw_reply(Reply(images=(Image("s.png", "alt", spec=samples.skill_spec()),)))
    assert good.images[0].png == skills.draw(samples.skill_spec())  # the same process still draws
    assert len(worker.pids()) == 1


async def test_a_process_that_dies_holding_pictures_has_them_drawn_here_and_is_replaced(worker):
    worker.warm()
    (old,) = worker.pids()
    os.kill(old, signal.SIGSTOP)  # it takes the pictures but cannot answer
    futures = [worker.submit(samples.heatmap_spec()), worker.submit(samples.burnup_spec())]
    assert all(f is not None for f in futures)
    os.kill(old, signal.SIGKILL)
    for future in futures:
        assert future.exception(timeout=10) is not None
        assert worker.lost(future)
    render.CACHE.clear()
    drawn = await render.draw_reply(_reply())
    assert [i.png for i in drawn.images] == _expected()
    (new,) = worker.pids()
    assert new != old


async def test_a_reply_drawn_while_its_process_is_killed_still_has_every_picture(worker):
    worker.warm()
    (old,) = worker.pids()
    os.kill(old, signal.SIGSTOP)
    render.CACHE.clear()
    task = asyncio.ensure_future(render.draw_reply(_reply()))
    await asyncio.sleep(0.05)
    assert not task.done()  # waiting on the stopped process
    os.kill(old, signal.SIGKILL)
    drawn = await asyncio.wait_for(task, 10)
    assert [i.filename for i in drawn.images] == ["heatmap.png", "burnup.png"]
    assert drawn.images[0].png == heatmap.draw(samples.heatmap_spec())


def test_the_process_ends_when_the_bot_closes_it(worker):
    worker.warm()
    (pid,) = worker.pids()
    worker.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.01)
    else:
        pytest.fail("the picture process outlived close()")
    assert worker.pids() == []


def test_draw_png_from_a_thread_uses_the_process_and_its_cache(worker):
    spec = samples.skill_spec()
    assert render.draw_png(spec) == skills.draw(spec)
    assert render.draw_png(replace(spec)) == skills.draw(spec)
    assert (render.CACHE.misses, render.CACHE.hits) == (1, 1)

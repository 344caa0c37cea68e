"""Each picture from fixed data: PNG format and size, alt text, known pixels, stable bytes."""

from __future__ import annotations

import io
import threading
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from bot.core.pictures import (
    burnup,
    canvas,
    community,
    community_card,
    heatmap,
    process,
    render,
    samples,
    skills,
)
from bot.core.replies import Image, Reply

PNG = b"\x89PNG\r\n\x1a\n"


def _open(blob: bytes) -> PILImage.Image:
    assert blob.startswith(PNG)
    img = PILImage.open(io.BytesIO(blob))
    assert img.format == "PNG"
    return img.convert("RGB")


def _centre(img: PILImage.Image, box: tuple[int, int, int, int]) -> tuple[int, int, int]:
    return img.getpixel(((box[0] + box[2]) // 2, (box[1] + box[3]) // 2))


def test_heatmap_cells_show_study_freezes_pauses_and_empty_days():
    spec = samples.heatmap_spec()
    img = _open(heatmap.draw(spec))
    assert img.size == (heatmap.WIDTH, heatmap.HEIGHT)
    studied = dict(spec.minutes)
    today = spec.today
    heavy = next(d for d, m in spec.minutes if m >= 120)
    light = next(d for d, m in spec.minutes if 0 < m < 30)
    empty = next(
        today - timedelta(days=b)
        for b in range(1, 150)
        if (today - timedelta(days=b)) not in studied
        and (today - timedelta(days=b)) not in spec.frozen
        and (today - timedelta(days=b)) not in spec.paused
    )
    assert _centre(img, heatmap.cell_box(today, heavy)) == canvas.RAMP[3]
    assert _centre(img, heatmap.cell_box(today, light)) == canvas.RAMP[0]
    assert _centre(img, heatmap.cell_box(today, empty)) == canvas.EMPTY
    assert _centre(img, heatmap.cell_box(today, spec.frozen[0])) == canvas.FREEZE
    assert _centre(img, heatmap.cell_box(today, spec.paused[0])) == canvas.PAUSED
    # Days after today are not drawn: the card shows through.
    tomorrow = heatmap.cell_box(today, today + timedelta(days=1))
    assert _centre(img, tomorrow) == canvas.CARD


def test_heatmap_alt_text_states_the_totals_and_streaks():
    spec = samples.heatmap_spec()
    alt = heatmap.alt_text(spec)
    days = len([m for _, m in spec.minutes if m > 0])
    assert alt.startswith("Study heatmap from Mon 8 Jun 2026 to Wed 2 Dec 2026")
    assert f"{days} days studied" in alt
    assert "current streak 14 days, best 31" in alt
    assert "2 streak freezes used" in alt and "14 paused days" in alt


def test_burnup_marks_the_plan_finish_and_the_logged_point():
    spec = samples.burnup_spec()
    img = _open(burnup.draw(spec))
    assert img.size == (burnup.WIDTH, burnup.HEIGHT)
    end = burnup.axis_end(spec)
    x0, x1 = burnup.LEFT, burnup.WIDTH - burnup.RIGHT
    fx = round(x0 + (x1 - x0) * (spec.plan_finish - spec.start).days / (end - spec.start).days)
    column = {img.getpixel((fx + dx, y)) for dx in (-1, 0, 1) for y in range(burnup.TOP, burnup.HEIGHT - 70)}
    assert canvas.BLUE in column  # the plan's finish line
    tx = round(x0 + (x1 - x0) * (spec.today - spec.start).days / (end - spec.start).days)
    near_today = {img.getpixel((tx + dx, y)) for dx in (-3, 0, 3) for y in range(burnup.TOP, 300)}
    assert canvas.GREEN in near_today
    alt = burnup.alt_text(spec)
    for line in spec.pace_lines:
        assert line in alt  # the words /progress shows, as they are


def test_burnup_without_a_projection_draws_no_projection():
    spec = replace(samples.burnup_spec(), projected_finish=None, pace_lines=("Plan finish: x",))
    img = _open(burnup.draw(spec))
    assert canvas.AMBER not in {img.getpixel((x, y)) for x in range(60, 790, 3) for y in range(70, 300, 3)}


def test_skill_profile_bars_follow_the_levels_and_show_the_previous_result():
    spec = samples.skill_spec()
    img = _open(skills.draw(spec))
    assert img.size == (skills.WIDTH, skills.height(spec))
    python = skills.bar_box(spec, 0, 3)
    assert _centre(img, python) == canvas.BLUE
    assert _centre(img, skills.bar_box(spec, 0, 2, previous=True)) == canvas.GREY
    # Probability was placed once: no previous bar under it.
    prob = skills.bar_box(spec, 2, 2, previous=True)
    assert _centre(img, prob) == canvas.CARD
    # MLOps is "New": its bar stops well short of Beginner's.
    mlops_end = skills.bar_box(spec, 6, 0)[2]
    assert img.getpixel((mlops_end + 20, skills.bar_box(spec, 6, 0)[1] + 9)) != canvas.BLUE
    alt = skills.alt_text(spec)
    assert "Python Advanced (was Intermediate)" in alt and "MLOps New" in alt


def test_community_card_bars_and_alt_text_are_counts_only():
    counts = samples.community_counts()
    card = community_card(counts)
    assert card.filename == "community.png" and card.png and card.spec is None
    img = _open(card.png)
    assert img.size == (community.WIDTH, community.HEIGHT)
    busiest = counts.active.index(max(counts.active))
    assert _centre(img, community.bar_box(counts, 0, busiest)) == canvas.BLUE
    assert _centre(img, community.bar_box(counts, 1, busiest)) == canvas.GREEN
    quiet = replace(counts, active=(0, *counts.active[1:]))
    box = community.bar_box(quiet, 0, 0)
    assert _centre(_open(community.draw(quiet)), (box[0], box[1] - 40, box[2], box[3])) == canvas.CARD
    assert "active learners per week 18, 21" in card.alt and "ML Engineer 21" in card.alt


def test_identical_inputs_give_identical_bytes():
    for mod, spec in (
        (heatmap, samples.heatmap_spec()),
        (burnup, samples.burnup_spec()),
        (skills, samples.skill_spec()),
        (community, samples.community_counts()),
    ):
        assert mod.draw(spec) == mod.draw(replace(spec))
    other = replace(samples.heatmap_spec(), best_streak=32)
    assert heatmap.draw(samples.heatmap_spec()) != heatmap.draw(other)


def test_the_cache_draws_each_input_once():
    render.CACHE.clear()
    spec = samples.skill_spec()
    first = render.draw_png(spec)
    again = render.draw_png(replace(spec))
    assert first == again
    assert (render.CACHE.misses, render.CACHE.hits) == (1, 1)


def test_the_cache_is_bounded():
    cache = render.PictureCache(size=2)
    for i in range(3):
        cache.put(bytes([i]), b"x")
    assert len(cache) == 2 and cache.get(bytes([0])) is None


async def test_with_the_picture_process_off_draw_reply_draws_in_a_worker_thread(monkeypatch):
    render.CACHE.clear()
    seen: list[str] = []
    real = render._DRAW[skills.SkillSpec]

    def spy(spec):
        seen.append(threading.current_thread().name)
        return real(spec)

    monkeypatch.setattr(process.WORKER, "processes", 0)
    monkeypatch.setitem(render._DRAW, skills.SkillSpec, spy)
    reply = Reply(images=(Image("s.png", "alt", spec=samples.skill_spec()),))
    drawn = await render.draw_reply(reply)
    assert drawn.images[0].png == real(samples.skill_spec())
    assert seen and seen[0] != threading.main_thread().name


async def test_a_picture_that_fails_in_a_thread_is_dropped_and_the_text_stays(monkeypatch):
    render.CACHE.clear()

    def broken(_spec):
        raise RuntimeError("no")

    monkeypatch.setattr(process.WORKER, "processes", 0)
    monkeypatch.setitem(render._DRAW, skills.SkillSpec, broken)
    reply = Reply(text="numbers", images=(Image("s.png", "alt", spec=samples.skill_spec()),))
    drawn = await render.draw_reply(reply)
    assert drawn.images == () and drawn.text == "numbers"


@settings(max_examples=200, deadline=None)
@given(today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_each_local_day_has_its_own_cell_by_weekday_with_today_in_the_last_column(today):
    start = heatmap.first_day(today)
    days = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    assert start.weekday() == 0 and len(days) <= heatmap.WEEKS * 7
    boxes = [heatmap.cell_box(today, d) for d in days]
    assert len(set(boxes)) == len(days)
    for d, box in zip(days, boxes, strict=True):
        assert box[1] == heatmap.TOP + d.weekday() * heatmap.STEP  # Monday on top
    assert boxes[-1][0] == heatmap.LEFT + (heatmap.WEEKS - 1) * heatmap.STEP
    assert boxes[-1][2] < heatmap.PANEL_X

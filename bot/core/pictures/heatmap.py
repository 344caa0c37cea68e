"""The study heatmap: 26 weeks of study minutes on the member's own calendar, one cell a day.

Columns are weeks (Monday on top), the last column holds today. The figures beside the grid
(totals, current and best streak) are handed in already computed by the streak rule and the
study log, so the picture can never disagree with /progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from PIL import Image as PILImage
from PIL import ImageDraw

from bot.core.display import day, month
from bot.core.domain.logged import logged
from bot.core.pictures import canvas

WEEKS = 26
CELL = 16
GAP = 3
STEP = CELL + GAP
LEFT = 52
TOP = 64
WIDTH = 820
HEIGHT = 250
PANEL_X = LEFT + WEEKS * STEP + 28


@dataclass(frozen=True, slots=True)
class HeatmapSpec:
    today: date
    minutes: tuple[tuple[date, int], ...]  # study minutes per local day with any
    frozen: tuple[date, ...]  # days a streak freeze covered
    paused: tuple[date, ...]  # days a pause held
    current_streak: int
    best_streak: int
    all_time_minutes: int


def first_day(today: date) -> date:
    """The Monday that starts the first column."""
    return today - timedelta(days=today.weekday() + 7 * (WEEKS - 1))


def cell_box(spec_today: date, d: date) -> tuple[int, int, int, int]:
    """Pixel box of day `d` (tests read the colour at its centre)."""
    offset = (d - first_day(spec_today)).days
    col, row = divmod(offset, 7)
    x, y = LEFT + col * STEP, TOP + row * STEP
    return x, y, x + CELL - 1, y + CELL - 1


def level(minutes: int) -> int:
    """0 for no study, else 1-4: under 30 min, under an hour, under two, two or more."""
    if minutes <= 0:
        return 0
    return 1 + (minutes >= 30) + (minutes >= 60) + (minutes >= 120)


def window(spec: HeatmapSpec) -> tuple[dict[date, int], set[date], set[date]]:
    start = first_day(spec.today)
    inside = {d: m for d, m in spec.minutes if start <= d <= spec.today and m > 0}
    frozen = {d for d in spec.frozen if start <= d <= spec.today}
    paused = {d for d in spec.paused if start <= d <= spec.today}
    return inside, frozen, paused


def facts(spec: HeatmapSpec) -> list[str]:
    inside, frozen, paused = window(spec)
    streak = (
        f"current streak {spec.current_streak} day{'s' if spec.current_streak != 1 else ''}"
        if spec.current_streak
        else "no streak running"
    )
    out = [
        f"{len(inside)} day{'s' if len(inside) != 1 else ''} studied, {logged(sum(inside.values()))} "
        f"in the last {WEEKS} weeks",
        f"{logged(spec.all_time_minutes)} in all",
        f"{streak}, best {spec.best_streak}",
    ]
    if frozen:
        out.append(f"{len(frozen)} streak freeze{'s' if len(frozen) != 1 else ''} used")
    if paused:
        out.append(f"{len(paused)} paused day{'s' if len(paused) != 1 else ''}")
    return out


def alt_text(spec: HeatmapSpec) -> str:
    start = first_day(spec.today)
    return f"Study heatmap from {day(start)} to {day(spec.today)}: " + "; ".join(facts(spec)) + "."


def draw(spec: HeatmapSpec) -> bytes:
    inside, frozen, paused = window(spec)
    img, d = canvas.card(WIDTH, HEIGHT)
    canvas.text(img, (24, 18), "Study heatmap", 22, canvas.TEXT, True)
    canvas.text(img, (210, 24), f"last {WEEKS} weeks to {day(spec.today)}", 15, canvas.MUTED)
    start = first_day(spec.today)
    for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri"), (6, "Sun")):
        canvas.text(img, (18, TOP + row * STEP + 1), name, 12, canvas.MUTED)
    last_month = None
    for col in range(WEEKS):
        monday = start + timedelta(days=7 * col)
        week = [monday + timedelta(days=i) for i in range(7)]
        shown = next((x for x in week if x.day == 1), None)
        if col == 0:
            shown = monday
        if shown is not None and shown.month != last_month and col < WEEKS - 1:
            canvas.text(img, (LEFT + col * STEP, TOP - 18), month(shown), 12, canvas.MUTED)
            last_month = shown.month
    for offset in range((spec.today - start).days + 1):
        dd = start + timedelta(days=offset)
        box = cell_box(spec.today, dd)
        minutes = inside.get(dd, 0)
        if minutes:
            fill = canvas.RAMP[level(minutes) - 1]
        elif dd in frozen:
            fill = canvas.FREEZE
        elif dd in paused:
            fill = canvas.PAUSED
        else:
            fill = canvas.EMPTY
        img.paste(_cell(fill), box[:2])
        if dd == spec.today:
            d.rounded_rectangle(
                (box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2), radius=4, outline=canvas.TEXT
            )
    _legend(img, d)
    _panel(img, spec)
    return canvas.png(img)


@lru_cache(maxsize=16)
def _cell(fill: canvas.RGB) -> PILImage.Image:
    """One day's rounded cell on the card, drawn once per colour and pasted 182 times."""
    cell = PILImage.new("RGB", (CELL, CELL), canvas.CARD)
    ImageDraw.Draw(cell).rounded_rectangle((0, 0, CELL - 1, CELL - 1), radius=3, fill=fill)
    return cell


def _legend(img, d) -> None:
    y = TOP + 7 * STEP + 14
    x = LEFT
    canvas.text(img, (x, y), "Less", 12, canvas.MUTED)
    x += 32
    for fill in (canvas.EMPTY, *canvas.RAMP):
        d.rounded_rectangle((x, y + 1, x + 12, y + 13), radius=2, fill=fill)
        x += 16
    canvas.text(img, (x + 2, y), "More", 12, canvas.MUTED)
    x += 56
    for fill, label in ((canvas.FREEZE, "Streak freeze"), (canvas.PAUSED, "Paused")):
        d.rounded_rectangle((x, y + 1, x + 12, y + 13), radius=2, fill=fill)
        canvas.text(img, (x + 18, y), label, 12, canvas.MUTED)
        x += 18 + int(canvas.text_width(label, 12)) + 20


def _panel(img, spec: HeatmapSpec) -> None:
    inside = window(spec)[0]
    x, y = PANEL_X, TOP - 6
    rows = [
        ("Current streak", f"{spec.current_streak} day{'s' if spec.current_streak != 1 else ''}"),
        ("Best streak", f"{spec.best_streak} day{'s' if spec.best_streak != 1 else ''}"),
        (f"Last {WEEKS} weeks", f"{logged(sum(inside.values()))} · {len(inside)} days"),
        ("All time", logged(spec.all_time_minutes)),
    ]
    width = WIDTH - x - 20
    for label, value in rows:
        canvas.text(img, (x, y), label, 13, canvas.MUTED)
        canvas.text(img, (x, y + 16), canvas.fit(value, 20, width, True), 20, canvas.TEXT, True)
        y += 44

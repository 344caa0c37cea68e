"""The community card: weekly active learners and hours studied over 12 weeks, and the members
on each roadmap. Counts only: no member is named, so it can go anywhere in the community.

`bot.core.pictures.community_card(counts)` is the plain entry point: counts in, a finished
`Image` out, for /admin stats and any other place that wants the card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.display import day, hours, short_day
from bot.core.pictures import canvas

WIDTH = 820
HEIGHT = 380
WEEKS = 12
CHART_TOP, CHART_BOTTOM = 96, 300


@dataclass(frozen=True, slots=True)
class CommunityCounts:
    week_starts: tuple[date, ...]  # Monday of each of the last 12 weeks, oldest first
    active: tuple[int, ...]  # members who logged study that week
    minutes: tuple[int, ...]  # minutes studied that week, everyone together
    roadmaps: tuple[tuple[str, int], ...]  # (roadmap or path name, members on it now)
    members: int = 0


def alt_text(counts: CommunityCounts) -> str:
    if not counts.week_starts:
        return "Community card: no weeks to show yet."
    first, last = counts.week_starts[0], counts.week_starts[-1]
    weekly = ", ".join(f"{a}" for a in counts.active)
    hrs = ", ".join(hours(m / 60) if m else "0" for m in counts.minutes)
    plans = "; ".join(f"{name} {n}" for name, n in counts.roadmaps) or "nobody on a plan yet"
    return (
        f"Community card, weeks from {day(first)} to the week of {day(last)}: "
        f"active learners per week {weekly}; hours studied per week {hrs}. "
        f"Members on each plan: {plans}."
    )


def bar_box(counts: CommunityCounts, chart: int, i: int) -> tuple[int, int, int, int]:
    """Pixel box of week `i`'s bar in chart 0 (active learners) or 1 (hours)."""
    values = counts.active if chart == 0 else counts.minutes
    x0 = 24 + chart * 270
    slot = 240 / max(1, len(values))
    top = max(values, default=0) or 1
    h = round((CHART_BOTTOM - CHART_TOP - 20) * values[i] / top)
    x = round(x0 + i * slot + 2)
    return x, CHART_BOTTOM - max(h, 1), round(x + slot - 5), CHART_BOTTOM


def draw(counts: CommunityCounts) -> bytes:
    img, d = canvas.card(WIDTH, HEIGHT)
    canvas.text(img, (24, 16), "Community", 22, canvas.TEXT, True)
    if counts.week_starts:
        span = f"last {len(counts.week_starts)} weeks, from {day(counts.week_starts[0])}"
        canvas.text(img, (160, 22), span, 15, canvas.MUTED)
    for chart, (title, values, colour, shown) in enumerate(
        (
            ("Active learners a week", counts.active, canvas.BLUE, [str(v) for v in counts.active]),
            (
                "Hours studied a week",
                counts.minutes,
                canvas.GREEN,
                [hours(m / 60) if m else "0" for m in counts.minutes],
            ),
        )
    ):
        x0 = 24 + chart * 270
        canvas.text(img, (x0, 62), title, 15, canvas.TEXT, True)
        d.line((x0, CHART_BOTTOM, x0 + 240, CHART_BOTTOM), fill=canvas.BORDER, width=2)
        for i in range(len(values)):
            if values[i]:
                d.rectangle(bar_box(counts, chart, i), fill=colour)
        if values:
            peak = max(range(len(values)), key=lambda i: (values[i], i))
            last = len(values) - 1
            for i in sorted({peak, last}):
                box = bar_box(counts, chart, i)
                label = shown[i]
                canvas.text(
                    img,
                    ((box[0] + box[2]) / 2 - canvas.text_width(label, 12) / 2, box[1] - 16),
                    label,
                    12,
                    canvas.TEXT,
                )
        if counts.week_starts:
            canvas.text(img, (x0, CHART_BOTTOM + 6), short_day(counts.week_starts[0]), 12, canvas.MUTED)
            label = "this week so far"
            canvas.text(
                img, (x0 + 240 - canvas.text_width(label, 12), CHART_BOTTOM + 6), label, 12, canvas.MUTED
            )
    _roadmaps(img, d, counts)
    return canvas.png(img)


def _roadmaps(img, d, counts: CommunityCounts) -> None:
    x0 = 570
    canvas.text(img, (x0, 62), "Members on each plan", 15, canvas.TEXT, True)
    top = max((n for _, n in counts.roadmaps), default=0) or 1
    y = 92
    shown = counts.roadmaps[:8]
    for name, n in shown:
        canvas.text(img, (x0, y), canvas.fit(name, 13, 190), 13, canvas.TEXT)
        w = round(190 * n / top)
        d.rectangle((x0, y + 18, x0 + max(w, 2), y + 26), fill=canvas.AMBER)
        canvas.text(img, (x0 + max(w, 2) + 6, y + 14), str(n), 12, canvas.MUTED)
        y += 34
    if len(counts.roadmaps) > len(shown):
        rest = sum(n for _, n in counts.roadmaps[len(shown) :])
        canvas.text(img, (x0, y), f"+ {rest} on other plans", 12, canvas.MUTED)
    if not counts.roadmaps:
        canvas.text(img, (x0, y), "Nobody is on a plan yet.", 13, canvas.MUTED)

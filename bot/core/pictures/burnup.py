"""The plan burn-up: hours the plan lays out against hours logged, since the plan started.

Every date and figure comes in from the rules (bot.core.domain.plan_dates for the planned line
and the plan's finish, bot.core.domain.pace for the projection and its words), so the chart
states exactly what /progress states.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.display import day, hours, short_day
from bot.core.domain.logged import logged
from bot.core.pictures import canvas

WIDTH = 820
HEIGHT = 360
LEFT, RIGHT, TOP, BOTTOM = 70, 40, 76, 64


@dataclass(frozen=True, slots=True)
class BurnupSpec:
    title: str
    start: date
    today: date
    total_hours: float
    planned: tuple[tuple[date, float], ...]  # the plan's cumulative hours, by the plan's own dates
    logged: tuple[tuple[date, int], ...]  # cumulative minutes logged, by local day
    plan_finish: date
    projected_finish: date | None  # None when pace gives no projection
    pace_lines: tuple[str, ...]  # what /progress says about the pace, word for word


def logged_minutes(spec: BurnupSpec) -> int:
    return spec.logged[-1][1] if spec.logged else 0


def axis_end(spec: BurnupSpec) -> date:
    """The chart ends at the later finish, but a projection years away is not stretched to:
    it stops at three plan lengths and is drawn running off the edge."""
    end = max(spec.plan_finish, spec.today)
    if spec.projected_finish is not None:
        cap = spec.start + (spec.plan_finish - spec.start) * 3
        end = max(end, min(spec.projected_finish, max(cap, spec.today)))
    return end


def alt_text(spec: BurnupSpec) -> str:
    said = "; ".join(spec.pace_lines)
    return (
        f"Plan burn-up for {spec.title}: {logged(logged_minutes(spec))} logged of {hours(spec.total_hours)} "
        f"planned since {day(spec.start)}; {said}."
    )


def draw(spec: BurnupSpec) -> bytes:
    img, d = canvas.card(WIDTH, HEIGHT)
    canvas.text(img, (24, 16), "Plan burn-up", 22, canvas.TEXT, True)
    canvas.text(
        img,
        (24, 44),
        canvas.fit(f"{spec.title} · {logged(logged_minutes(spec))} of {hours(spec.total_hours)}", 15, 520),
        15,
        canvas.MUTED,
    )
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP
    end = axis_end(spec)
    span_days = max(1, (end - spec.start).days)
    top_hours = max(spec.total_hours, logged_minutes(spec) / 60, 1.0) * 1.05

    def px(when: date) -> float:
        return x0 + (x1 - x0) * min(1.0, max(0.0, (when - spec.start).days / span_days))

    def py(h: float) -> float:
        return y0 - (y0 - y1) * min(1.0, h / top_hours)

    for i in range(5):
        h = top_hours / 1.05 * i / 4
        y = py(h)
        d.line((x0, y, x1, y), fill=canvas.GRID, width=1)
        label = hours(h) if h else "0"
        canvas.text(img, (x0 - 8 - canvas.text_width(label, 12), y - 8), label, 12, canvas.MUTED)
    d.line((x0, y0, x1, y0), fill=canvas.BORDER, width=2)
    canvas.text(img, (x0, y0 + 8), short_day(spec.start), 12, canvas.MUTED)
    end_label = short_day(end)
    canvas.text(img, (x1 - canvas.text_width(end_label, 12), y0 + 8), end_label, 12, canvas.MUTED)

    # The plan's own finish line, and the total it reaches.
    fx = px(spec.plan_finish)
    canvas.dashed(d, (fx, y1 - 6), (fx, y0), canvas.BLUE, width=2)
    d.line((x0, py(spec.total_hours), x1, py(spec.total_hours)), fill=canvas.GREY, width=1)
    planned = [(spec.start, 0.0), *spec.planned]
    d.line([(px(t), py(h)) for t, h in planned], fill=canvas.GREY, width=3, joint="curve")
    points = [(px(t), py(m / 60)) for t, m in spec.logged]
    if len(points) == 1:
        points = [(px(spec.start), py(0)), *points]
    if points:
        d.line(points, fill=canvas.GREEN, width=4)  # a point a day: joints would cost more than they show
    now = (px(spec.today), py(logged_minutes(spec) / 60))
    if spec.projected_finish is not None and spec.projected_finish > spec.today:
        target = (px(spec.projected_finish), py(spec.total_hours))
        if spec.projected_finish > end:  # off the chart: aim the line at the edge on the same slope
            share = (end - spec.today).days / max(1, (spec.projected_finish - spec.today).days)
            target = (px(end), now[1] + (py(spec.total_hours) - now[1]) * share)
        canvas.dashed(d, now, target, canvas.AMBER, width=3)
    d.ellipse(
        (now[0] - 5, now[1] - 5, now[0] + 5, now[1] + 5), fill=canvas.GREEN, outline=canvas.CARD, width=2
    )

    _legend(img, d, spec)
    return canvas.png(img)


def _legend(img, d, spec: BurnupSpec) -> None:
    x, y = 24, HEIGHT - 30
    items = [
        (canvas.GREEN, "Logged"),
        (canvas.GREY, "Planned"),
        (canvas.BLUE, f"Plan finish {day(spec.plan_finish)}"),
    ]
    projected = _said(spec, "Projected finish")
    if spec.projected_finish is not None and projected:
        items.append((canvas.AMBER, f"Projected {projected}"))
    for colour, label in items:
        d.line((x, y + 8, x + 18, y + 8), fill=colour, width=4)
        canvas.text(img, (x + 24, y), label, 13, canvas.TEXT)
        x += 24 + int(canvas.text_width(label, 13)) + 22
    status = (_said(spec, "Pace") or "").split(" · ")[0].split(":")[0].capitalize()
    canvas.text(img, (WIDTH - 24 - canvas.text_width(status, 15, True), 20), status, 15, canvas.AMBER, True)


def _said(spec: BurnupSpec, name: str) -> str | None:
    """The value /progress shows for field `name`."""
    for line in spec.pace_lines:
        if line.startswith(f"{name}: "):
            return line.removeprefix(f"{name}: ")
    return None

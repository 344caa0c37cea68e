"""The skill profile: the member's placement per skill area, as bars on the four /assess levels.

Where a reassessment changed an area, the previous placement is drawn as a thinner bar under
the current one.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.pictures import canvas
from bot.core.services.levels import LEVEL_WORDS

WIDTH = 820
ROW = 44
TOP = 96
LABEL_W = 230
BAR_X = 24 + LABEL_W
BAR_W = WIDTH - BAR_X - 40
MAX_LEVEL = 3


@dataclass(frozen=True, slots=True)
class SkillSpec:
    areas: tuple[tuple[str, int, int | None], ...]  # (area name, level now, level before or None)


def height(spec: SkillSpec) -> int:
    return TOP + ROW * max(1, len(spec.areas)) + 56


def bar_box(spec: SkillSpec, row: int, level: int, previous: bool = False) -> tuple[int, int, int, int]:
    y = TOP + row * ROW + (26 if previous else 6)
    w = round(BAR_W * (max(0, level) + 0.15) / (MAX_LEVEL + 0.15))
    return BAR_X, y, BAR_X + w, y + (8 if previous else 18)


def alt_text(spec: SkillSpec) -> str:
    parts = []
    for name, now, before in spec.areas:
        word = LEVEL_WORDS.get(now, str(now))
        if before is not None and before != now:
            parts.append(f"{name} {word} (was {LEVEL_WORDS.get(before, str(before))})")
        else:
            parts.append(f"{name} {word}")
    return "Skill profile from /assess: " + ("; ".join(parts) if parts else "no areas placed yet") + "."


def draw(spec: SkillSpec) -> bytes:
    img, d = canvas.card(WIDTH, height(spec))
    canvas.text(img, (24, 16), "Skill profile", 22, canvas.TEXT, True)
    canvas.text(img, (24, 44), "Your placement per skill area from /assess", 15, canvas.MUTED)
    for lvl in range(MAX_LEVEL + 1):
        x = bar_box(spec, 0, lvl)[2]
        d.line((x, TOP - 4, x, TOP + ROW * len(spec.areas)), fill=canvas.GRID, width=1)
        word = LEVEL_WORDS[lvl]
        canvas.text(img, (x - canvas.text_width(word, 12), TOP - 20), word, 12, canvas.MUTED)
    for row, (name, now, before) in enumerate(spec.areas):
        y = TOP + row * ROW
        canvas.text(img, (24, y + 5), canvas.fit(name, 15, LABEL_W - 16), 15, canvas.TEXT)
        d.rounded_rectangle(bar_box(spec, row, now), radius=4, fill=canvas.BLUE)
        if before is not None:
            d.rounded_rectangle(bar_box(spec, row, before, previous=True), radius=3, fill=canvas.GREY)
    y = TOP + ROW * max(1, len(spec.areas)) + 18
    d.rounded_rectangle((24, y + 2, 38, y + 14), radius=2, fill=canvas.BLUE)
    canvas.text(img, (44, y), "Now", 13, canvas.TEXT)
    if any(before is not None for _, _, before in spec.areas):
        d.rounded_rectangle((100, y + 4, 114, y + 12), radius=2, fill=canvas.GREY)
        canvas.text(img, (120, y), "Previous assessment", 13, canvas.TEXT)
    return canvas.png(img)

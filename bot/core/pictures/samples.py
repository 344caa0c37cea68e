"""Fixed example inputs for each picture: the docs images, the render benchmark and the tests
draw these, so they are stable from run to run (a seeded generator, fixed dates)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from bot.core.display import day
from bot.core.pictures.burnup import BurnupSpec
from bot.core.pictures.community import CommunityCounts
from bot.core.pictures.heatmap import HeatmapSpec
from bot.core.pictures.skills import SkillSpec

TODAY = date(2026, 12, 2)


def study_year(today: date = TODAY, seed: int = 7) -> dict[date, int]:
    """A year of a steady learner's minutes: most weekdays, lighter weekends, a quiet fortnight."""
    rng = random.Random(seed)
    out: dict[date, int] = {}
    for back in range(365):
        d = today - timedelta(days=back)
        if 70 <= back < 84:
            continue
        chance = 0.8 if d.weekday() < 5 else 0.45
        if rng.random() < chance:
            out[d] = rng.choice((15, 20, 30, 45, 45, 60, 75, 90, 120, 150))
    return out


def heatmap_spec(today: date = TODAY) -> HeatmapSpec:
    minutes = study_year(today)
    minutes.pop(today - timedelta(days=9), None)
    minutes.pop(today - timedelta(days=30), None)
    for back in range(1, 6):
        minutes[today - timedelta(days=back)] = 45
    paused = tuple(today - timedelta(days=back) for back in range(83, 69, -1))
    start = today - timedelta(days=today.weekday() + 7 * 25)
    return HeatmapSpec(
        today=today,
        minutes=tuple(sorted((d, m) for d, m in minutes.items() if d >= start)),
        frozen=(today - timedelta(days=30), today - timedelta(days=9)),
        paused=paused,
        current_streak=14,
        best_streak=31,
        all_time_minutes=sum(minutes.values()),
    )


def burnup_spec(today: date = TODAY) -> BurnupSpec:
    start = today - timedelta(days=300)
    finish = start + timedelta(days=363)
    minutes = study_year(today)
    running, logged = 0, []
    d = start
    while d <= today:
        running += minutes.get(d, 0)
        logged.append((d, running))
        d += timedelta(days=1)
    planned = tuple((start + timedelta(days=7 * w - 1), 5.0 * w) for w in range(1, 53))
    return BurnupSpec(
        title="ML Engineer roadmap",
        start=start,
        today=today,
        total_hours=260.0,
        planned=planned,
        logged=tuple(logged),
        plan_finish=finish,
        projected_finish=today + timedelta(days=41),
        pace_lines=(
            f"Plan finish: {day(finish)}",
            "Pace: ahead · 5.8 h a week over the last 28 days",
            f"Projected finish: {day(today + timedelta(days=41))}",
        ),
    )


def skill_spec() -> SkillSpec:
    return SkillSpec(
        areas=(
            ("Python", 3, 2),
            ("Linear algebra", 2, 1),
            ("Probability and statistics", 2, None),
            ("Classical ML", 2, 2),
            ("Deep learning", 1, 0),
            ("LLMs and prompting", 3, None),
            ("MLOps", 0, None),
        )
    )


def community_counts(today: date = TODAY) -> CommunityCounts:
    monday = today - timedelta(days=today.weekday())
    weeks = tuple(monday - timedelta(days=7 * (11 - i)) for i in range(12))
    return CommunityCounts(
        week_starts=weeks,
        active=(18, 21, 19, 25, 27, 24, 30, 33, 29, 35, 38, 22),
        minutes=(5400, 6900, 6100, 8200, 9400, 8000, 10400, 11900, 9900, 12600, 14100, 7300),
        roadmaps=(
            ("ML Engineer", 21),
            ("AI Engineer", 17),
            ("AI Agents", 9),
            ("Prompt Engineering", 6),
            ("MLOps", 4),
            ("AI Red Teaming", 2),
        ),
        members=84,
    )


def write_docs_images(folder: Path) -> list[Path]:
    """The docs' pictures (`make docs-images`), drawn from the fixed examples above."""
    from bot.core.pictures import burnup, community, heatmap, skills

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, blob in (
        ("study-heatmap.png", heatmap.draw(heatmap_spec())),
        ("plan-burnup.png", burnup.draw(burnup_spec())),
        ("skill-profile.png", skills.draw(skill_spec())),
        ("community.png", community.draw(community_counts())),
    ):
        path = folder / name
        path.write_bytes(blob)
        out.append(path)
    return out


if __name__ == "__main__":
    import sys

    for written in write_docs_images(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images")):
        print(written)

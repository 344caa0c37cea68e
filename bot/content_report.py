"""The summary printed by `python -m bot content check`."""

from __future__ import annotations

from collections import Counter

from content.schema import Catalog

MIN_TOPICS = 12
MIN_TOPICS_LONG = 30
LONG_ROADMAP_HOURS = 700


def report(cat: Catalog) -> tuple[str, bool]:
    """A readable summary, and whether every target is met."""
    ok = True
    lines = [f"Roadmaps: {len(cat.roadmaps)}"]
    for r in cat.roadmap_list():
        need = MIN_TOPICS_LONG if r.hours >= LONG_ROADMAP_HOURS else MIN_TOPICS
        problems = []
        if abs(r.topic_hours - r.hours) > 1e-6:
            problems.append(f"topic hours {r.topic_hours:g} != {r.hours}")
        if len(r.topics) < need:
            problems.append(f"needs at least {need} topics")
        ok = ok and not problems
        mark = "ok" if not problems else "PROBLEM: " + "; ".join(problems)
        lines.append(f"  {r.id:<20} {len(r.topics):>3} topics  {r.topic_hours:>7g} / {r.hours:<5} h  {mark}")
    lines.append(f"Topics: {sum(len(r.topics) for r in cat.roadmaps.values())}")
    lines.append(f"Learning paths: {len(cat.paths)}")
    for p in cat.path_list():
        lines.append(f"  {p.id:<20} {len(p.phases)} phases, {p.weeks} weeks ({p.timeline})")
    lines.append(f"Skill matrix rows: {len(cat.skills)}")
    lines.append(f"Question areas: {len(cat.areas)}")
    for a in cat.area_list():
        by_level = Counter(q.level for q in a.questions)
        levels = "  ".join(f"L{lvl}: {by_level.get(lvl, 0)}" for lvl in (1, 2, 3))
        short = len(a.questions) < 8 or len(by_level) < 3
        ok = ok and not short
        lines.append(
            f"  {a.id:<24} {len(a.questions):>3} questions  {levels}"
            + ("  PROBLEM: needs 8+ questions over 3 levels" if short else "")
        )
    lines.append(f"Goal questions: {len(cat.goals)}")
    tracks = Counter(t for p in cat.papers.values() for t in p.tracks)
    lines.append(
        f"Papers: {len(cat.papers)} (" + ", ".join(f"{k} {v}" for k, v in sorted(tracks.items())) + ")"
    )
    lines.append(f"Explore sections: {len(cat.explore)}")
    lines.append("Content OK" if ok else "Content has problems (see above)")
    return "\n".join(lines), ok

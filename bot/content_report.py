"""The summary printed by `python -m bot content check`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from content import checks
from content.schema import Catalog

MIN_TOPICS = 12
MIN_TOPICS_LONG = 30
LONG_ROADMAP_HOURS = 700


def report(
    cat: Catalog,
    moved: Iterable[checks.MovedDomain] | None = None,
    reviewed_cards: set[str] | None = None,
) -> tuple[str, bool]:
    """A readable summary, and whether every target is met.

    `moved` is the moved-domain list; by default the one in `content/moved_domains.yaml`.
    `reviewed_cards` are the card ids with a second review; by default those in `content/reviews/`.
    """
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
        lines.append(
            f"  {p.id:<20} {len(p.phases)} phases, {p.weeks} weeks ({p.timeline}) "
            f"at {p.hours_per_week:g} h/week"
        )
        for load in checks.overpaced_phases(cat, p):
            ok = False
            lines.append(
                f"    PROBLEM: {load.label} needs {load.hours_per_week:.1f} h/week "
                f"({load.hours:g} h in {load.weeks} weeks), more than {p.hours_per_week:g}"
            )
    lines.append(f"Skill matrix rows: {len(cat.skills)}")
    lines.append(f"Question areas: {len(cat.areas)}")
    counts = checks.question_counts(cat.area_list())
    need = checks.MIN_QUESTIONS_PER_LEVEL
    for a in cat.area_list():
        by_level = counts[a.id]
        levels = "  ".join(f"L{lvl}: {by_level[lvl]:>2}" for lvl in checks.LEVELS)
        short = [lvl for lvl in checks.LEVELS if by_level[lvl] < need]
        ok = ok and not short
        lines.append(
            f"  {a.id:<24} {len(a.questions):>3} questions  {levels}"
            + (f"  PROBLEM: needs {need}+ at level " + ", ".join(map(str, short)) if short else "")
        )
    cues = checks.cue_figures(checks.all_questions(cat))
    lines.append(f"Answer cues over {cues.questions} questions:")
    lines.append(
        f"  key is the uniquely longest option: {cues.uniquely_longest} "
        f"({cues.uniquely_longest_share:.1%}, limit {checks.MAX_UNIQUELY_LONGEST_SHARE:.0%})"
    )
    lines.append(
        f"  key is {checks.MUCH_LONGER_RATIO:g}x longer than every distractor: {cues.much_longer} "
        f"({cues.much_longer_share:.1%}, limit {checks.MAX_MUCH_LONGER_SHARE:.0%})"
    )
    for problem in cues.problems():
        ok = False
        lines.append(f"  PROBLEM: {problem}")
    if cues.much_longer_ids:
        lines.append(f"  keys {checks.MUCH_LONGER_RATIO:g}x longer: " + ", ".join(cues.much_longer_ids))
    lines.append(f"Goal questions: {len(cat.goals)}")
    tracks = Counter(t for p in cat.papers.values() for t in p.tracks)
    lines.append(
        f"Papers: {len(cat.papers)} (" + ", ".join(f"{k} {v}" for k, v in sorted(tracks.items())) + ")"
    )
    lines.append(f"Explore sections: {len(cat.explore)}")
    rules = list(checks.load_moved_domains() if moved is None else moved)
    stale = checks.moved_links(checks.catalogue_urls(cat), rules)
    lines.append(f"Links on moved domains ({len(rules)} known): {len(stale)}")
    for where, url, rule in stale:
        ok = False
        lines.append(f"  PROBLEM: content/{where}: {url} -> {rule.moved_to} ({rule.why})")
    cards_ok, card_lines = _cards(cat, reviewed_cards)
    ok = ok and cards_ok
    lines += card_lines
    lines.append("Content OK" if ok else "Content has problems (see above)")
    return "\n".join(lines), ok


def _cards(cat: Catalog, reviewed: set[str] | None) -> tuple[bool, list[str]]:
    """Review cards per topic; a topic below the minimum is a problem."""
    counts = checks.card_counts(cat)
    need = checks.MIN_CARDS_PER_TOPIC
    all_ids = {c.id for cs in cat.cards.values() for c in cs}
    reviewed = checks.second_reviewed_cards() if reviewed is None else reviewed
    lines = [f"Review cards: {len(all_ids)} ({len(all_ids & reviewed)} with a second review)"]
    short = checks.short_topics(counts, need)
    for rid, topics in counts.items():
        low = [(t, n) for r, t, n in short if r == rid]
        mark = "ok" if not low else f"PROBLEM: {len(low)} topics below {need}"
        lines.append(f"  {rid:<20} {sum(topics.values()):>4} cards over {len(topics)} topics  {mark}")
        for t, n in low:
            lines.append(f"    PROBLEM: {t} has {n} card{'s' if n != 1 else ''}, needs {need}")
    return not short, lines

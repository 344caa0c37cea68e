"""Quality rules over a loaded catalogue, shared by `bot content check` and the tests.

Pure functions: they read a `Catalog` (and, for the moved-domain list, a file in
this folder) and return figures; printing and exit codes live in
`bot/content_report.py`. The thresholds are justified in `docs/content.md`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from content.loader import ContentError
from content.schema import Catalog, LearningPath, Question, SkillArea

# The question bank: every area needs this many questions at each level, so that a
# reassessment every three months can prefer questions the member has not seen.
MIN_QUESTIONS_PER_LEVEL = 10
LEVELS = (1, 2, 3)

# Answer cues. With four options of unremarkable lengths the key is the uniquely
# longest about a quarter of the time; above this share, "pick the longest" pays.
MAX_UNIQUELY_LONGEST_SHARE = 0.35
# A key at least this many times longer than every distractor stands out at a glance.
MUCH_LONGER_RATIO = 1.5
MAX_MUCH_LONGER_SHARE = 0.05

MOVED_DOMAINS_FILE = Path(__file__).resolve().parent / "moved_domains.yaml"


# --------------------------------------------------------------------------- question counts


def question_counts(areas: Iterable[SkillArea]) -> dict[str, dict[int, int]]:
    """{area id: {level: number of questions}} with every level present."""
    out = {}
    for area in areas:
        by_level = Counter(q.level for q in area.questions)
        out[area.id] = {lvl: by_level.get(lvl, 0) for lvl in LEVELS}
    return out


def short_levels(
    counts: dict[str, dict[int, int]], minimum: int = MIN_QUESTIONS_PER_LEVEL
) -> list[tuple[str, int, int]]:
    """(area, level, count) for every area and level below `minimum`."""
    return [(a, lvl, n) for a, levels in counts.items() for lvl, n in levels.items() if n < minimum]


# --------------------------------------------------------------------------- answer cues


def _lengths(q: Question) -> tuple[int, list[int]]:
    sizes = [len(c.strip()) for c in q.choices]
    key = sizes[q.answer]
    return key, [s for i, s in enumerate(sizes) if i != q.answer]


def key_uniquely_longest(q: Question) -> bool:
    key, others = _lengths(q)
    return all(key > o for o in others)


def key_much_longer(q: Question, ratio: float = MUCH_LONGER_RATIO) -> bool:
    key, others = _lengths(q)
    return all(key >= ratio * o for o in others)


@dataclass(frozen=True, slots=True)
class CueFigures:
    questions: int
    uniquely_longest: int
    much_longer: int
    much_longer_ids: tuple[str, ...] = ()

    @property
    def uniquely_longest_share(self) -> float:
        return self.uniquely_longest / self.questions if self.questions else 0.0

    @property
    def much_longer_share(self) -> float:
        return self.much_longer / self.questions if self.questions else 0.0

    def problems(
        self,
        max_longest: float = MAX_UNIQUELY_LONGEST_SHARE,
        max_much_longer: float = MAX_MUCH_LONGER_SHARE,
    ) -> list[str]:
        out = []
        if self.uniquely_longest_share > max_longest:
            out.append(
                f"the key is the uniquely longest option in {self.uniquely_longest_share:.0%} "
                f"of questions (at most {max_longest:.0%})"
            )
        if self.much_longer_share > max_much_longer:
            out.append(
                f"the key is {MUCH_LONGER_RATIO:g}x longer than every distractor in "
                f"{self.much_longer_share:.0%} of questions (at most {max_much_longer:.0%})"
            )
        return out


def cue_figures(questions: Iterable[Question]) -> CueFigures:
    qs = list(questions)
    much = tuple(q.id for q in qs if key_much_longer(q))
    return CueFigures(
        questions=len(qs),
        uniquely_longest=sum(key_uniquely_longest(q) for q in qs),
        much_longer=len(much),
        much_longer_ids=much,
    )


def all_questions(cat: Catalog) -> list[Question]:
    return [q for a in cat.area_list() for q in a.questions]


# --------------------------------------------------------------------------- moved domains


class MovedDomain(BaseModel):
    """A host (optionally with a path prefix) whose pages now live elsewhere."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    domain: str = Field(pattern=r"^[a-z0-9.-]+\.[a-z]{2,}(/[^\s]*)?$")
    moved_to: str = Field(min_length=4)
    why: str = Field(min_length=10)

    def matches(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host.startswith("www."):
            host = host[4:]
        domain, _, prefix = self.domain.partition("/")
        if host != domain and not host.endswith("." + domain):
            return False
        return not prefix or parts.path.lstrip("/").startswith(prefix)


def load_moved_domains(path: Path = MOVED_DOMAINS_FILE) -> list[MovedDomain]:
    """The moved-domain list; a broken file raises ContentError naming it."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ContentError([f"{path.name}: expected a mapping with a 'moved:' list"])
        return TypeAdapter(list[MovedDomain]).validate_python(data.get("moved", []))
    except yaml.YAMLError as exc:
        raise ContentError([f"{path.name}: not valid YAML: {exc}"]) from exc
    except ValidationError as exc:
        raise ContentError(
            [f"{path.name}: moved.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        ) from exc


def catalogue_urls(cat: Catalog) -> Iterator[tuple[str, str]]:
    """(where, url) for every link a member can be shown."""
    for rm in cat.roadmap_list():
        if rm.link:
            yield f"roadmaps/{rm.id}.yaml: link", str(rm.link)
        for t in rm.topics:
            for r in t.resources:
                yield f"roadmaps/{rm.id}.yaml: topics.{t.id}", str(r.url)
    for sec in cat.explore.values():
        for e in sec.entries:
            if e.url:
                yield f"explore/{sec.id}.yaml: {e.title}", str(e.url)
    for p in cat.papers.values():
        yield f"papers.yaml: {p.id}", p.link


def moved_links(
    urls: Iterable[tuple[str, str]], moved: Iterable[MovedDomain]
) -> list[tuple[str, str, MovedDomain]]:
    """(where, url, rule) for every url on a domain known to have moved."""
    rules = list(moved)
    out = []
    for where, url in urls:
        rule = next((m for m in rules if m.matches(url)), None)
        if rule is not None:
            out.append((where, url, rule))
    return out


# --------------------------------------------------------------------------- path pace


@dataclass(frozen=True, slots=True)
class PhaseLoad:
    label: str
    hours: float
    weeks: int

    @property
    def hours_per_week(self) -> float:
        return self.hours / self.weeks


def phase_loads(cat: Catalog, path: LearningPath) -> list[PhaseLoad]:
    """Study hours each phase adds, counting a topic only in the first phase that lists
    it (the planner schedules it once), over the weeks the phase is given."""
    seen: set[str] = set()
    out = []
    for phase in path.phases:
        hours = 0.0
        for ref in phase.topics:
            if ref in seen:
                continue
            seen.add(ref)
            found = cat.resolve_topic(ref)
            if found is not None:
                hours += found[1].hours
        out.append(PhaseLoad(phase.label, round(hours, 2), phase.end_week - phase.start_week + 1))
    return out


def overpaced_phases(cat: Catalog, path: LearningPath) -> list[PhaseLoad]:
    """Phases that ask for more hours a week than the path's stated pace."""
    return [p for p in phase_loads(cat, path) if p.hours_per_week > path.hours_per_week + 1e-9]


# --------------------------------------------------------------------------- review cards

# Every roadmap topic needs this many review cards, so a review of a topic can vary.
MIN_CARDS_PER_TOPIC = 3
REVIEWS_DIR = Path(__file__).resolve().parent / "reviews"


def card_counts(cat: Catalog) -> dict[str, dict[str, int]]:
    """{roadmap id: {topic id: cards}} for every topic of every roadmap (0 when it has none)."""
    return {r.id: {t.id: len(cat.cards.get(t.id, ())) for t in r.topics} for r in cat.roadmap_list()}


def short_topics(
    counts: dict[str, dict[str, int]], minimum: int = MIN_CARDS_PER_TOPIC
) -> list[tuple[str, str, int]]:
    """(roadmap, topic, count) for every topic with fewer than `minimum` cards."""
    return [(r, t, n) for r, topics in counts.items() for t, n in topics.items() if n < minimum]


def second_reviewed_cards(folder: Path = REVIEWS_DIR) -> set[str]:
    """Card ids with a verdict in `cards-*-second-review.yaml`; a broken file raises ContentError."""
    ids: set[str] = set()
    for path in sorted(folder.glob("cards-*-second-review.yaml")) if folder.is_dir() else []:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as exc:
            raise ContentError([f"{path.name}: not valid YAML: {exc}"]) from exc
        if not isinstance(data, list):
            raise ContentError([f"{path.name}: expected a list of {{id, verdict, note}}"])
        for i, entry in enumerate(data):
            if not isinstance(entry, dict) or entry.get("verdict") not in ("ok", "fixed", "replaced"):
                raise ContentError([f"{path.name}: {i}.verdict: must be ok, fixed or replaced"])
            ids.add(str(entry.get("id")))
    return ids

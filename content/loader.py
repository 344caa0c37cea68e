"""Reads and cross-checks every YAML file under `content/`.

A broken file stops start-up with a message naming the file and the field, so an
admin who edits content sees exactly what to fix.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from content.schema import (
    CardFile,
    Catalog,
    ExploreSection,
    GoalQuestion,
    LearningPath,
    Paper,
    ReviewCard,
    Roadmap,
    Skill,
    SkillArea,
)

M = TypeVar("M", bound=BaseModel)

# libyaml's loader when it is available: the same safe subset, several times faster.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CONTENT_DIR = Path(__file__).resolve().parent


class ContentError(Exception):
    """A content file is missing, unreadable or invalid."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("content is invalid:\n  " + "\n  ".join(problems))


def _read_yaml(path: Path, root: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        raise ContentError([f"{_rel(path, root)}: not valid YAML: {exc}"]) from exc


def _rel(path: Path, root: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def _fmt(path: Path, root: Path, exc: ValidationError, prefix: str = "") -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        out.append(f"{_rel(path, root)}: {loc or '(top level)'}: {err['msg']}")
    return out


def _parse(
    model: type[M], data: Any, path: Path, root: Path, problems: list[str], prefix: str = ""
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(_fmt(path, root, exc, prefix))
        return None


def _list_file(
    path: Path, key: str, model: type[M], root: Path, problems: list[str], required: bool
) -> list[M]:
    if not path.exists():
        if required:
            problems.append(f"{_rel(path, root)}: file is missing")
        return []
    data = _read_yaml(path, root)
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        problems.append(f"{_rel(path, root)}: {key}: expected a list under '{key}:'")
        return []
    items = []
    for i, raw in enumerate(data[key]):
        item = _parse(model, raw, path, root, problems, f"{key}.{i}")
        if item is not None:
            items.append(item)
    return items


def _dir_files(folder: Path, model: type[M], root: Path, problems: list[str]) -> list[tuple[Path, M]]:
    out = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        item = _parse(model, _read_yaml(path, root), path, root, problems)
        if item is not None:
            out.append((path, item))
    return out


def _unique(items: list[tuple[Path, str]], kind: str, root: Path, problems: list[str]) -> None:
    seen: dict[str, Path] = {}
    for path, key in items:
        if key in seen:
            problems.append(f"{_rel(path, root)}: id: duplicate {kind} id {key!r}")
        seen[key] = path


def load_catalog(root: Path | str | None = None) -> Catalog:
    """Load and validate everything; raise ContentError listing every problem found."""
    root = Path(root) if root is not None else CONTENT_DIR
    problems: list[str] = []

    roadmap_files = _dir_files(root / "roadmaps", Roadmap, root, problems)
    if not roadmap_files and not problems:
        problems.append(f"{_rel(root / 'roadmaps', root)}: no roadmap files found")
    _unique([(p, r.id) for p, r in roadmap_files], "roadmap", root, problems)
    for path, roadmap in roadmap_files:
        if path.stem != roadmap.id:
            problems.append(f"{_rel(path, root)}: id: {roadmap.id!r} must match the file name")

    paths = _list_file(root / "paths.yaml", "paths", LearningPath, root, problems, True)
    skills = _list_file(root / "skills.yaml", "skills", Skill, root, problems, True)
    goals = _list_file(root / "goals.yaml", "goals", GoalQuestion, root, problems, False)
    papers = _list_file(root / "papers.yaml", "papers", Paper, root, problems, False)
    area_files = _dir_files(root / "questions", SkillArea, root, problems)
    explore_files = _dir_files(root / "explore", ExploreSection, root, problems)

    _unique([(root / "paths.yaml", p.id) for p in paths], "path", root, problems)
    _unique([(root / "skills.yaml", s.id) for s in skills], "skill", root, problems)
    _unique([(root / "papers.yaml", p.id) for p in papers], "paper", root, problems)
    _unique([(p, a.id) for p, a in area_files], "skill area", root, problems)
    _unique([(p, e.id) for p, e in explore_files], "explore section", root, problems)
    question_ids = [(p, q.id) for p, a in area_files for q in a.questions]
    _unique(question_ids, "question", root, problems)
    card_files = _dir_files(root / "cards", CardFile, root, problems)
    cards = _cards_by_topic(card_files, {r.id: r for _, r in roadmap_files}, root, problems)

    if problems:
        raise ContentError(problems)

    catalog = Catalog(
        roadmaps={r.id: r for _, r in roadmap_files},
        paths={p.id: p for p in paths},
        skills=skills,
        areas={a.id: a for _, a in area_files},
        goals=goals,
        papers={p.id: p for p in papers},
        explore={e.id: e for _, e in explore_files},
        cards=cards,
    )
    _cross_check(catalog, root, problems)
    if problems:
        raise ContentError(problems)
    return catalog


def _cards_by_topic(
    files: list[tuple[Path, CardFile]], roadmaps: dict[str, Roadmap], root: Path, problems: list[str]
) -> dict[str, tuple[ReviewCard, ...]]:
    """Cards keyed by topic id. Each file belongs to its roadmap, and each card to one of its topics."""
    _unique([(p, c.id) for p, f in files for c in f.cards], "card", root, problems)
    out: dict[str, list[ReviewCard]] = {}
    for path, f in files:
        if path.stem != f.roadmap:
            problems.append(f"{_rel(path, root)}: roadmap: {f.roadmap!r} must match the file name")
        roadmap = roadmaps.get(f.roadmap)
        if roadmap is None:
            problems.append(f"{_rel(path, root)}: roadmap: unknown roadmap {f.roadmap!r}")
            continue
        for i, card in enumerate(f.cards):
            if roadmap.topic(card.topic) is None:
                problems.append(
                    f"{_rel(path, root)}: cards.{i}.topic: unknown topic {card.topic!r} "
                    f"in roadmap {f.roadmap!r} (card {card.id})"
                )
                continue
            out.setdefault(card.topic, []).append(card)
    return {topic: tuple(cs) for topic, cs in out.items()}


def _cross_check(cat: Catalog, root: Path, problems: list[str]) -> None:
    def check_ref(where: str, ref: str) -> None:
        if cat.resolve_topic(ref) is None:
            problems.append(f"{where}: unknown topic {ref!r}")

    for i, path in enumerate(cat.paths.values()):
        for j, phase in enumerate(path.phases):
            for ref in phase.topics:
                check_ref(f"content/paths.yaml: paths.{i}.phases.{j}.topics", ref)
    for area in cat.areas.values():
        for q in area.questions:
            check_ref(f"content/questions/{area.id}.yaml: questions.{q.id}.topic", q.topic)
    if cat.areas:
        for roadmap in cat.roadmaps.values():
            for t in roadmap.topics:
                if t.area is not None and t.area not in cat.areas:
                    problems.append(
                        f"content/roadmaps/{roadmap.id}.yaml: topics.{t.id}.area: "
                        f"unknown skill area {t.area!r}"
                    )
    for i, goal in enumerate(cat.goals):
        for opt in goal.options:
            for rid in opt.roadmaps:
                if rid not in cat.roadmaps:
                    problems.append(f"content/goals.yaml: goals.{i}.{opt.id}: unknown roadmap {rid!r}")
            for pid in opt.paths:
                if pid not in cat.paths:
                    problems.append(f"content/goals.yaml: goals.{i}.{opt.id}: unknown path {pid!r}")
    links: dict[str, str] = {}
    for paper in cat.papers.values():
        for track in paper.tracks:
            if track not in cat.roadmaps:
                problems.append(f"content/papers.yaml: {paper.id}.tracks: unknown track {track!r}")
        link = _link_key(paper.link)
        if link in links:
            problems.append(f"content/papers.yaml: {paper.id}.url: same page as {links[link]}")
        links.setdefault(link, paper.id)
    for section in cat.explore.values():
        for i, entry in enumerate(section.entries):
            for ref in entry.study:
                where = f"content/explore/{section.id}.yaml: entries.{i}.study"
                if "/" in ref:
                    check_ref(where, ref)
                elif ref not in cat.roadmaps and ref not in cat.paths:
                    problems.append(f"{where}: unknown roadmap or path {ref!r}")


def _link_key(url: str) -> str:
    """A paper's page without scheme, www., trailing slash or arXiv version."""
    key = url.split("://", 1)[-1].removeprefix("www.").rstrip("/").lower()
    return re.sub(r"^(arxiv\.org/abs/\d{4}\.\d{4,5})v\d+$", r"\1", key)


@lru_cache(maxsize=4)
def load_default_catalog() -> Catalog:
    """The shipped catalogue, loaded once per process."""
    return load_catalog(CONTENT_DIR)

"""Loader error messages, question-bank shape and cross-references."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.core.domain import planner
from bot.core.features.explore import handlers as explore
from content import checks
from content.loader import CONTENT_DIR, ContentError, load_catalog, load_default_catalog

CATALOG = load_default_catalog()
REQUIRED_AREAS = {
    "python",
    "linear-algebra",
    "calculus",
    "probability-statistics",
    "classical-ml",
    "deep-learning",
    "llm-prompting",
    "mlops",
    "ai-agents",
    "ai-security",
}


def test_question_bank_covers_every_area_at_three_levels():
    assert REQUIRED_AREAS <= set(CATALOG.areas)
    for area in CATALOG.areas.values():
        levels = Counter(q.level for q in area.questions)
        assert len(area.questions) >= 8, area.id
        assert set(levels) == {1, 2, 3}, area.id


def test_every_question_links_to_a_real_topic_and_has_one_answer():
    for area in CATALOG.areas.values():
        for q in area.questions:
            assert CATALOG.resolve_topic(q.topic) is not None, q.id
            assert 0 <= q.answer < len(q.choices)
            assert len(set(q.choices)) == len(q.choices)


def test_every_path_phase_links_to_real_topics():
    for path in CATALOG.paths.values():
        for phase in path.phases:
            assert all(CATALOG.resolve_topic(ref) for ref in phase.topics), (path.id, phase.label)


@pytest.fixture
def content_copy(tmp_path) -> Path:
    dest = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, dest, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return dest


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def test_a_bad_field_names_the_file_and_the_field(content_copy):
    _edit(content_copy / "roadmaps" / "mlops.yaml", lambda d: d["topics"][2].update(hours=-4))
    with pytest.raises(ContentError) as exc:
        load_catalog(content_copy)
    message = str(exc.value)
    assert "content/roadmaps/mlops.yaml" in message
    assert "topics.2.hours" in message


def test_a_broken_reference_is_reported(content_copy):
    _edit(
        content_copy / "questions" / "python.yaml",
        lambda d: d["questions"][0].update(topic="ml-engineer/no-such-topic"),
    )
    with pytest.raises(ContentError, match="unknown topic 'ml-engineer/no-such-topic'"):
        load_catalog(content_copy)


def test_an_unknown_paper_track_is_reported(content_copy):
    _edit(content_copy / "papers.yaml", lambda d: d["papers"][0].update(tracks=["astrology"]))
    with pytest.raises(ContentError, match="unknown track 'astrology'"):
        load_catalog(content_copy)


def test_invalid_yaml_is_reported_with_the_file(content_copy):
    (content_copy / "skills.yaml").write_text("skills: [unclosed\n")
    with pytest.raises(ContentError, match=r"skills\.yaml: not valid YAML"):
        load_catalog(content_copy)


# --------------------------------------------------------------------------- content v2 rules


def test_every_area_has_enough_questions_at_every_level():
    short = checks.short_levels(checks.question_counts(CATALOG.area_list()))
    assert not short, f"(area, level, count) below {checks.MIN_QUESTIONS_PER_LEVEL}: {short}"


def test_the_answer_key_gives_no_length_cue():
    figures = checks.cue_figures(checks.all_questions(CATALOG))
    assert not figures.problems(), figures.problems()


def test_no_link_points_at_a_domain_that_moved():
    stale = checks.moved_links(checks.catalogue_urls(CATALOG), checks.load_moved_domains())
    assert not stale, "\n".join(f"{w}: {u} -> {r.moved_to}" for w, u, r in stale)


@pytest.mark.parametrize("path_id", sorted(CATALOG.paths))
def test_no_phase_asks_for_more_than_the_paths_pace(path_id):
    path = CATALOG.paths[path_id]
    assert not checks.overpaced_phases(CATALOG, path), checks.phase_loads(CATALOG, path)
    # and the planner agrees: at the stated pace every phase's topics fit its weeks
    draft = planner.build_plan(CATALOG, path_id, path.hours_per_week, date(2026, 1, 5))
    assert draft.weeks <= path.weeks


def test_the_stated_pace_is_shown_to_members():
    body = explore.render(CATALOG, "paths").cards[0].body
    for path in CATALOG.path_list():
        assert f"Pace: about {path.hours_per_week:g} h a week" in body


def test_activation_order_names_modules_a_member_can_start():
    section = CATALOG.explore["activation-order"]
    refs = [ref for e in section.entries for ref in e.study]
    assert refs and all(e.study for e in section.entries)
    body = explore.render(CATALOG, "activation-order").cards[0].body
    for ref in refs:
        roadmap_id = ref.partition("/")[0]
        assert roadmap_id in CATALOG.roadmaps
        assert f"(/learn {roadmap_id})" in body
        if "/" in ref:
            assert CATALOG.resolve_topic(ref)[1].title in body


def test_an_unknown_study_reference_is_reported(content_copy):
    _edit(
        content_copy / "explore" / "activation-order.yaml",
        lambda d: d["entries"][1]["study"].append("machine-learning-practice"),
    )
    with pytest.raises(ContentError, match="unknown roadmap or path 'machine-learning-practice'"):
        load_catalog(content_copy)
    _edit(
        content_copy / "explore" / "activation-order.yaml",
        lambda d: d["entries"][1].update(study=["devops/practices"]),
    )
    with pytest.raises(ContentError, match="unknown topic 'devops/practices'"):
        load_catalog(content_copy)


def test_a_path_without_a_pace_is_reported(content_copy):
    _edit(content_copy / "paths.yaml", lambda d: d["paths"][0].pop("hours_per_week"))
    with pytest.raises(ContentError, match=r"paths\.0\.hours_per_week: Field required"):
        load_catalog(content_copy)


def test_two_papers_on_the_same_page_are_reported(content_copy):
    def add_twice(d):
        paper = dict(d["papers"][0], id="url:a-classic", url="https://papers.example.org/classic")
        d["papers"].append(paper)
        d["papers"].append(
            dict(paper, id="url:a-classic-again", url="https://www.papers.example.org/classic/")
        )

    _edit(content_copy / "papers.yaml", add_twice)
    with pytest.raises(ContentError, match=r"url:a-classic-again\.url: same page as url:a-classic"):
        load_catalog(content_copy)


def test_everything_but_the_question_bank_passes_content_check():
    """Roadmaps, paths, papers, explore links and the moved-domain list pass on their own:
    with a bank of 10 cue-free questions per area and level, the whole report is clean."""
    from bot.content_report import report
    from content.schema import Question, SkillArea

    def bank(area_id: str, topic: str) -> SkillArea:
        qs = [
            Question(
                id=f"{area_id}-{lvl}-{i:02d}",
                level=lvl,
                stem="Which of these is the right one?",
                choices=["option one", "option two", "option six", "option ten"],
                answer=i % 4,
                explanation="Each option has the same length, so length gives nothing away.",
                topic=topic,
            )
            for lvl in (1, 2, 3)
            for i in range(checks.MIN_QUESTIONS_PER_LEVEL)
        ]
        return SkillArea(id=area_id, name=area_id, order=1, questions=qs)

    areas = {a.id: bank(a.id, a.questions[0].topic) for a in CATALOG.area_list()}
    text, ok = report(CATALOG.model_copy(update={"areas": areas}))
    assert ok, text
    assert "Content OK" in text


def _texts(node: object):
    if isinstance(node, dict):
        for v in node.values():
            yield from _texts(v)
    elif isinstance(node, list):
        for v in node:
            yield from _texts(v)
    elif isinstance(node, str):
        yield node


def test_no_hyphenated_word_is_split_by_a_folded_line():
    """`>-` folding turns a line ending in "multi-" into "multi- step"; only a suspended
    hyphen ("black-, grey- and white-box") may be followed by a space."""
    split = re.compile(r"\w- (?!and\b|or\b|to\b)[a-z]")
    found = [
        (path.name, m.group(0))
        for path in sorted(CONTENT_DIR.rglob("*.yaml"))
        for text in _texts(yaml.safe_load(path.read_text()))
        for m in split.finditer(text)
    ]
    assert found == []

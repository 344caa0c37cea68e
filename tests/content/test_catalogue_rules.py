"""Loader error messages, question-bank shape and cross-references."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

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

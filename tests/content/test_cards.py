"""Review cards: the schema, loading into the catalogue by topic, and the content-check rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.content_report import report
from content import checks
from content.loader import CONTENT_DIR, ContentError, load_catalog
from content.schema import Catalog, ReviewCard, Roadmap


def card(cid: str, topic: str, answer: str = "A short answer that says why.") -> dict[str, str]:
    return {"id": cid, "topic": topic, "prompt": "Why would you choose this approach?", "answer": answer}


@pytest.fixture
def content_copy(tmp_path) -> Path:
    dest = tmp_path / "content"
    shutil.copytree(
        CONTENT_DIR, dest, ignore=shutil.ignore_patterns("*.py", "__pycache__", "cards", "cards-*")
    )
    (dest / "cards").mkdir()
    return dest


def write(folder: Path, roadmap: str, cards: list[dict[str, str]]) -> Path:
    path = folder / "cards" / f"{roadmap}.yaml"
    path.write_text(yaml.safe_dump({"roadmap": roadmap, "cards": cards}, sort_keys=False))
    return path


def first_topics(folder: Path, roadmap: str, n: int = 2) -> list[str]:
    data = yaml.safe_load((folder / "roadmaps" / f"{roadmap}.yaml").read_text())
    return [t["id"] for t in data["topics"][:n]]


def test_cards_load_keyed_by_topic_and_apply_wherever_the_topic_appears(content_copy):
    write(
        content_copy,
        "ml-engineer",
        [card(f"probability-distributions-{n}", "probability-distributions") for n in (1, 2, 3)],
    )
    cat = load_catalog(content_copy)
    assert [c.id for c in cat.cards["probability-distributions"]] == [
        f"probability-distributions-{n}" for n in (1, 2, 3)
    ]
    counts = checks.card_counts(cat)
    assert counts["ml-engineer"]["probability-distributions"] == 3
    assert counts["ai-data-scientist"]["probability-distributions"] == 3
    assert cat.card("probability-distributions-2").topic == "probability-distributions"


def test_an_unknown_topic_names_the_file_and_the_field(content_copy):
    t = first_topics(content_copy, "mlops", 1)[0]
    write(content_copy, "mlops", [card(f"{t}-1", t), card("no-such-topic-1", "no-such-topic")])
    with pytest.raises(ContentError) as exc:
        load_catalog(content_copy)
    assert "content/cards/mlops.yaml: cards.1.topic: unknown topic 'no-such-topic'" in str(exc.value)


def test_duplicate_card_ids_are_an_error_across_files(content_copy):
    a = first_topics(content_copy, "mlops", 1)[0]
    b = first_topics(content_copy, "ai-agents", 1)[0]
    write(content_copy, "mlops", [card(f"{a}-1", a)])
    write(content_copy, "ai-agents", [card(f"{a}-1", b)])
    with pytest.raises(ContentError, match=r"cards/.*\.yaml: id: duplicate card id"):
        load_catalog(content_copy)


def test_a_file_names_its_own_roadmap(content_copy):
    t = first_topics(content_copy, "mlops", 1)[0]
    path = write(content_copy, "mlops", [card(f"{t}-1", t)])
    path.rename(content_copy / "cards" / "ai-agents.yaml")
    with pytest.raises(
        ContentError, match=r"cards/ai-agents\.yaml: roadmap: 'mlops' must match the file name"
    ):
        load_catalog(content_copy)


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"prompt": "   "}, "prompt"),
        ({"answer": ""}, "answer"),
        ({"answer": "x" * 601}, "answer"),
        ({"answer": "One thing. Two things. Three things. Four things."}, "one to 3 sentences"),
        ({"id": "Not A Slug"}, "id"),
    ],
)
def test_bad_cards_are_refused(over, message):
    with pytest.raises(ValidationError, match=message):
        ReviewCard(**{**card("topic-a-1", "topic-a"), **over})


def test_three_sentences_with_abbreviations_and_numbers_are_fine():
    ReviewCard(
        **card("topic-a-1", "topic-a", "Use e.g. a list when order matters. It keeps 3.5 items. Done.")
    )


def _roadmap(topics: int) -> Roadmap:
    return Roadmap(
        id="rm",
        name="RM",
        order=1,
        hours=topics,
        tagline="t",
        best_for="anyone",
        summary="A roadmap used only by these tests, long enough to validate.",
        demand=3,
        topics=[
            {
                "id": f"t{i}",
                "title": f"Topic {i}",
                "hours": 1,
                "explainer": "An explainer that is long enough for the schema to accept it.",
                "resources": [{"title": "Docs", "url": "https://example.org/"}],
            }
            for i in range(topics)
        ],
    )


def _fixture_catalog(per_topic: list[int]) -> Catalog:
    cards = {
        f"t{i}": tuple(ReviewCard(**card(f"t{i}-{n}", f"t{i}")) for n in range(1, k + 1))
        for i, k in enumerate(per_topic)
        if k
    }
    return Catalog(roadmaps={"rm": _roadmap(len(per_topic))}, paths={}, skills=[], cards=cards)


def test_content_check_fails_on_a_topic_with_fewer_than_three_cards():
    text, ok = report(_fixture_catalog([3, 2, 0]), moved=[], reviewed_cards=set())
    assert not ok
    assert "PROBLEM: t1 has 2 cards, needs 3" in text and "PROBLEM: t2 has 0 cards, needs 3" in text
    assert "t0 has" not in text


def test_content_check_counts_cards_and_second_reviews():
    text, _ = report(_fixture_catalog([3, 4]), moved=[], reviewed_cards={"t0-1", "t1-4", "gone-1"})
    assert "Review cards: 7 (2 with a second review)" in text
    assert "rm                      7 cards over 2 topics  ok" in text
    assert "PROBLEM" not in text.split("Review cards:")[1]


def test_second_review_files_are_read_and_checked(tmp_path):
    (tmp_path / "cards-rm-second-review.yaml").write_text(
        "# verdicts\n- id: t0-1\n  verdict: ok\n  note: fine\n- id: t0-2\n  verdict: fixed\n  note: x\n"
    )
    assert checks.second_reviewed_cards(tmp_path) == {"t0-1", "t0-2"}
    (tmp_path / "cards-xx-second-review.yaml").write_text("- id: t0-3\n  verdict: maybe\n")
    with pytest.raises(ContentError, match="must be ok, fixed or replaced"):
        checks.second_reviewed_cards(tmp_path)


def test_bot_content_check_exits_non_zero_for_a_topic_left_with_two_cards(tmp_path, monkeypatch, capsys):
    from bot.cli import main

    dest = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, dest, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setattr("content.loader.CONTENT_DIR", dest)
    assert main(["content", "check"]) == 0
    path = dest / "cards" / "ai-agents.yaml"
    data = yaml.safe_load(path.read_text())
    data["cards"] = [c for c in data["cards"] if c["id"] != "what-are-agents-3"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    capsys.readouterr()
    assert main(["content", "check"]) == 1
    assert "PROBLEM: what-are-agents has 2 cards, needs 3" in capsys.readouterr().out

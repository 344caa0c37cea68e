"""The catalogue quality rules of `content.checks`, on small synthetic catalogues."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content_report import report
from bot.core.domain import planner
from content import checks
from content.loader import ContentError
from content.schema import Catalog, LearningPath, Paper, Question, Resource, Roadmap, SkillArea

TOPIC = "rm/t0"


def question(qid: str, choices: list[str], answer: int = 0, level: int = 1) -> Question:
    return Question(
        id=qid,
        level=level,
        stem="Which option is right here?",
        choices=choices,
        answer=answer,
        explanation="Because it is the right one, as explained.",
        topic=TOPIC,
    )


def area(aid: str, per_level: dict[int, int]) -> SkillArea:
    qs = [
        question(f"{aid}-{lvl}-{i}", ["aa", "bb", "cc", "dd"], level=lvl)
        for lvl, n in per_level.items()
        for i in range(n)
    ]
    return SkillArea(id=aid, name=aid.title(), order=1, questions=qs)


def roadmap(hours: list[float]) -> Roadmap:
    return Roadmap(
        id="rm",
        name="RM",
        order=1,
        hours=max(1, round(sum(hours))),
        tagline="t",
        best_for="anyone",
        summary="A roadmap used only by these tests, long enough to validate.",
        demand=3,
        topics=[
            {
                "id": f"t{i}",
                "title": f"Topic {i}",
                "hours": h,
                "explainer": "An explainer that is long enough for the schema to accept it.",
                "resources": [{"title": "Docs", "url": "https://example.org/"}],
            }
            for i, h in enumerate(hours)
        ],
    )


def path(pace: float, phases: list[tuple[int, list[int]]]) -> LearningPath:
    """phases: (weeks, topic indexes) in order; weeks are laid out contiguously."""
    out, week = [], 1
    for i, (weeks, topics) in enumerate(phases):
        out.append(
            {
                "label": f"Phase {i}",
                "title": f"Phase {i}",
                "start_week": week,
                "end_week": week + weeks - 1,
                "topics": [f"rm/t{t}" for t in topics],
            }
        )
        week += weeks
    return LearningPath(
        id="pa",
        name="P",
        order=1,
        duration="x",
        timeline="x",
        outcome="x",
        best_for="x",
        hours_per_week=pace,
        phases=out,
    )


def catalog(hours: list[float], p: LearningPath | None = None, **extra) -> Catalog:
    return Catalog(roadmaps={"rm": roadmap(hours)}, paths={"pa": p} if p else {}, skills=[], **extra)


# --------------------------------------------------------------------------- question counts


def test_counts_report_every_level_and_flag_the_short_ones():
    counts = checks.question_counts([area("aa", {1: 10, 2: 10, 3: 10}), area("bb", {1: 12, 3: 9})])
    assert counts == {"aa": {1: 10, 2: 10, 3: 10}, "bb": {1: 12, 2: 0, 3: 9}}
    assert checks.short_levels(counts) == [("bb", 2, 0), ("bb", 3, 9)]


def test_the_minimum_is_ten_per_level():
    assert checks.MIN_QUESTIONS_PER_LEVEL == 10
    exactly = checks.question_counts([area("aa", {1: 10, 2: 10, 3: 10})])
    one_short = checks.question_counts([area("aa", {1: 10, 2: 9, 3: 10})])
    assert checks.short_levels(exactly) == []
    assert checks.short_levels(one_short) == [("aa", 2, 9)]


def test_report_fails_when_an_area_level_is_short():
    full = catalog([1], areas={"aa": area("aa", {1: 10, 2: 10, 3: 10})})
    short = catalog([1], areas={"aa": area("aa", {1: 10, 2: 10, 3: 9})})
    full_text, _ = report(full, moved=[])
    assert "L1: 10  L2: 10  L3: 10" in full_text and "needs 10+" not in full_text
    text, ok = report(short, moved=[])
    assert not ok and "needs 10+ at level 3" in text


# --------------------------------------------------------------------------- answer cues


def test_uniquely_longest_needs_a_strict_win():
    assert checks.key_uniquely_longest(question("q1", ["abcd", "abc", "ab", "a"]))
    assert not checks.key_uniquely_longest(question("q2", ["abcd", "wxyz", "ab", "a"]))
    assert not checks.key_uniquely_longest(question("q3", ["ab", "abcd", "a"], answer=0))


def test_much_longer_means_one_and_a_half_times_every_distractor():
    assert checks.key_much_longer(question("q1", ["x" * 15, "y" * 10, "z" * 3]))
    assert not checks.key_much_longer(question("q2", ["x" * 15, "y" * 11, "z" * 3]))
    # surrounding spaces are not length
    assert not checks.key_much_longer(question("q3", ["  " + "x" * 14 + "  ", "y" * 10, "z"]))


def test_cue_figures_and_their_thresholds():
    long_key = [question(f"l{i}", ["x" * 30, "short", "tiny", "wee"]) for i in range(3)]
    longest_only = [question("m", ["longer one", "shorter", "short", "tiny"])]
    fair = [question(f"f{i}", ["same size", "same width", "equal size", "even size"]) for i in range(4)]
    figures = checks.cue_figures(long_key + longest_only + fair)
    assert (figures.questions, figures.uniquely_longest, figures.much_longer) == (8, 4, 3)
    assert figures.uniquely_longest_share == pytest.approx(0.5)
    assert figures.much_longer_share == pytest.approx(3 / 8)
    assert figures.problems() == [
        "the key is the uniquely longest option in 50% of questions (at most 35%)",
        "the key is 1.5x longer than every distractor in 38% of questions (at most 5%)",
    ]
    assert checks.cue_figures(fair).problems() == []


def test_a_share_exactly_at_the_threshold_passes():
    figures = checks.CueFigures(questions=100, uniquely_longest=35, much_longer=5)
    assert figures.problems() == []
    assert len(checks.CueFigures(questions=100, uniquely_longest=36, much_longer=6).problems()) == 2


def test_an_empty_bank_has_no_cues():
    figures = checks.cue_figures([])
    assert figures.uniquely_longest_share == 0 and figures.problems() == []


def test_report_prints_both_cue_figures_and_fails_above_them():
    cued = {"aa": SkillArea(id="aa", name="AA", order=1, questions=[question("q", ["x" * 20, "y", "z"])])}
    text, ok = report(catalog([1], areas=cued), moved=[])
    assert not ok
    assert "uniquely longest option: 1 (100.0%, limit 35%)" in text
    assert "1.5x longer than every distractor: 1 (100.0%, limit 5%)" in text


# --------------------------------------------------------------------------- moved domains

MOVED = [
    checks.MovedDomain(domain="old.example.com", moved_to="https://new.example.com", why="renamed site"),
    checks.MovedDomain(domain="example.org/course", moved_to="https://example.org/learn", why="new course"),
]


@pytest.mark.parametrize(
    ("url", "flagged"),
    [
        ("https://old.example.com/docs/page", True),
        ("https://www.old.example.com/", True),
        ("https://api.old.example.com/x", True),
        ("https://notold.example.com/", False),
        ("https://new.example.com/docs", False),
        ("https://example.org/course/chapter1", True),
        ("https://example.org/learn/course", False),
        ("https://example.org/", False),
    ],
)
def test_moved_domain_matching(url, flagged):
    found = checks.moved_links([("somewhere", url)], MOVED)
    assert bool(found) is flagged


def test_report_lists_every_link_on_a_moved_domain():
    cat = catalog([1])
    rm = cat.roadmaps["rm"]
    old = Resource(title="Old", url="https://old.example.com/a")
    topic = rm.topics[0].model_copy(update={"resources": [old]})
    cat = cat.model_copy(update={"roadmaps": {"rm": rm.model_copy(update={"topics": [topic]})}})
    text, ok = report(cat, moved=MOVED)
    assert not ok
    assert "content/roadmaps/rm.yaml: topics.t0: https://old.example.com/a -> https://new.example.com" in text
    assert "Links on moved domains (1 known): 0" in report(cat, moved=MOVED[1:])[0]


def test_paper_links_are_checked_too():
    paper = Paper(
        id="url:old-classic",
        title="A classic",
        authors=["A. Author"],
        year=2015,
        tracks=["rm"],
        level=1,
        minutes=30,
        why="A paper with neither an arXiv id nor a DOI, on a page that has since moved.",
        questions=["What?", "Why?"],
        url="https://old.example.com/paper.pdf",
    )
    found = checks.moved_links(checks.catalogue_urls(catalog([1], papers={paper.id: paper})), MOVED)
    assert [where for where, _, _ in found] == ["papers.yaml: url:old-classic"]


def test_the_shipped_moved_domain_list_loads():
    rules = checks.load_moved_domains()
    assert any(r.domain == "paperswithcode.com" for r in rules)
    assert all(r.moved_to.startswith("https://") for r in rules)


# --------------------------------------------------------------------------- path pace


def test_phase_load_counts_a_repeated_topic_once():
    cat = catalog([20, 10, 6], path(10, [(2, [0, 1]), (1, [1, 2])]))
    loads = checks.phase_loads(cat, cat.paths["pa"])
    assert [(lo.hours, lo.weeks) for lo in loads] == [(30, 2), (6, 1)]
    assert [lo.hours_per_week for lo in loads] == [15, 6]
    assert [lo.label for lo in checks.overpaced_phases(cat, cat.paths["pa"])] == ["Phase 0"]


def test_a_phase_exactly_at_the_pace_is_fine():
    cat = catalog([20, 10], path(15, [(2, [0, 1])]))
    assert checks.overpaced_phases(cat, cat.paths["pa"]) == []


def test_report_fails_an_overpaced_path():
    cat = catalog([50], path(10, [(2, [0])]))
    text, ok = report(cat, moved=[])
    assert not ok and "Phase 0 needs 25.0 h/week (50 h in 2 weeks), more than 10" in text


@settings(max_examples=60, deadline=None)
@given(
    hours=st.lists(st.integers(1, 40), min_size=1, max_size=8),
    cuts=st.lists(st.integers(1, 6), min_size=1, max_size=4),
    pace=st.integers(1, 30),
)
def test_a_path_that_keeps_its_pace_fits_its_weeks_in_the_planner(hours, cuts, pace):
    """If no phase needs more than the stated pace, a member studying at that pace has
    every topic scheduled inside its phase's weeks, so the path's timeline holds."""
    n = len(hours)
    bounds = sorted({min(c, n) for c in cuts} | {n})
    groups, lo = [], 0
    for hi in bounds:
        if hi > lo:
            groups.append(list(range(lo, hi)))
            lo = hi
    # each phase gets just enough weeks for its hours at a pace drawn around `pace`
    phases = [(max(1, -(-sum(hours[i] for i in g) // pace)), g) for g in groups]
    p = path(pace, phases)
    cat = catalog(hours, p)
    assert checks.overpaced_phases(cat, p) == []
    draft = planner.build_plan(cat, "pa", pace, date(2026, 1, 5))
    end_week = {f"rm/t{t}": ph.end_week for ph in p.phases for t in range(n) if f"rm/t{t}" in ph.topics}
    for item in draft.items:
        assert item.week <= end_week[f"{item.roadmap_id}/{item.topic_id}"]
    assert draft.weeks <= p.weeks


# --------------------------------------------------------------------------- url paper ids


def _paper(**over) -> Paper:
    base = dict(
        id="url:a-classic",
        title="A classic",
        authors=["A. Author"],
        year=2015,
        tracks=["rm"],
        level=1,
        minutes=30,
        why="A paper with neither an arXiv id nor a DOI, only a conference page.",
        questions=["What?", "Why?"],
        url="https://proceedings.example.org/2015/classic.html",
    )
    return Paper(**{**base, **over})


def test_a_url_paper_links_to_its_page():
    assert _paper().link == "https://proceedings.example.org/2015/classic.html"


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"url": None}, "needs its page in `url`"),
        ({"url": "https://arxiv.org/abs/1706.03762"}, "has an arXiv id or DOI"),
        ({"url": "https://doi.org/10.1145/1"}, "has an arXiv id or DOI"),
        ({"id": "url:https://example.org/x"}, "'url:<slug>'"),
        ({"id": "url:" + "a" * 57}, "at most 60 characters"),
    ],
)
def test_bad_url_papers_are_refused(over, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        _paper(**over)


def test_a_broken_moved_domain_list_names_the_file_and_the_field(tmp_path):
    bad = tmp_path / "moved_domains.yaml"
    bad.write_text("moved:\n  - domain: example.com\n    moved_to: https://example.org\n")
    with pytest.raises(ContentError, match=r"moved_domains\.yaml: moved\.0\.why: Field required"):
        checks.load_moved_domains(bad)
    bad.write_text("moved: [unclosed\n")
    with pytest.raises(ContentError, match="not valid YAML"):
        checks.load_moved_domains(bad)


def test_the_report_names_the_questions_with_a_much_longer_key():
    qs = [question("cue-1", ["x" * 20, "y", "z"]), question("fair-1", ["ab", "cd", "ef"])]
    cued = {"aa": SkillArea(id="aa", name="AA", order=1, questions=qs)}
    text, _ = report(catalog([1], areas=cued), moved=[])
    assert "keys 1.5x longer: cue-1\n" in text

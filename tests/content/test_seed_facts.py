"""Every figure in the source document must survive into the content catalogue.

The seed (the project's source document, kept in ``shared/seed`` next to the repo)
is parsed here and each fact it states (hours, salary ranges, demand levels, week
ranges, the skill matrix, project names, ...) is looked up in the catalogue that
``content.loader.load_catalog()`` builds. Expected values come from the seed text
itself, so deleting or mistyping a fact in the YAML makes a test fail.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from content.loader import load_catalog
from content.schema import Catalog

SEED_DIR = Path(__file__).resolve().parents[3] / "shared" / "seed"

# How the seed's role names map onto roadmap ids (names only, no figures).
ROLE_TO_ROADMAP = {
    "Prompt Engineer": "prompt-engineering",
    "AI Engineer": "ai-engineer",
    "ML Engineer": "ml-engineer",
    "Data Scientist": "ai-data-scientist",
    "MLOps Engineer": "mlops",
    "AI Agent Dev": "ai-agents",
    "AI Red Teamer": "ai-red-teaming",
}

LEVEL_WORDS = {"Beginner", "Intermediate", "Advanced"}
WEEKS_PER_MONTH = 52 / 12

SALARY_RE = re.compile(r"\$\d[\d,]*k\+?(?:\s*(?:-|–|—|→)\s*\$?\d[\d,]*k\+?)?")
RATIO_RE = re.compile(r"\d+(?:-\d+)?(?:%\+?|x\b)")


# --------------------------------------------------------------------------- helpers


def _no_seed(reason: str) -> None:
    """Skip on a developer's machine; in CI (CI=true) a missing seed is a failure, not a pass."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI must check the content against it")
    pytest.skip(reason)


@lru_cache(maxsize=1)
def seed_text() -> str:
    return _read_seed(SEED_DIR)


def _read_seed(folder: Path) -> str:
    if not folder.is_dir():
        _no_seed(f"seed folder {folder} is absent (it lives next to the repo, not in it)")
    files = sorted(folder.glob("*.md"))
    if not files:
        _no_seed(f"no .md seed file in {folder}")
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def test_a_missing_seed_fails_in_ci_and_skips_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        _read_seed(tmp_path / "absent")
    with pytest.raises(pytest.fail.Exception):
        _read_seed(tmp_path)  # a folder without .md files
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        _read_seed(tmp_path / "absent")


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    return load_catalog()


def section(heading: str, text: str | None = None) -> str:
    """Text under the first markdown heading containing `heading`, up to the next
    heading of the same or a higher level."""
    text = seed_text() if text is None else text
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(#+)\s+(.*)$", line)
        if m and heading.lower() in m.group(2).lower():
            depth = len(m.group(1))
            body = []
            for nxt in lines[i + 1 :]:
                n = re.match(r"^(#+)\s", nxt)
                if n and len(n.group(1)) <= depth:
                    break
                body.append(nxt)
            return "\n".join(body)
    raise AssertionError(f"the seed has no heading containing {heading!r}")


def subsections(text: str, level: int) -> list[tuple[str, str]]:
    """(heading, body) pairs for headings of exactly `level` inside `text`."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        m = re.match(r"^(#+)\s+(.*)$", line)
        if m and len(m.group(1)) == level:
            out.append((m.group(2).strip(), []))
        elif m and len(m.group(1)) < level:
            break
        elif out:
            out[-1][1].append(line)
    return [(h, "\n".join(b)) for h, b in out]


def table_rows(text: str) -> list[list[str]]:
    """Body rows of the first markdown table in `text` (header and rule skipped)."""
    rows = [ln for ln in text.splitlines() if ln.strip().startswith("|")]
    cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
    return [c for c in cells[2:] if c]


def table_header(text: str) -> list[str]:
    rows = [ln for ln in text.splitlines() if ln.strip().startswith("|")]
    return [c.strip() for c in rows[0].strip().strip("|").split("|")]


def unbold(s: str) -> str:
    return s.replace("**", "").replace("`", "").strip()


def bullets(text: str) -> list[str]:
    return [unbold(m) for m in re.findall(r"^\s*[-*]\s+(.*\S)\s*$", text, re.M)]


def norm(s: str) -> str:
    s = s.replace("–", "-").replace("—", "-").replace("→", "-")
    s = re.sub(r"\s*-\s*", "-", s)
    s = s.replace("-$", "-")
    return re.sub(r"\s+", " ", s).strip().casefold()


def strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from strings(v)
    elif obj is not None:
        yield str(obj)


@lru_cache(maxsize=1)
def catalog_text() -> str:
    return norm("\n".join(strings(catalog().model_dump(mode="json"))))


def section_text(section_id: str) -> str:
    sec = catalog().explore[section_id]
    return norm("\n".join(strings(sec.model_dump(mode="json"))))


def explore_entry(section_id: str, title: str):
    sec = catalog().explore.get(section_id)
    assert sec is not None, f"content/explore/{section_id}.yaml is missing"
    for e in sec.entries:
        if norm(title) in norm(e.title):
            return e
    raise AssertionError(f"explore/{section_id}: no entry titled like {title!r}")


def stars(s: str) -> int:
    return s.count("⭐") + s.count("🔥")


def missing(needles: list[str], haystack: str) -> list[str]:
    return [n for n in needles if norm(n) not in haystack]


# --------------------------------------------------------------------------- roadmaps


def seed_roadmaps() -> list[tuple[int, str, int, str]]:
    """(order, name, hours, section body) for each numbered roadmap in the seed."""
    body = section("Roadmaps I Cover")
    out = []
    for heading, text in subsections(body, 3):
        m = re.match(r"\*\*(\d+)\.\s*(.+?)\*\*\s*\(([\d,]+)\s*hours\)", heading)
        if m:
            out.append((int(m.group(1)), m.group(2), int(m.group(3).replace(",", "")), text))
    assert len(out) >= 7, "could not parse the roadmap list from the seed"
    return out


def roadmap_by_order(order: int):
    found = [r for r in catalog().roadmaps.values() if r.order == order]
    assert found, f"no roadmap with order {order}"
    return found[0]


def test_roadmap_hours_match_seed_and_topic_sums():
    for order, name, hours, _ in seed_roadmaps():
        rm = roadmap_by_order(order)
        assert rm.hours == hours, f"{rm.id} ({name}): hours {rm.hours} != seed {hours}"
        assert rm.topic_hours == hours, (
            f"{rm.id}: topic hours add up to {rm.topic_hours}, the seed says {hours}"
        )


def test_every_roadmap_in_the_catalogue_is_in_the_seed():
    seed_orders = {o for o, *_ in seed_roadmaps()}
    extra = [r.id for r in catalog().roadmaps.values() if r.order not in seed_orders]
    assert not extra, f"roadmaps without a seed entry: {extra}"


def test_roadmap_figures_from_their_seed_sections():
    problems = []
    for order, name, _, text in seed_roadmaps():
        rm = roadmap_by_order(order)
        own = norm("\n".join(strings(rm.model_dump(mode="json"))))
        stated = stars(text)
        if stated:
            if rm.demand != stated:
                problems.append(f"{rm.id}: demand {rm.demand}, seed section shows {stated}")
        figures = SALARY_RE.findall(text) + RATIO_RE.findall(text)
        for m in re.finditer(r"\*\*Timeline\*\*:\s*(.+)", text):
            figures.append(m.group(1).strip())
        problems += [f"{rm.id} ({name}): {f!r} not found" for f in missing(figures, own)]
    assert not problems, "\n".join(problems)


FILLER = {"and", "the", "for", "with", "how", "they", "actually", "work", "specifically", "etc"}


def test_roadmap_topic_names_from_seed_bullets():
    """Each seed bullet under a roadmap names things the roadmap covers: every word of
    it (fillers aside) occurs in the roadmap, so a compound bullet may be split into
    several topics but no part of it may be dropped."""
    problems = []
    for order, _, _, text in seed_roadmaps():
        rm = roadmap_by_order(order)
        own = norm("\n".join(strings(rm.model_dump(mode="json"))))
        for b in bullets(text):
            if ":" in b:  # a labelled note such as "Critical role: ..."
                continue
            if norm(b) in own:
                continue
            words = [w for w in re.findall(r"[\w/+-]+", norm(b)) if w not in FILLER]
            lost = [w for w in words if w not in own]
            if lost:
                problems.append(f"{rm.id}: seed bullet {b!r}: {lost} not found")
    assert not problems, "\n".join(problems)


def test_roadmap_demand_matches_market_table():
    rows = table_rows(section("Market Demand by Role"))
    assert rows, "market demand table not parsed"
    problems = []
    for role, demand, *_ in rows:
        rid = ROLE_TO_ROADMAP[unbold(role)]
        rm = catalog().roadmaps.get(rid)
        assert rm is not None, f"roadmap {rid} missing"
        if rm.demand != stars(demand):
            problems.append(f"{rid}: demand {rm.demand}, market table shows {stars(demand)}")
    assert not problems, "\n".join(problems)


def test_topic_counts():
    for rm in catalog().roadmaps.values():
        assert len(rm.topics) >= 12, f"{rm.id} has only {len(rm.topics)} topics"
    for rid in ("ml-engineer", "ai-data-scientist"):
        rm = catalog().roadmaps[rid]
        assert len(rm.topics) >= 30, f"{rid} has only {len(rm.topics)} topics"


# --------------------------------------------------------------------------- every figure


def test_every_salary_range_in_the_seed_is_in_the_catalogue():
    found = sorted(set(SALARY_RE.findall(seed_text())))
    assert len(found) >= 30, "salary extraction from the seed looks broken"
    assert not missing(found, catalog_text()), missing(found, catalog_text())


def test_every_percentage_and_multiplier_in_the_seed_is_in_the_catalogue():
    found = sorted(set(RATIO_RE.findall(seed_text())))
    assert len(found) >= 10, "ratio extraction from the seed looks broken"
    assert not missing(found, catalog_text()), missing(found, catalog_text())


def test_every_outcome_in_the_seed_is_in_the_catalogue():
    found = [unbold(m) for m in re.findall(r"Outcome\**:\s*(.+)", seed_text())]
    assert len(found) >= 7
    assert not missing(found, catalog_text()), missing(found, catalog_text())


# --------------------------------------------------------------------------- skill matrix


def test_skill_matrix_rows():
    rows = table_rows(section("Skill Matrix"))
    skills = catalog().skills
    assert len(rows) == 10 == len(skills), f"seed rows {len(rows)}, skills {len(skills)}"
    for row, skill in zip(rows, skills, strict=True):
        name, duration, level, demand, roi = (unbold(c) for c in row)
        lo, hi = (int(x) for x in re.match(r"(\d+)-(\d+) weeks", duration).groups())
        assert skill.name == name
        assert (skill.min_weeks, skill.max_weeks) == (lo, hi), f"{name}: weeks"
        assert skill.level == level and level in LEVEL_WORDS, f"{name}: level"
        assert skill.demand == stars(demand), f"{name}: demand"
        assert skill.roi == roi, f"{name}: roi"
        if skill.area is not None and catalog().areas:
            assert skill.area in catalog().areas, f"{name}: unknown area {skill.area}"


# --------------------------------------------------------------------------- paths


def seed_paths() -> list[tuple[int, str, str, list[tuple[str, str]], dict[str, str]]]:
    body = section("Optimized Learning Paths")
    out = []
    for heading, text in subsections(body, 3):
        m = re.match(r"Path (\d+):\s*\*\*(.+?)\*\*\s*\((.+?)\)", heading)
        if not m:
            continue
        block = re.search(r"```\n(.*?)```", text, re.S).group(1)
        phases, meta = [], {}
        for line in block.strip().splitlines():
            label, _, value = line.partition(":")
            if label in ("Outcome", "Timeline"):
                meta[label] = value.strip()
            else:
                phases.append((label.strip(), value.strip()))
        out.append((int(m.group(1)), m.group(2), m.group(3), phases, meta))
    assert len(out) == 4, "could not parse the four learning paths"
    return out


def test_paths_match_seed():
    for order, name, duration, phases, meta in seed_paths():
        found = [p for p in catalog().paths.values() if p.order == order]
        assert found, f"no path with order {order} ({name})"
        path = found[0]
        assert path.name == name
        assert path.duration == duration
        assert path.timeline == meta["Timeline"]
        assert path.outcome == meta["Outcome"]
        assert [(p.label, p.title) for p in path.phases] == phases, path.id


def test_path_week_ranges():
    for _, _, _, phases, _ in seed_paths():
        path = next(p for p in catalog().paths.values() if p.phases[0].label == phases[0][0])
        prev_end, months, quarter = 0, 0.0, 0
        for phase in path.phases:
            where = f"{path.id} {phase.label}"
            assert phase.start_week == prev_end + 1, f"{where}: not contiguous"
            if m := re.fullmatch(r"Week (\d+)-(\d+)", phase.label):
                assert (phase.start_week, phase.end_week) == tuple(map(int, m.groups())), where
            elif m := re.fullmatch(r"Phase \d+ \((\d+) mo\)", phase.label):
                months += int(m.group(1))
                assert phase.end_week == round(months * WEEKS_PER_MONTH), where
            elif re.fullmatch(r"Quarter \d+", phase.label):
                quarter += 1
                assert (phase.start_week, phase.end_week) == (13 * quarter - 12, 13 * quarter)
            else:
                raise AssertionError(f"{where}: label not in a known form")
            prev_end = phase.end_week


# --------------------------------------------------------------------------- explore sections


def test_salary_table():
    body = section("Compensation by Level")
    header = table_header(body)[1:]
    rows = table_rows(body)
    assert len(rows) == 6 and len(header) == 4
    for role, *cells in rows:
        entry = explore_entry("salaries", unbold(role))
        for band, cell in zip(header, cells, strict=True):
            assert entry.facts.get(band) == cell, f"{unbold(role)} {band}"
    insight = re.search(r"Key Insight\**:\s*(.+)", body).group(1)
    assert not missing(RATIO_RE.findall(insight), section_text("salaries"))


def test_market_demand_table():
    for role, demand, growth, notes in table_rows(section("Market Demand by Role")):
        entry = explore_entry("market-demand", unbold(role))
        assert entry.facts.get("demand") == f"{stars(demand)}/5", unbold(role)
        assert entry.facts.get("growth") == growth, unbold(role)
        assert entry.facts.get("notes") == notes, unbold(role)


def test_why_ai_ml_table():
    for factor, why, comparison in table_rows(section("What Makes This Specialization")):
        entry = explore_entry("why-ai-ml", unbold(factor))
        assert entry.facts.get("why") == why, unbold(factor)
        assert entry.facts.get("comparison") == comparison, unbold(factor)


def test_key_concepts():
    body = section("Key Technical Concepts")
    groups = subsections(body, 3)
    assert len(groups) == 4
    have = section_text("key-concepts")
    for heading, text in groups:
        name = re.sub(r"^\d+\.\s*|\s*\(.*\)$", "", heading)
        explore_entry("key-concepts", name)
        assert not missing(bullets(text), have), heading


def test_activation_order():
    body = section("Skill Activation Order")
    have = section_text("activation-order")
    tiers = re.findall(r"\*\*(Tier \d+: [^*]+)\*\*\s*\((Weeks [^)]+)\)", body)
    assert len(tiers) == 3
    for tier, weeks in tiers:
        entry = explore_entry("activation-order", tier)
        assert entry.facts.get("weeks") == weeks, tier
    assert not missing(re.findall(r"`([a-z-]+)`", body), have)


def test_projects():
    stages = subsections(section("Real-World Projects"), 3)
    assert len(stages) == 4
    for heading, text in stages:
        months = re.match(r"Months (\d+-\d+)", heading).group(1)
        entry = explore_entry("projects", f"Months {months}")
        assert entry.facts.get("months") == months
        assert entry.bullets == bullets(text), heading


def test_trends():
    body = section("Industry Trends")
    have = section_text("trends")
    for heading, text in subsections(body, 3):
        year = heading.split()[0]
        explore_entry("trends", year)
        labels = re.findall(r"\*\*([^*]+)\*\*:", text)
        names = re.findall(r'"([^"]+)"', text)
        assert not missing(labels + names, have), heading
    assert not missing(["Llama 2", "Mistral"], have)


def test_career_progression():
    body = section("Career Progression Detailed")
    have = section_text("career-progression")
    stages = [h for h, _ in subsections(body, 3)]
    assert len(stages) == 4
    assert not missing(stages, have)
    for label in re.findall(r"\*\*((?:Months \d+-\d+)|(?:Year \d+))\*\*", body):
        explore_entry("career-progression", label)
    figures = SALARY_RE.findall(body) + re.findall(r"\d+-\d+", body)
    assert not missing(figures, have)


def test_prerequisites():
    for heading, text in subsections(section("Prerequisites & Expectations"), 3):
        entry = explore_entry("prerequisites", heading)
        assert len(entry.bullets) == len(bullets(text)), heading


def test_challenges():
    for heading, text in subsections(section("Common Challenges"), 3):
        title = re.search(r'"(.+)"', heading).group(1)
        entry = explore_entry("challenges", title)
        key = re.search(r"\*\*Key\*\*:\s*(.+)", text).group(1).strip()
        assert entry.facts.get("key") == key, title
        solutions = [b for b in bullets(text) if not b.startswith("Key")]
        assert len(entry.bullets) == len(solutions), title
        figures = RATIO_RE.findall(text) + re.findall(r"\d+-\d+", text)
        assert not missing(figures, section_text("challenges")), title


def test_mentors_and_communities():
    body = section("Mentorship & Community")
    have = section_text("mentors-communities")
    for heading, text in subsections(body, 3):
        names = [unbold(b).split(":")[0] for b in re.findall(r"^- (.+)$", text, re.M)]
        assert not missing(names, have), heading
    urls = {str(e.url) for e in catalog().explore["mentors-communities"].entries if e.url}
    for host in ("kaggle.com", "huggingface.co", "reddit.com"):
        assert any(host in u for u in urls), f"no link to {host}"
    # Papers with Code shut down in 2025; the seed's entry now points at its successor.
    pwc = explore_entry("mentors-communities", "Papers with Code")
    assert str(pwc.url).startswith("https://huggingface.co/papers"), pwc.url


def test_next_steps():
    steps = re.findall(r"^\d+\.\s+\*\*(\w+)\*\*", section("Your Next Steps"), re.M)
    assert len(steps) == 7
    titles = [e.title for e in catalog().explore["next-steps"].entries]
    assert len(titles) == 7
    for step, title in zip(steps, titles, strict=True):
        assert step in title


def test_resources():
    body = section("Resources to Explore")
    entries = catalog().explore["resources"].entries
    titles = [norm(e.title) for e in entries]
    for heading, text in subsections(body, 3):
        for name in re.findall(r"^- \*\*([^*]+)\*\*", text, re.M):
            assert any(norm(name) in t for t in titles), f"{heading}: {name} missing"
    assert all(e.url for e in entries), "every resource entry needs a url"


# --------------------------------------------------------------------------- links and goals


def all_urls() -> Iterator[tuple[str, str]]:
    cat = catalog()
    for rm in cat.roadmaps.values():
        if rm.link:
            yield f"roadmaps/{rm.id}.link", str(rm.link)
        for t in rm.topics:
            for r in t.resources:
                yield f"roadmaps/{rm.id}/{t.id}", str(r.url)
    for sec in cat.explore.values():
        for e in sec.entries:
            if e.url:
                yield f"explore/{sec.id}", str(e.url)
    for p in cat.papers.values():
        if p.url:
            yield f"papers/{p.id}", str(p.url)


def test_urls_are_well_formed():
    bad = []
    for where, url in all_urls():
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname or re.search(r"\s", url):
            bad.append(f"{where}: {url}")
    assert not bad, "\n".join(bad)


def test_urls_unique_within_a_topic_or_section():
    dupes = []
    for rm in catalog().roadmaps.values():
        for t in rm.topics:
            urls = [str(r.url) for r in t.resources]
            if len(set(urls)) != len(urls):
                dupes.append(f"{rm.id}/{t.id}")
    for sec in catalog().explore.values():
        urls = [str(e.url) for e in sec.entries if e.url]
        if len(set(urls)) != len(urls):
            dupes.append(f"explore/{sec.id}")
    assert not dupes, dupes


def test_goals_can_recommend_every_roadmap_and_path():
    goals = catalog().goals
    assert goals, "content/goals.yaml is empty"
    tops: dict[str, set[str]] = {"roadmaps": set(), "paths": set()}
    for combo in itertools.product(*(g.options for g in goals)):
        for kind, winners in tops.items():
            score: dict[str, float] = {}
            for opt in combo:
                for key, weight in getattr(opt, kind).items():
                    score[key] = score.get(key, 0) + weight
            ranked = sorted(score.values(), reverse=True)
            if ranked and (len(ranked) == 1 or ranked[0] > ranked[1]):
                winners.add(max(score, key=score.__getitem__))
    assert tops["roadmaps"] == set(catalog().roadmaps), set(catalog().roadmaps) - tops["roadmaps"]
    assert tops["paths"] == set(catalog().paths), set(catalog().paths) - tops["paths"]

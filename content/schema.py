"""Pydantic models for every content file.

The YAML files in this folder are the single source of truth; these models are
their schema. `docs/content.md` documents the same fields for editors.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=2, max_length=40)]
Demand = Annotated[int, Field(ge=1, le=5)]
Level = Annotated[int, Field(ge=1, le=3)]
TopicRef = Annotated[str, Field(pattern=r"^[a-z0-9-]+/[a-z0-9-]+$")]
StudyRef = Annotated[str, Field(pattern=r"^[a-z0-9-]+(/[a-z0-9-]+)?$")]

LEVEL_NAMES = {1: "Beginner", 2: "Intermediate", 3: "Advanced"}

# Paper ids travel inside button action ids (100 characters at most, e.g.
# "paper:rate:<id>:5"), so a 'url:' id is a short slug and the page goes in `url`.
URL_ID_MAX = 60


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Resource(Strict):
    title: str = Field(min_length=2, max_length=120)
    url: HttpUrl


class Topic(Strict):
    id: Slug
    title: str = Field(min_length=2, max_length=80)
    hours: float = Field(gt=0, le=200)
    level: Level = 1
    area: str | None = Field(
        default=None,
        description="Assessment skill area this topic belongs to; a member placed above "
        "the topic's level in that area gets it marked skipped in their plan.",
    )
    explainer: str = Field(min_length=40, max_length=900)
    resources: list[Resource] = Field(min_length=1, max_length=3)


class Roadmap(Strict):
    id: Slug
    name: str
    order: int = Field(ge=1, le=20)
    hours: int = Field(gt=0)
    tagline: str
    emoji: str = ""
    best_for: str
    summary: str = Field(min_length=40)
    industry_uses: list[str] = []
    demand: Demand
    demand_note: str = ""
    salary: str | None = None
    timeline: str | None = None
    career_progression: list[str] = []
    market_notes: list[str] = []
    link: HttpUrl | None = None
    topics: list[Topic] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_topics(self) -> Roadmap:
        seen: set[str] = set()
        for t in self.topics:
            if t.id in seen:
                raise ValueError(f"duplicate topic id {t.id!r}")
            seen.add(t.id)
        return self

    @property
    def topic_hours(self) -> float:
        return round(sum(t.hours for t in self.topics), 2)

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)


class PathPhase(Strict):
    label: str = Field(description="The phase as the source states it, e.g. 'Week 1-2'.")
    title: str
    start_week: int = Field(ge=1)
    end_week: int = Field(ge=1)
    summary: str = ""
    topics: list[TopicRef] = Field(min_length=1)

    @model_validator(mode="after")
    def _weeks_ordered(self) -> PathPhase:
        if self.end_week < self.start_week:
            raise ValueError("end_week is before start_week")
        return self


class LearningPath(Strict):
    id: Slug
    name: str
    order: int = Field(ge=1, le=20)
    duration: str = Field(description="The stated span, e.g. '0-6 months'.")
    timeline: str
    outcome: str
    best_for: str
    hours_per_week: float = Field(
        gt=0,
        le=40,
        description="The weekly study time the path's audience can give; the path's "
        "week ranges assume this pace, so no phase may need more.",
    )
    summary: str = ""
    phases: list[PathPhase] = Field(min_length=1)

    @property
    def weeks(self) -> int:
        return max(p.end_week for p in self.phases)


class Skill(Strict):
    id: Slug
    name: str
    min_weeks: int = Field(ge=1)
    max_weeks: int = Field(ge=1)
    level: Literal["Beginner", "Intermediate", "Advanced"]
    demand: Demand
    roi: str
    area: str | None = None


class Question(Strict):
    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=40)
    level: Level
    stem: str = Field(min_length=10, max_length=500)
    choices: list[str] = Field(min_length=3, max_length=5)
    answer: int = Field(ge=0)
    explanation: str = Field(min_length=20, max_length=900)
    topic: TopicRef

    @model_validator(mode="after")
    def _answer_in_range(self) -> Question:
        if self.answer >= len(self.choices):
            raise ValueError(f"answer index {self.answer} is outside the {len(self.choices)} choices")
        if len(set(self.choices)) != len(self.choices):
            raise ValueError("choices repeat")
        for c in self.choices:
            if not 1 <= len(c) <= 200:
                raise ValueError("every choice needs 1 to 200 characters")
        return self


class SkillArea(Strict):
    id: Slug
    name: str
    order: int = Field(ge=1, le=50)
    description: str = ""
    questions: list[Question] = Field(min_length=1)


class GoalOption(Strict):
    id: Slug
    label: str = Field(min_length=1, max_length=80)
    roadmaps: dict[str, float] = {}
    paths: dict[str, float] = {}


class GoalQuestion(Strict):
    id: Slug
    stem: str
    options: list[GoalOption] = Field(min_length=2, max_length=10)


class Paper(Strict):
    id: str = Field(description="'arxiv:<id>', 'doi:<doi>' or 'url:<slug>' (then `url` is required)")
    title: str
    authors: list[str] = Field(min_length=1)
    year: int = Field(ge=1940, le=2100)
    tracks: list[str] = Field(min_length=1)
    level: Level
    minutes: int = Field(ge=5, le=600)
    why: str = Field(min_length=40, max_length=700)
    questions: list[str] = Field(min_length=2, max_length=3)
    url: HttpUrl | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if re.fullmatch(r"arxiv:(\d{4}\.\d{4,5}|[a-z\-]+(\.[A-Z]{2})?/\d{7})", v):
            return v
        if re.fullmatch(r"doi:10\.\d{4,9}/\S+", v):
            return v
        if re.fullmatch(r"url:[a-z0-9]+(?:-[a-z0-9]+)*", v) and len(v) <= URL_ID_MAX:
            return v
        raise ValueError(
            "must be 'arxiv:<id>' (e.g. arxiv:1706.03762), 'doi:10.x/...' or, for a paper "
            f"with neither, 'url:<slug>' of at most {URL_ID_MAX} characters"
        )

    @model_validator(mode="after")
    def _url_papers_have_a_page(self) -> Paper:
        if self.id.startswith("url:"):
            if self.url is None:
                raise ValueError("a 'url:' paper needs its page in `url`")
            host = (self.url.host or "").lower()
            if host.endswith("arxiv.org") or host.endswith("doi.org"):
                raise ValueError("this paper has an arXiv id or DOI: use it as the id")
        return self

    @property
    def link(self) -> str:
        if self.url is not None:
            return str(self.url)
        kind, _, ref = self.id.partition(":")
        return f"https://arxiv.org/abs/{ref}" if kind == "arxiv" else f"https://doi.org/{ref}"


CARD_TEXT_MAX = 600
CARD_SENTENCES_MAX = 3
_SENTENCE_END = re.compile(r"[.!?](?:[\"')\]]*)(?=\s+[A-Z0-9\"'(`]|\s*$)")


def sentence_count(text: str) -> int:
    """Sentences in a card answer: ends of . ! or ? before a capital, digit or the end."""
    return max(1, len(_SENTENCE_END.findall(text.strip())))


class ReviewCard(Strict):
    """A short recall card for one topic: a prompt, and an answer to check recall against."""

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*-[0-9]+$", max_length=60)
    topic: Slug
    prompt: str = Field(min_length=10, max_length=300)
    answer: str = Field(min_length=10, max_length=CARD_TEXT_MAX)

    @field_validator("prompt", "answer")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v.strip()

    @field_validator("answer")
    @classmethod
    def _short_answer(cls, v: str) -> str:
        if sentence_count(v) > CARD_SENTENCES_MAX:
            raise ValueError(f"an answer has one to {CARD_SENTENCES_MAX} sentences")
        return v


class CardFile(Strict):
    """`content/cards/<roadmap-id>.yaml`: the review cards of one roadmap's topics."""

    roadmap: Slug
    cards: list[ReviewCard] = Field(min_length=1)


class Catalog(Strict):
    """Everything in `content/`, cross-checked."""

    roadmaps: dict[str, Roadmap]
    paths: dict[str, LearningPath]
    skills: list[Skill]
    areas: dict[str, SkillArea] = {}
    goals: list[GoalQuestion] = []
    papers: dict[str, Paper] = {}
    explore: dict[str, ExploreSection] = {}
    # Review cards by topic id; a topic's cards apply in every roadmap that lists it.
    cards: dict[str, tuple[ReviewCard, ...]] = {}

    def roadmap_list(self) -> list[Roadmap]:
        return sorted(self.roadmaps.values(), key=lambda r: r.order)

    def path_list(self) -> list[LearningPath]:
        return sorted(self.paths.values(), key=lambda p: p.order)

    def area_list(self) -> list[SkillArea]:
        return sorted(self.areas.values(), key=lambda a: a.order)

    def card(self, card_id: str) -> ReviewCard | None:
        topic = card_id.rsplit("-", 1)[0]
        found = next((c for c in self.cards.get(topic, ()) if c.id == card_id), None)
        if found is not None:
            return found
        return next((c for cs in self.cards.values() for c in cs if c.id == card_id), None)

    def resolve_topic(self, ref: str) -> tuple[Roadmap, Topic] | None:
        roadmap_id, _, topic_id = ref.partition("/")
        roadmap = self.roadmaps.get(roadmap_id)
        topic = roadmap.topic(topic_id) if roadmap else None
        return (roadmap, topic) if roadmap and topic else None


class ExploreEntry(Strict):
    """One row of an explore section: a titled item with optional facts and bullets."""

    title: str
    text: str = ""
    facts: dict[str, str] = {}
    bullets: list[str] = []
    url: HttpUrl | None = None
    study: list[StudyRef] = Field(
        default=[],
        description="Where a member studies this in the bot: roadmap or path ids, or "
        "'<roadmap-id>/<topic-id>'; the loader checks every one exists.",
    )


class ExploreSection(Strict):
    id: Slug
    title: str
    order: int = Field(ge=1, le=50)
    intro: str = ""
    entries: list[ExploreEntry] = Field(min_length=1)


Catalog.model_rebuild()

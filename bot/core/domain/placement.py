"""Which topics a placement marks as already known.

- A topic is known only when the member's level in its area is strictly above the
  topic's level (placed at 2, level-1 topics are known; level-2 ones are not).
- Level-3 topics and capstone projects are never marked known.
- Placement never removes more than half of a roadmap's hours from a plan: the
  candidates are taken lowest level first, then in study order, while the hours
  marked known stay within half of that roadmap's hours in the plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAX_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Candidate:
    roadmap_id: str
    topic_id: str
    title: str
    area: str | None
    level: int
    hours: float


def is_capstone(topic_id: str, title: str) -> bool:
    return "capstone" in topic_id or title.lower().startswith("capstone")


def eligible(t: Candidate, levels: Mapping[str, int]) -> bool:
    if t.area is None or t.level >= 3 or is_capstone(t.topic_id, t.title):
        return False
    return levels.get(t.area, 0) > t.level


def known(topics: Sequence[Candidate], levels: Mapping[str, int]) -> set[tuple[str, str]]:
    """(roadmap_id, topic_id) of the topics to mark known."""
    budget: dict[str, float] = {}
    for t in topics:
        budget[t.roadmap_id] = budget.get(t.roadmap_id, 0.0) + t.hours * MAX_SHARE
    order = sorted(
        (i for i, t in enumerate(topics) if eligible(t, levels)),
        key=lambda i: (topics[i].level, i),
    )
    out: set[tuple[str, str]] = set()
    for i in order:
        t = topics[i]
        if t.hours <= budget[t.roadmap_id] + 1e-9:
            budget[t.roadmap_id] -= t.hours
            out.add((t.roadmap_id, t.topic_id))
    return out

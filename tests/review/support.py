"""A catalogue with three fixture review cards for every roadmap topic, for the review tests."""

from __future__ import annotations

from functools import lru_cache

from content.loader import load_default_catalog
from content.schema import Catalog, ReviewCard


@lru_cache(maxsize=1)
def catalog_with_cards() -> Catalog:
    base = load_default_catalog()
    cards: dict[str, tuple[ReviewCard, ...]] = {}
    for roadmap in base.roadmap_list():
        for t in roadmap.topics:
            cards.setdefault(
                t.id,
                tuple(
                    ReviewCard(
                        id=f"{t.id}-{n}",
                        topic=t.id,
                        prompt=f"Why does {t.title} matter ({n})?",
                        answer=f"Because of reason {n} about {t.title}.",
                    )
                    for n in (1, 2, 3)
                ),
            )
    return base.model_copy(update={"cards": cards})

"""Pictures members look at instead of reading: the study heatmap, the plan burn-up, the skill
profile and the community card, drawn with Pillow and the shipped Lato font.

A service puts `Image(filename, alt, spec=...)` in its reply; the engine draws it off the loop
(`render.draw_reply`) and the adapters place the PNG. `community_card` draws the community card
from plain counts for any other caller (a weekly digest, for instance).
"""

from __future__ import annotations

from bot.core.pictures.community import CommunityCounts
from bot.core.pictures.community import alt_text as _community_alt
from bot.core.pictures.render import draw_png
from bot.core.replies import Image

COMMUNITY_FILE = "community.png"


def community_card(counts: CommunityCounts) -> Image:
    """The community card, drawn now (blocking: call it from a worker thread or a job)."""
    return Image(COMMUNITY_FILE, _community_alt(counts), png=draw_png(counts))


__all__ = ["COMMUNITY_FILE", "CommunityCounts", "community_card"]

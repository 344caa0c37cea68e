"""The quiz summary names areas truthfully: the strongest first, and a short list never reads as
the whole one."""

from __future__ import annotations

from bot.core.features.assess.handlers import recommend
from content.loader import load_default_catalog

CAT = load_default_catalog()


def _state(levels: dict[str, int]) -> dict:
    return {"levels": levels, "goal_answers": {}}


def test_all_areas_strong_says_how_many_more_there_are():
    areas = list(CAT.areas)
    reason = recommend(CAT, "ai", _state(dict.fromkeys(areas, 3)))["reason"]
    assert f"and {len(areas) - 4} more." in reason


def test_the_strongest_area_is_named_first_whatever_its_catalogue_position():
    areas = list(CAT.areas)
    levels = dict.fromkeys(areas, 2) | {areas[-1]: 3}
    reason = recommend(CAT, "ai", _state(levels))["reason"]
    assert reason.split("Your strongest areas: ")[1].startswith(CAT.areas[areas[-1]].name)


def test_a_short_list_is_named_in_full():
    areas = list(CAT.areas)
    levels = dict.fromkeys(areas, 0) | {areas[0]: 2, areas[1]: 3}
    reason = recommend(CAT, "ai", _state(levels))["reason"]
    names = [CAT.areas[a].name for a in areas]
    assert f"Your strongest areas: {names[1]}, {names[0]}." in reason
    assert f"{names[2]}, {names[3]}, {names[4]}, {names[5]} and {len(areas) - 6} more start from" in reason

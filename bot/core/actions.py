"""The page protocol: `pg:<n>:<origin>` asks for page n of the reply the origin action rebuilds.

Page buttons carry no state of their own, so a page button in an old message still works:
the adapter re-runs the origin action and shows the page asked for. Both adapters build
and read page ids here; Discord also matches posted custom_ids against PAGE_PATTERN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PAGE_PREFIX = "pg:"
ACTION_PATTERN = r"(?!pg:)(?P<action>[A-Za-z0-9_.-]+:\S+)"
PAGE_PATTERN = r"pg:(?P<page>[0-9]{1,3}):(?P<origin>[A-Za-z0-9_.-]+:\S+)"
_PAGE = re.compile(PAGE_PATTERN)


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int
    origin: str


def page_id(page: int, origin: str) -> str:
    return f"{PAGE_PREFIX}{page}:{origin}"


def parse_page(value: str) -> PageRequest | None:
    """The page asked for, or None when `value` is not a page id."""
    match = _PAGE.fullmatch(value)
    if match is None:
        return None
    return PageRequest(int(match["page"]), match["origin"])

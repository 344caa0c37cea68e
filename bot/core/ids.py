"""Row ids that arrive inside action ids (`topic:done:<id>`), checked before they reach SQL.

`str.isdigit()` accepts characters such as '²' that `int()` rejects, and a database
integer holds at most 18 safe digits, so both checks live here.
"""

from __future__ import annotations

ID_DIGITS_MAX = 18


def row_id(text: str) -> int | None:
    """The id written in ASCII digits, or None when it is not a usable row id."""
    if not text or len(text) > ID_DIGITS_MAX or not text.isascii() or not text.isdigit():
        return None
    return int(text)

"""How logged study time is shown: rounded once, here, from whole minutes."""

from __future__ import annotations


def logged(minutes: float) -> str:
    """`45` -> "45 min", `95` -> "1 h 35 min"; from 10 h on, hours to one decimal."""
    m = max(0, round(minutes))
    if m < 60:
        return f"{m} min"
    if m < 600:
        h, rest = divmod(m, 60)
        return f"{h} h {rest} min" if rest else f"{h} h"
    shown = round(m / 60, 1)
    return f"{int(shown) if shown.is_integer() else shown} h"

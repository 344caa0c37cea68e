"""Study time as people type it: `45`, `90m`, `1h`, `1h30`, `1:30`, `1.5h`.

One parser for every surface (slash option, typed command, form field, button).
A value that is not a whole number of minutes is refused with the nearest whole
value suggested, never truncated or rounded behind the member's back. Only ASCII
digits count: a digit from another script is refused rather than guessed at.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from bot.core.errors import UserError

MINUTES_MAX = 24 * 60
FIELD_MAX_LENGTH = 12
EXAMPLES = "45, 90m, 1h, 1h30, 1:30 or 1.5h"

_NUM = r"[0-9]+(?:\.[0-9]+)?"
_H = r"(?:h|hr|hrs|hour|hours)"
_M = r"(?:m|min|mins|minute|minutes)"
_FORMS = (
    re.compile(rf"(?P<m>{_NUM})\s*{_M}?", re.ASCII),
    re.compile(rf"(?P<h>{_NUM})\s*{_H}", re.ASCII),
    re.compile(rf"(?P<h>[0-9]+)\s*{_H}\s*(?P<m>[0-9]+)\s*{_M}?", re.ASCII),
    re.compile(r"(?P<h>[0-9]+):(?P<m>[0-5][0-9])", re.ASCII),
)


def _bad(text: str) -> UserError:
    shown = text[:20]
    return UserError(
        f"I can't read {shown!r} as study time.",
        hint=f"Type minutes or hours, e.g. {EXAMPLES}.",
    )


def _exact_minutes(text: str) -> Decimal | None:
    for form in _FORMS:
        m = form.fullmatch(text)
        if m is None:
            continue
        parts = m.groupdict()
        if parts.get("h") and parts.get("m") and ":" not in text and int(parts["m"]) >= 60:
            return None
        try:
            hours = Decimal(parts["h"]) if parts.get("h") else Decimal(0)
            mins = Decimal(parts["m"]) if parts.get("m") else Decimal(0)
        except InvalidOperation:
            return None
        return hours * 60 + mins
    return None


def parse_minutes(raw: object) -> int:
    """Return whole minutes from what a member typed, or raise a UserError that shows the forms."""
    if isinstance(raw, bool):
        raise _bad(str(raw))
    if isinstance(raw, int):
        text = str(raw)
    else:
        text = " ".join(str(raw).split()).lower()
    if not text:
        raise UserError("Tell me how long you studied.", hint=f"e.g. {EXAMPLES}")
    if not text.isascii():
        raise _bad(text)
    total = _exact_minutes(text)
    if total is None and _exact_minutes(text.removeprefix("-").strip()) is not None:
        raise UserError("Log at least 1 minute.", hint=f"e.g. {EXAMPLES}")
    if total is None:
        raise _bad(text)
    if total != total.to_integral_value():
        nearest = int(total.to_integral_value())
        raise UserError(
            f"{text[:20]!r} is {total.normalize():f} minutes; I log whole minutes only.",
            hint=f"Log {max(nearest, 1)} instead, or type e.g. {EXAMPLES}.",
        )
    minutes = int(total)
    if minutes < 1:
        raise UserError("Log at least 1 minute.", hint=f"e.g. {EXAMPLES}")
    if minutes > MINUTES_MAX:
        raise UserError(f"That's more than a day. Log at most {MINUTES_MAX} minutes (24h) at a time.")
    return minutes

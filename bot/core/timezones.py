"""IANA time zone names: validation, near-miss suggestions and fast completion."""

from __future__ import annotations

import difflib
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from bot.core.errors import UserError

_ALIASES = {"utc": "UTC", "gmt": "UTC", "z": "UTC"}


@lru_cache(maxsize=1)
def all_zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))


@lru_cache(maxsize=1)
def _by_lower() -> dict[str, str]:
    table = {z.lower(): z for z in all_zones()}
    for z in all_zones():
        city = z.rsplit("/", 1)[-1].lower()
        table.setdefault(city, z)
        table.setdefault(city.replace("_", " "), z)
    return table


def suggest(text: str, limit: int = 3) -> list[str]:
    lowered = text.strip().lower().replace(" ", "_")
    cities = {z.rsplit("/", 1)[-1].lower(): z for z in all_zones()}
    hits = difflib.get_close_matches(lowered, list(_by_lower()), n=limit, cutoff=0.6)
    hits += difflib.get_close_matches(lowered, list(cities), n=limit, cutoff=0.6)
    out: list[str] = []
    for h in hits:
        zone = _by_lower().get(h) or cities.get(h)
        if zone and zone not in out:
            out.append(zone)
    return out[:limit]


def validate(text: str) -> str:
    """Return the canonical zone name, or raise a UserError with suggestions."""
    raw = text.strip()
    if not raw or len(raw) > 64:
        raise UserError("Please give a time zone such as Europe/Berlin or America/New_York.")
    lowered = raw.lower()
    zone = _ALIASES.get(lowered) or _by_lower().get(lowered) or _by_lower().get(lowered.replace(" ", "_"))
    if zone is not None:
        ZoneInfo(zone)
        return zone
    near = suggest(raw)
    hint = (
        f"Did you mean {' or '.join(near)}?"
        if near
        else ("Use an IANA name like Europe/London, Asia/Kolkata or America/Los_Angeles.")
    )
    raise UserError(f"{raw[:64]!r} is not a time zone I know.", hint=hint)


def complete(prefix: str, limit: int = 25) -> list[str]:
    p = prefix.strip().lower().replace(" ", "_")
    zones = all_zones()
    if not p:
        return list(zones[:limit])
    starts = [z for z in zones if z.lower().startswith(p)]
    if len(starts) < limit:
        starts += [z for z in zones if p in z.lower() and z not in starts]
    return starts[:limit]

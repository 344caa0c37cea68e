"""Time zones as people type them: IANA names, cities, countries, abbreviations and UTC offsets.

The alias table is data, built once: zoneinfo's keys (and their city part), CLDR's English city
and country names from Babel, and the curated names in `data/timezone_aliases.yaml`. An offset
such as `GMT+1`, `UTC+5:30` or `+05:30` means east of Greenwich, as people mean it (the POSIX
`Etc/GMT+1` is UTC-1), and maps to a zone with that offset.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

import yaml
from babel import Locale
from babel.core import get_global

from bot.core.errors import UserError

_OFFSET = re.compile(
    r"^(?:utc|gmt)?\s*(?P<sign>[+\-−])\s*(?P<h>[0-9]{1,2})(?:(?::|h)?(?P<m>[0-9]{2}))?$", re.ASCII
)
_SAMPLE_DAYS = (datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 7, 15, tzinfo=UTC))


@dataclass(frozen=True, slots=True)
class Choice:
    zone: str
    label: str


@lru_cache(maxsize=1)
def all_zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))


def _key(text: str) -> str:
    return " ".join(text.strip().lower().replace("_", " ").split())


@lru_cache(maxsize=1)
def _curated() -> dict[str, object]:
    raw = resources.files("bot.core.data").joinpath("timezone_aliases.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(raw)
    assert isinstance(data, dict)
    return data


def _same_rules(zones: list[str]) -> bool:
    return len({tuple(ZoneInfo(z).utcoffset(d) for d in _SAMPLE_DAYS) for z in zones}) == 1


@lru_cache(maxsize=1)
def aliases() -> dict[str, tuple[Choice, ...]]:
    """Lower-case name → the zone it means, or several choices when it is ambiguous.

    Later sources override earlier ones: zone keys, then CLDR, then the curated file.
    """
    known = set(all_zones())
    table: dict[str, tuple[Choice, ...]] = {}
    for z in all_zones():
        table.setdefault(_key(z.rsplit("/", 1)[-1]), (Choice(z, z),))
    english = Locale("en")
    for z, names in english.time_zones.items():
        city = names.get("city")
        if city and z in known:
            table[_key(city)] = (Choice(z, z),)
    territory_names = english.territories
    for code, zones in get_global("territory_zones").items():
        zones = [z for z in zones if z in known]
        name = territory_names.get(code)
        if not name or not zones or _key(name) in table:
            continue
        if _same_rules(zones):
            table[_key(name)] = (Choice(zones[0], zones[0]),)
        else:
            table[_key(name)] = tuple(Choice(z, z.rsplit("/", 1)[-1].replace("_", " ")) for z in zones)
    for name, target in (_curated().get("names") or {}).items():
        if isinstance(target, str):
            table[_key(str(name))] = (Choice(target, target),)
        else:
            table[_key(str(name))] = tuple(Choice(c["zone"], c["label"]) for c in target)
    for z in all_zones():
        table[z.lower()] = (Choice(z, z),)
    return table


def _offset_of(text: str) -> timedelta | None:
    m = _OFFSET.match(text.strip().lower())
    if m is None:
        return None
    hours, minutes = int(m.group("h")), int(m.group("m") or 0)
    if minutes >= 60:
        return None
    sign = -1 if m.group("sign") in "-−" else 1
    return sign * timedelta(hours=hours, minutes=minutes)


def format_offset(offset: timedelta) -> str:
    total = int(offset.total_seconds() // 60)
    sign = "-" if total < 0 else "+"
    h, m = divmod(abs(total), 60)
    return f"UTC{sign}{h:02d}:{m:02d}"


def zone_for_offset(offset: timedelta, now: datetime) -> str | None:
    """A zone whose UTC offset is `offset` at `now`: the fixed Etc/GMT zone for whole hours
    (named the POSIX way round), else the curated choice, else any zone with it, fixed ones first."""
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    if minutes % 60 == 0 and -12 * 60 <= minutes <= 14 * 60:
        hours = -minutes // 60
        return f"Etc/GMT{hours:+d}"
    preferred = (_curated().get("offsets") or {}).get(format_offset(offset)[3:])
    candidates = ([preferred] if preferred else []) + list(all_zones())
    matching = [z for z in candidates if ZoneInfo(z).utcoffset(now) == offset]
    if not matching:
        return None
    if preferred in matching:
        return preferred
    fixed = [z for z in matching if _same_rules([z]) and ZoneInfo(z).utcoffset(_SAMPLE_DAYS[0]) == offset]
    return (fixed or matching)[0]


def describe(zone: str, now: datetime | None = None) -> str:
    """How a saved zone reads back to the member: its name and its offset now."""
    now = now or datetime.now(UTC)
    try:
        offset = format_offset(ZoneInfo(zone).utcoffset(now) or timedelta(0))
    except (ValueError, KeyError):
        return zone
    if zone.startswith("Etc/GMT") or zone in ("UTC", "Etc/UTC"):
        # The POSIX name reads backwards (Etc/GMT-1 is UTC+01:00), so the member sees the offset.
        return f"{offset}, all year (no daylight saving)"
    return f"{zone} ({offset} now)"


def picker_label(zone: str, now: datetime | None = None) -> str:
    """How a zone reads in a picker: fixed-offset zones by their offset, since `Etc/GMT-1` is UTC+1."""
    if zone.startswith("Etc/GMT") or zone in ("UTC", "Etc/UTC"):
        try:
            offset = ZoneInfo(zone).utcoffset(now or datetime.now(UTC)) or timedelta(0)
        except (ValueError, KeyError):
            return zone
        return f"{format_offset(offset)} (no daylight saving)"
    return zone


def suggest(text: str, limit: int = 3) -> list[str]:
    lowered = _key(text)
    hits = difflib.get_close_matches(lowered, list(aliases()), n=limit * 2, cutoff=0.6)
    out: list[str] = []
    for h in hits:
        for choice in aliases()[h]:
            if choice.zone not in out:
                out.append(choice.zone)
    return out[:limit]


def resolve(text: str, now: datetime | None = None) -> str:
    """Return the zone a member means, or raise a UserError with choices or suggestions."""
    raw = text.strip()
    if not raw or len(raw) > 64:
        raise UserError("Please give a time zone such as Europe/Berlin, Mumbai, PST or UTC+5:30.")
    now = now or datetime.now(UTC)
    offset = _offset_of(raw)
    if offset is not None:
        if abs(offset) > timedelta(hours=14):
            raise UserError(f"{raw[:20]!r} is not a UTC offset; they run from UTC-12 to UTC+14.")
        zone = zone_for_offset(offset, now)
        if zone is None:
            raise UserError(
                f"No time zone is at {format_offset(offset)} right now.",
                hint="Type your city instead, e.g. Asia/Kolkata or America/St_Johns.",
            )
        return zone
    choices = aliases().get(_key(raw)) or aliases().get(raw.lower())
    if choices and len(choices) == 1:
        return choices[0].zone
    if choices:
        listed = "; ".join(f"{c.label}: {c.zone}" for c in choices[:8])
        raise UserError(f"{raw[:20]!r} could mean more than one time zone.", hint=f"Type one of: {listed}")
    near = suggest(raw)
    hint = (
        f"Did you mean {' or '.join(near)}?"
        if near
        else "Use a city or an IANA name like Europe/London, Asia/Kolkata or America/Los_Angeles."
    )
    raise UserError(f"{raw[:64]!r} is not a time zone I know.", hint=hint)


def validate(text: str, now: datetime | None = None) -> str:
    return resolve(text, now)


@lru_cache(maxsize=1)
def _alias_names() -> tuple[str, ...]:
    return tuple(sorted(aliases(), key=lambda n: (len(n), n)))


def complete(prefix: str, limit: int = 25, now: datetime | None = None) -> list[str]:
    """Zones for a picker: what the text means exactly first (an abbreviation, city, country or
    offset), then zone names starting with it, then names people use that start with it, then
    zone names containing it."""
    typed = prefix.strip()
    zones = all_zones()
    if not typed:
        return list(zones[:limit])
    out: list[str] = []

    def add(zone: str) -> None:
        if zone not in out:
            out.append(zone)

    offset = _offset_of(typed)
    if offset is not None and abs(offset) <= timedelta(hours=14):
        if zone := zone_for_offset(offset, now or datetime.now(UTC)):
            add(zone)
    key = _key(typed)
    for choice in aliases().get(key, ()):
        add(choice.zone)
    p = typed.lower().replace(" ", "_")
    for z in zones:
        if z.lower().startswith(p):
            add(z)
    for name in _alias_names():
        if len(out) >= limit:
            break
        if name.startswith(key) and "/" not in name:
            for choice in aliases()[name]:
                add(choice.zone)
    for z in zones:
        if len(out) >= limit:
            break
        if p in z.lower():
            add(z)
    return out[:limit]

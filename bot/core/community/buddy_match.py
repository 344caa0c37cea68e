"""Pairing study buddies: who may be paired, how good a pair is, and a maximum-weight matching.

The rule (docs/community.md):
- Waking hours are 09:00 to 21:00 local time. (With a 14-hour day, 08:00 to 22:00, any two
  zones on Earth share at least two hours, so the rule would never bite.) Two members' shared
  time is the longest unbroken stretch in which both are within waking hours that starts on the
  round's date (UTC); local days either side count, so Tokyo's morning meets Los Angeles's
  evening. Local
  times are built with zoneinfo on those dates, so a DST change then is counted as it is.
  Zones up to 10 hours apart qualify; 11 to 13 hours apart do not.
- Hard rules: at least MIN_SHARED_HOURS in common, and not paired with each other in the
  last REPEAT_WEEKS weeks. A pair that breaks either is never made.
- Weights: same roadmap or path, then similar level, then more shared hours. A member left
  out last round (the odd one out) adds PRIORITY to every pair they are in, so the matching
  covers them first.
- Members are grouped by track and, within a track, sorted by UTC offset and cut into blocks
  of BLOCK neighbours; each block is matched with networkx's max_weight_matching (blossom).
  Whoever is left over is matched again across tracks. Blocks keep a 10,000-member round to
  seconds, since the blossom algorithm grows with the cube of the graph.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import networkx as nx

from bot.core.clock import zone

WAKE_START = time(9, 0)
WAKE_END = time(21, 0)
MIN_SHARED_HOURS = 2.0
REPEAT_WEEKS = 8
BLOCK = 48
EDGES_PER_MEMBER = 8
SAME_TRACK = 20.0
LEVEL_CLOSE = 6.0
PRIORITY = 50.0
BASE = 10.0


@dataclass(frozen=True, slots=True)
class Candidate:
    member_id: int
    track: str | None
    level: int
    zone: str
    waiting: bool = False


def _waking(zone_name: str, local_day: date) -> tuple[datetime, datetime]:
    tz = zone(zone_name)
    start = datetime.combine(local_day, WAKE_START, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(local_day, WAKE_END, tzinfo=tz).astimezone(UTC)
    return start, end


@lru_cache(maxsize=65536)
def shared_hours(zone_a: str, zone_b: str, on: date) -> float:
    """The longest unbroken stretch, in hours, in which both are within waking hours and which
    starts on the pairing date `on` (UTC). Each member's local days either side of `on` count,
    since one member's evening can be the other's next morning."""
    day_start = datetime.combine(on, time(0), tzinfo=UTC)
    day_end = day_start + timedelta(days=1)
    a_spans = [_waking(zone_a, on + timedelta(days=k)) for k in (-1, 0, 1)]
    b_spans = [_waking(zone_b, on + timedelta(days=k)) for k in (-1, 0, 1)]
    best = 0.0
    for a0, a1 in a_spans:
        for b0, b1 in b_spans:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi > lo and day_start <= lo < day_end:
                best = max(best, (hi - lo).total_seconds() / 3600)
    return best


def weight(
    a: Candidate, b: Candidate, on: date, recent: frozenset[frozenset[int]] | set[frozenset[int]]
) -> float | None:
    """How good a pair is, or None when a hard rule forbids it."""
    if frozenset((a.member_id, b.member_id)) in recent:
        return None
    hours = shared_hours(*sorted((a.zone, b.zone)), on)
    if hours < MIN_SHARED_HOURS:
        return None
    w = BASE + min(hours, 8.0)  # more shared time is better, up to a working day
    if a.track is not None and a.track == b.track:
        w += SAME_TRACK
    w += max(0.0, LEVEL_CLOSE - 3.0 * abs(a.level - b.level))
    if a.waiting:
        w += PRIORITY
    if b.waiting:
        w += PRIORITY
    return w


def _offset_hours(zone_name: str, on: date) -> float:
    moment = datetime.combine(on, time(12), tzinfo=UTC).astimezone(zone(zone_name))
    off = moment.utcoffset()
    return off.total_seconds() / 3600 if off is not None else 0.0


def _match_block(block: list[Candidate], on: date, recent: set[frozenset[int]]) -> list[tuple[int, int]]:
    graph = nx.Graph()
    best: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for i, a in enumerate(block):
        for j in range(i + 1, len(block)):
            w = weight(a, block[j], on, recent)
            if w is not None:
                best[i].append((w, j))
                best[j].append((w, i))
    for i, options in best.items():
        options.sort(reverse=True)
        for w, j in options[:EDGES_PER_MEMBER]:
            graph.add_edge(i, j, weight=w)
    pairs = nx.max_weight_matching(graph)
    return [(block[i].member_id, block[j].member_id) for i, j in pairs]


def _blocks(people: list[Candidate], on: date) -> list[list[Candidate]]:
    ordered = sorted(people, key=lambda c: (_offset_hours(c.zone, on), c.level, not c.waiting, c.member_id))
    return [ordered[i : i + BLOCK] for i in range(0, len(ordered), BLOCK)]


def match(
    candidates: Iterable[Candidate], on: date, recent: Iterable[frozenset[int]] = ()
) -> tuple[list[tuple[int, int]], list[int]]:
    """The pairs for a round on `on`, and who was left out. Deterministic for the same input."""
    people = sorted(candidates, key=lambda c: c.member_id)
    history = set(recent)
    by_track: dict[str | None, list[Candidate]] = defaultdict(list)
    for c in people:
        by_track[c.track].append(c)
    pairs: list[tuple[int, int]] = []
    paired: set[int] = set()
    for track in sorted(by_track, key=lambda t: (t is None, t or "")):
        for block in _blocks(by_track[track], on):
            for a, b in _match_block(block, on, history):
                pairs.append((a, b))
                paired.update((a, b))
    rest = [c for c in people if c.member_id not in paired]
    for block in _blocks(rest, on):
        for a, b in _match_block(block, on, history):
            pairs.append((a, b))
            paired.update((a, b))
    left = [c.member_id for c in people if c.member_id not in paired]
    return sorted(tuple(sorted(p)) for p in pairs), left  # type: ignore[misc]

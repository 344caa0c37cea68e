"""Drawing a reply's pictures: off the event loop, and once per distinct input.

`draw_reply` runs every undrawn picture of a reply in a worker thread (`asyncio.to_thread`), so
the loop that talks to the platform never waits on Pillow. Results are kept in a bounded LRU
keyed by a hash of the picture's inputs, so pressing the same button twice draws once.
A picture that fails to draw is dropped with a log line: the reply's text still carries every
number.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from bot.core.pictures import burnup, community, heatmap, skills
from bot.core.replies import Image, Reply

log = logging.getLogger(__name__)

CACHE_SIZE = 128
_DRAW = {
    heatmap.HeatmapSpec: heatmap.draw,
    burnup.BurnupSpec: burnup.draw,
    skills.SkillSpec: skills.draw,
    community.CommunityCounts: community.draw,
}


class PictureCache:
    """A thread-safe LRU of PNG bytes by input hash."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[bytes, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: bytes) -> bytes | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return found

    def peek(self, key: bytes) -> bytes | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)


CACHE = PictureCache()
_DRAWING = threading.Lock()


def key_of(spec: Any) -> bytes:
    """The inputs' hash: a spec is a frozen dataclass of dates, numbers and strings, whose repr
    names its type and every value."""
    return hashlib.sha256(repr(spec).encode("utf-8")).digest()


def draw_png(spec: Any) -> bytes:
    """PNG bytes for a spec, from the cache when these inputs were drawn before (blocking)."""
    drawer = _DRAW.get(type(spec))
    if drawer is None:
        raise TypeError(f"no picture for {type(spec).__name__}")
    key = key_of(spec)
    found = CACHE.get(key)
    if found is None:
        with _DRAWING:  # one drawing at a time: FreeType faces are shared, and one core is enough
            found = CACHE.peek(key) or drawer(spec)  # another thread may have drawn it meanwhile
        CACHE.put(key, found)
    return found


def _draw_all(images: tuple[Image, ...]) -> tuple[Image, ...]:
    out = []
    for image in images:
        if image.png or image.spec is None:
            out.append(image)
            continue
        try:
            out.append(replace(image, png=draw_png(image.spec)))
        except Exception:
            log.exception("could not draw %s", image.filename)
    return tuple(out)


async def draw_reply(reply: Reply) -> Reply:
    """The reply with every picture drawn (in one worker-thread hand-off)."""
    if not any(i.spec is not None and not i.png for i in reply.images):
        return reply
    return replace(reply, images=await asyncio.to_thread(_draw_all, reply.images))

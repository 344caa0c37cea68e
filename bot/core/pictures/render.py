"""Drawing a reply's pictures: off the event loop, and once per distinct input.

`draw_reply` hands every undrawn picture of a reply to a worker thread, which sends it to the
picture process (`bot.core.pictures.process`) and waits for the PNG, so neither the loop that
talks to the platform nor the database threads wait on Pillow; with the process off
(`PICTURE_PROCESSES=0`) or gone, that thread draws it instead. Results are kept in a bounded LRU keyed by
a hash of the picture's inputs, so pressing the same button twice draws once. A picture that
fails to draw is dropped with a log line: the reply's text still carries every number.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.core.pictures import burnup, community, heatmap, skills
from bot.core.pictures.process import WORKER
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


def drawer_for(spec: Any) -> Callable[[Any], bytes]:
    drawer = _DRAW.get(type(spec))
    if drawer is None:
        raise TypeError(f"no picture for {type(spec).__name__}")
    return drawer


def _draw_here(spec: Any) -> bytes:
    with _DRAWING:  # one drawing at a time: FreeType faces are shared, and one core is enough
        return drawer_for(spec)(spec)


def draw_png(spec: Any) -> bytes:
    """PNG bytes for a spec, from the cache when these inputs were drawn before (blocking: the
    picture process draws it while this thread waits without the GIL)."""
    drawer_for(spec)
    key = key_of(spec)
    found = CACHE.get(key)
    if found is None:
        future = WORKER.submit(spec)
        if future is not None:
            future.exception()  # waits
            found = _draw_here(spec) if WORKER.lost(future) else future.result()
        else:
            found = CACHE.peek(key) or _draw_here(spec)  # another thread may have drawn it meanwhile
        CACHE.put(key, found)
    return found


async def _draw(image: Image) -> Image | None:
    """One picture, by `draw_png` in a worker thread: hashing its inputs and writing them to the
    picture process stay off the loop too, and the thread waits for the answer without the GIL."""
    try:
        return replace(image, png=await asyncio.to_thread(draw_png, image.spec))
    except Exception:
        log.exception("could not draw %s", image.filename)
        return None


async def draw_reply(reply: Reply) -> Reply:
    """The reply with every picture drawn, the undrawn ones side by side."""
    if not any(i.spec is not None and not i.png for i in reply.images):
        return reply
    drawn = await asyncio.gather(*(_kept(i) if i.png or i.spec is None else _draw(i) for i in reply.images))
    return replace(reply, images=tuple(i for i in drawn if i is not None))


async def _kept(image: Image) -> Image:
    return image

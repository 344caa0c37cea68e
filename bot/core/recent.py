"""A bounded, time-limited memory of keys already handled in this process.

Platforms may deliver the same request or event twice (a retried HTTP request, a gateway
event replayed after a resume); the adapters use this to act on each one once.
"""

from __future__ import annotations

import time
from collections import OrderedDict

MEMORY_SECONDS = 10 * 60.0
MEMORY_SIZE = 50_000


class RecentKeys:
    """`seen_before` records a key and says whether it was already there."""

    def __init__(self, ttl: float = MEMORY_SECONDS, size: int = MEMORY_SIZE) -> None:
        self.ttl = ttl
        self.size = size
        self._at: OrderedDict[str, float] = OrderedDict()

    def seen_before(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        while self._at and (len(self._at) > self.size or next(iter(self._at.values())) < now - self.ttl):
            self._at.popitem(last=False)
        if key in self._at:
            return True
        self._at[key] = now
        return False

"""Delivery paused for a platform or one workspace, after an auth, scope or install error.

Such an error is the bot's fault, not the member's: nobody is switched off. Rows for
the paused scope stay pending; each drain probes the platform (`auth.test`,
`GET /users/@me`) at most every `PROBE_INTERVAL` seconds and resumes once it answers.
The state lives in the process (each process probes for itself) and is shown in
/metrics (`bot_delivery_paused`) and /readyz.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

log = logging.getLogger(__name__)

PROBE_INTERVAL = 30.0


@dataclass
class Pause:
    platform: str
    scope: str | None  # a workspace id, or None for the whole platform
    reason: str
    since: datetime
    next_probe: datetime

    @property
    def label(self) -> str:
        return self.platform if self.scope is None else f"{self.platform}/{self.scope}"


class DeliveryPauses:
    def __init__(self, probe_interval: float = PROBE_INTERVAL) -> None:
        self.probe_interval = timedelta(seconds=probe_interval)
        self._pauses: dict[tuple[str, str | None], Pause] = {}

    def pause(self, platform: str, scope: str | None, reason: str, now: datetime) -> bool:
        """Record a pause; True (and one ERROR line) when it is new."""
        if (platform, scope) in self._pauses:
            return False
        pause = Pause(platform, scope, reason[:200], now, now + self.probe_interval)
        self._pauses[(platform, scope)] = pause
        log.error(
            "delivery paused for %s: %s; messages stay queued until the platform accepts the bot again",
            pause.label,
            pause.reason,
        )
        return True

    def resume(self, platform: str, scope: str | None, now: datetime) -> None:
        pause = self._pauses.pop((platform, scope), None)
        if pause is not None:
            log.warning("delivery resumed for %s after %s", pause.label, now - pause.since)

    def probe_failed(self, platform: str, scope: str | None, now: datetime) -> None:
        pause = self._pauses.get((platform, scope))
        if pause is not None:
            pause.next_probe = now + self.probe_interval

    def active(self, platform: str | None = None) -> list[Pause]:
        return [p for p in self._pauses.values() if platform is None or p.platform == platform]

    def due_for_probe(self, platform: str, now: datetime) -> list[Pause]:
        return [p for p in self.active(platform) if p.next_probe <= now]

    def blocks(self, platform: str, workspace: str | None) -> Pause | None:
        return self._pauses.get((platform, None)) or (
            self._pauses.get((platform, workspace)) if workspace is not None else None
        )

    def workspaces(self, platform: str) -> list[str]:
        return [p.scope for p in self.active(platform) if p.scope is not None]

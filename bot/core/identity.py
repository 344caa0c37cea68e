"""Who is talking: plain keys that adapters build from platform objects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Platform = Literal["console", "discord", "slack", "test"]
PLATFORMS: tuple[str, ...] = ("console", "discord", "slack", "test")


@dataclass(frozen=True, slots=True)
class CommunityKey:
    platform: str
    workspace_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.workspace_id}"


@dataclass(frozen=True, slots=True)
class MemberKey:
    platform: str
    workspace_id: str
    user_id: str

    @property
    def community(self) -> CommunityKey:
        return CommunityKey(self.platform, self.workspace_id)

    def __str__(self) -> str:
        return f"{self.platform}:{self.workspace_id}:{self.user_id}"

    @classmethod
    def parse(cls, text: str) -> MemberKey:
        """Parse 'platform:workspace:user' as printed by str()."""
        parts = text.split(":")
        if len(parts) != 3 or not all(parts):
            raise ValueError("a member is written platform:workspace:user, e.g. console:local:me")
        return cls(*parts)

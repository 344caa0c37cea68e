"""Persistent components: every button and select the bot sends is one of these two
DynamicItems, registered once in setup_hook. Their state lives in the custom_id, so a
button in a week-old message still works after a restart.

- ActionItem: custom_id is a core action id (`learn:enrol:ai-engineer`). A button runs
  its own id; a select runs the chosen option's value (also an action id).
- PageItem: `pg:<n>:<origin>` re-runs the origin action and shows page n.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol

import discord

from bot.core.actions import ACTION_PATTERN, PAGE_PATTERN, page_id, parse_page

if TYPE_CHECKING:
    pass

ACTION_TEMPLATE = ACTION_PATTERN
PAGE_TEMPLATE = PAGE_PATTERN


class ComponentRouter(Protocol):
    async def on_component(
        self, interaction: discord.Interaction, action: str, values: list[str], page: int | None
    ) -> None: ...


def _router(interaction: discord.Interaction) -> ComponentRouter:
    return interaction.client.router  # type: ignore[attr-defined]


class ActionItem(discord.ui.DynamicItem[discord.ui.Item[Any]], template=ACTION_TEMPLATE):
    def __init__(self, item: discord.ui.Item[Any]) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionItem:
        return cls(item)

    async def callback(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        values = [v for v in data.get("values") or [] if isinstance(v, str)]
        await _router(interaction).on_component(interaction, self.custom_id, values, None)


class PageItem(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PAGE_TEMPLATE):
    def __init__(self, item: discord.ui.Button[Any]) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> PageItem:
        return cls(item)

    async def callback(self, interaction: discord.Interaction) -> None:
        asked = parse_page(self.custom_id)
        assert asked is not None
        await _router(interaction).on_component(interaction, asked.origin, [], asked.page)


def page_custom_id(page: int, origin: str) -> str:
    return page_id(page, origin)


_TEMPLATES = (re.compile(ACTION_TEMPLATE), re.compile(PAGE_TEMPLATE))


def _components(rows: Any) -> Any:
    for c in rows or ():
        yield c
        yield from _components(getattr(c, "children", None) or getattr(c, "components", None))


def claimed(interaction: discord.Interaction) -> bool:
    """Whether discord.py will hand this component press to ActionItem or PageItem.

    It does so only when the custom_id matches a template and the pressed component is on
    the message; anything else it drops silently, and the member would see "This
    interaction failed".
    """
    data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
    custom_id = data.get("custom_id")
    if not isinstance(custom_id, str) or not any(t.fullmatch(custom_id) for t in _TEMPLATES):
        return False
    message = interaction.message
    if message is None:
        return False
    kind = data.get("component_type")
    return any(
        getattr(c, "custom_id", None) == custom_id
        and getattr(getattr(c, "type", None), "value", None) == kind
        for c in _components(message.components)
    )

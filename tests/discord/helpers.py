"""Small helpers for driving the fake and reading what the bot answered."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from tests.fakes.discord_fake import Call, FakeDiscord

EPHEMERAL = 64


async def answer(fake: FakeDiscord, push: Awaitable[dict[str, Any]]) -> tuple[dict[str, Any], Call]:
    """Push one interaction; return it with the bot's callback call."""
    n = len(fake.calls)
    interaction = await push
    token = interaction["token"]
    call = await fake.wait_for(lambda c: c.path.endswith(f"/{token}/callback"), after=n)
    return interaction, call


def original(fake: FakeDiscord, interaction: dict[str, Any]) -> dict[str, Any]:
    return fake.messages[fake.originals[interaction["token"]]]


def components(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message.get("components") or [] for c in row["components"]]


def text_of(data: dict[str, Any]) -> str:
    parts = [data.get("content") or ""]
    for e in data.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or ""]
        parts += [f"{f['name']} {f['value']}" for f in e.get("fields") or []]
    return "\n".join(parts)

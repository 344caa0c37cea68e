"""A reply's pictures on Discord: each PNG is an attachment shown as the image of an embed of
its own (`attachment://<filename>`), with the alt text as the attachment's description."""

from __future__ import annotations

import io
import logging
from typing import Any

import discord

from bot.adapters.discord import limits
from bot.core.replies import Image, Reply

log = logging.getLogger(__name__)
COLOUR = 0x5865F2


def placed(reply: Reply, embeds_before: int) -> list[Image]:
    """The pictures that fit: within the upload limit and the message's embed count."""
    room = max(0, limits.EMBEDS_MAX - embeds_before)
    out = []
    for image in reply.images:
        if not image.png:
            continue
        if len(image.png) > limits.ATTACHMENT_BYTES_MAX:
            log.warning("picture %s is %d bytes; sent as text only", image.filename, len(image.png))
            continue
        out.append(image)
    if len(out) > room:
        log.warning("reply has %d pictures and room for %d", len(out), room)
    return out[:room]


def embed(image: Image) -> dict[str, Any]:
    return {"type": "rich", "color": COLOUR, "image": {"url": f"attachment://{image.filename}"}}


def file(image: Image) -> discord.File:
    return discord.File(
        io.BytesIO(image.png),
        filename=image.filename,
        description=image.alt[: limits.ATTACHMENT_DESCRIPTION_MAX],
    )

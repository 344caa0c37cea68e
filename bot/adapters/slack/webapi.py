"""Web API calls shared by interactive answers and the scheduler's messenger."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.blocks import render
from bot.adapters.slack.mrkdwn import escape
from bot.core.replies import Attachment, Reply
from bot.core.text import split_text

log = logging.getLogger(__name__)

FILE_TEXT_CHUNK = 2990


async def open_dm(client: AsyncWebClient, user_id: str) -> str:
    resp = await client.conversations_open(users=user_id)
    return str(resp["channel"]["id"])


async def post_reply(
    client: AsyncWebClient, channel: str, reply: Reply, *, thread_ts: str | None = None, **extra: Any
) -> str:
    """Post every page of `reply` in order; returns the first message's ts."""
    pages = render(reply)
    first = ""
    for blocks in pages.pages:
        resp = await client.chat_postMessage(
            channel=channel, blocks=blocks, text=pages.text, thread_ts=thread_ts, unfurl_links=False, **extra
        )
        first = first or str(resp["ts"])
    return first


async def upload(client: AsyncWebClient, channel: str, attachment: Attachment) -> None:
    """Upload the file; without files:write, post its text in code blocks instead."""
    try:
        await client.files_upload_v2(
            channel=channel,
            content=attachment.content,
            filename=attachment.filename,
            title=attachment.filename,
        )
    except SlackApiError as exc:
        if exc.response.get("error") == "ratelimited":
            raise
        log.warning("file upload failed (%s); sending the file as text", exc.response.get("error"))
        text = attachment.content.decode("utf-8", "replace")
        chunks = split_text(escape(text), FILE_TEXT_CHUNK)
        for start in range(0, len(chunks), 40):
            blocks = [
                SectionBlock(text=MarkdownTextObject(text=f"```{c}```")).to_dict()
                for c in chunks[start : start + 40]
            ]
            await client.chat_postMessage(channel=channel, blocks=blocks, text=attachment.filename)

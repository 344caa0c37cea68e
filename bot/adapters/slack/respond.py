"""Where an interaction's answer goes: a modal, the Home tab's modal, its response_url or the member's DMs.

The Home tab is refreshed only after a call that succeeded: building it runs
/today and /progress, which mark the member active, and a refused call must
change nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack.blocks import form_view, page_blocks, render, reply_view
from bot.adapters.slack.home import build_home
from bot.adapters.slack.pictures import upload_images
from bot.adapters.slack.webapi import open_dm, post_reply, upload
from bot.core.engine import INTERNAL_ERROR, Engine
from bot.core.identity import MemberKey
from bot.core.replies import Reply, error_reply

log = logging.getLogger(__name__)


@dataclass
class Surface:
    """Where the answer to one interaction goes."""

    member: MemberKey
    client: AsyncWebClient
    trigger_id: str | None = None
    response_url: str | None = None
    channel_id: str | None = None
    replace: bool = False
    view_id: str | None = None
    from_home: bool = False


async def publish_home(engine: Engine, client: AsyncWebClient, member: MemberKey) -> None:
    try:
        view = await build_home(engine, member)
        await client.views_publish(user_id=member.user_id, view=view)
    except SlackApiError as exc:
        log.warning("views.publish failed: %s", exc.response.get("error"))


async def answer(surface: Surface, reply: Reply) -> None:
    try:
        await _deliver(surface, reply)
    except SlackApiError as exc:
        log.warning("could not answer %s: %s", surface.member, exc.response.get("error"))


async def _deliver(surface: Surface, reply: Reply) -> None:
    client = surface.client
    if reply.form is not None:
        meta = {k: v for k, v in (("c", surface.channel_id), ("r", surface.response_url)) if v}
        view = form_view(reply.form, meta)
        if surface.view_id:
            await client.views_update(view_id=surface.view_id, view=view)
        elif surface.trigger_id:
            try:
                await client.views_open(trigger_id=surface.trigger_id, view=view)
            except SlackApiError as exc:
                if exc.response.get("error") not in ("expired_trigger_id", "invalid_trigger_id"):
                    raise
                await send_messages(surface, Reply(text="That took too long. Please try again."))
        if not reply.cards and not reply.text and not reply.notices:
            return
    if surface.view_id or (surface.from_home and surface.trigger_id and reply.form is None):
        view = reply_view(reply, 0, {"o": reply.origin or ""})
        if surface.view_id:
            await client.views_update(view_id=surface.view_id, view=view)
        else:
            await client.views_open(trigger_id=surface.trigger_id, view=view)
    else:
        await send_messages(surface, reply)
    if reply.attachment is not None:
        channel = await open_dm(client, surface.member.user_id)
        await upload(client, channel, reply.attachment)
    if reply.images and not surface.view_id and not surface.from_home:
        await upload_images(client, await open_dm(client, surface.member.user_id), reply.images)


async def send_messages(surface: Surface, reply: Reply) -> None:
    """Through the response_url when there is one, else (or when it is refused) to the member's DMs."""
    if not surface.response_url:
        channel = await open_dm(surface.client, surface.member.user_id)
        await post_reply(surface.client, channel, reply)
        return
    pages = render(reply)
    hook = AsyncWebhookClient(surface.response_url)
    for i, blocks in enumerate(pages.pages):
        resp = await hook.send(
            text=pages.text,
            blocks=blocks,
            response_type="ephemeral" if reply.private else "in_channel",
            replace_original=surface.replace and i == 0,
        )
        if resp.status_code >= 400:
            log.warning("response_url answered %s; sending to DMs instead", resp.status_code)
            channel = await open_dm(surface.client, surface.member.user_id)
            await post_reply(surface.client, channel, reply)
            return


async def show_page(surface: Surface, reply: Reply, number: int) -> None:
    try:
        if surface.view_id:
            await surface.client.views_update(view_id=surface.view_id, view=reply_view(reply, number))
            return
        if surface.from_home and surface.trigger_id:
            await surface.client.views_open(trigger_id=surface.trigger_id, view=reply_view(reply, number))
            return
        if surface.response_url:
            await AsyncWebhookClient(surface.response_url).send(
                text=render(reply).text,
                blocks=page_blocks(reply, number),
                response_type="ephemeral" if reply.private else "in_channel",
                replace_original=True,
            )
    except SlackApiError as exc:
        log.warning("could not show page %s: %s", number, exc.response.get("error"))


async def apologise(surface: Surface) -> None:
    """After a failure past the ack: the apology the engine gives for a failed command, privately."""
    try:
        await send_messages(surface, error_reply(INTERNAL_ERROR))
    except Exception:
        log.warning("could not tell %s about the failure", surface.member, exc_info=True)

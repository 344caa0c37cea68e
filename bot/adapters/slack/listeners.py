"""Bolt listeners: slash commands, block actions, modal submissions and events.

Every listener acknowledges first and does the work afterwards, so Slack's
3-second limit holds. The one exception is a modal submission: its validation
errors can only be shown in the acknowledgement, so the engine gets up to
SUBMIT_WAIT seconds before the modal is closed without waiting any longer.

The Home tab is refreshed only after a call that succeeded: building it runs
/today and /progress, which mark the member active, and a refused call must
change nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack.blocks import form_view, page_blocks, parse_page, render, reply_view
from bot.adapters.slack.home import build_home
from bot.adapters.slack.messenger import open_dm, post_reply, upload
from bot.adapters.slack.mrkdwn import plain, shorten
from bot.adapters.slack.pictures import upload_images
from bot.adapters.slack.users import UserDirectory, member_key, team_of, user_of
from bot.core.call import Context
from bot.core.clock import Clock
from bot.core.engine import Engine
from bot.core.identity import MemberKey
from bot.core.replies import Reply

log = logging.getLogger(__name__)

SUBMIT_WAIT = 2.0
ANY = re.compile(r".*")  # an empty callback_id is still ours to answer
_OPEN_MENTION = re.compile(r"<(?=[@!#])")
_CHANNEL_MENTION = re.compile(r"<#([A-Z0-9]+)(?:\|[^>]*)?>")


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


def command_line(name: str, text: str) -> str:
    """`/admin paper-channel <#C123|general>` becomes `... channel:C123` for the core's parser."""
    text = (text or "").strip()
    if name == "admin":
        text = _CHANNEL_MENTION.sub(lambda m: f"channel:{m.group(1)}", text)
    return f"/{name} {text}".rstrip()


def form_values(view: Mapping[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for block in (view.get("state") or {}).get("values", {}).values():
        for action_id, state in block.items():
            if state.get("type") == "static_select":
                values[action_id] = ((state.get("selected_option") or {}).get("value")) or ""
            else:
                values[action_id] = state.get("value") or ""
    return values


def _error_text(reply: Reply) -> str:
    parts = [c.body for c in reply.cards if c.body] or [c.title for c in reply.cards] or [reply.text]
    # Shown as plain text under the first input: defuse mentions the member may have typed,
    # even ones cut short by the core's quoting ("<@&1234" without its ">").
    text = _OPEN_MENTION.sub("<\u200b", plain(" ".join(" ".join(parts).split())))
    return shorten(text, 300) or "That didn't work."


def _metadata(view: Mapping[str, Any]) -> dict[str, str]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class Listeners:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        users: UserDirectory,
        installation_store: AsyncInstallationStore | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.users = users
        self.installation_store = installation_store

    def register(self, bolt: AsyncApp) -> None:
        for name in self.engine.specs:
            bolt.command(f"/{name}")(self.on_command)
        bolt.action(ANY)(self.on_action)
        bolt.view_submission(ANY)(self.on_submit)
        bolt.view_closed(ANY)(self.on_view_closed)
        bolt.event("app_home_opened")(self.on_home_opened)
        bolt.event("app_uninstalled")(self.on_uninstalled)
        bolt.event("tokens_revoked")(self.on_tokens_revoked)

    # ---- slash commands -------------------------------------------------

    async def on_command(
        self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any], client: AsyncWebClient
    ):
        await ack()
        name = str(body.get("command", "")).lstrip("/")
        member = member_key(team_of(body), user_of(body))
        surface = Surface(
            member,
            client,
            trigger_id=body.get("trigger_id"),
            response_url=body.get("response_url"),
            channel_id=body.get("channel_id"),
        )
        ctx = await self.users.context(client, member, body.get("channel_id"))
        reply = await self.engine.run_line(member, command_line(name, body.get("text", "")), ctx)
        await self._answer(surface, reply)
        if name != "privacy" and not reply.error:
            await self.publish_home(client, member)

    # ---- buttons and menus ----------------------------------------------

    async def on_action(
        self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any], client: AsyncWebClient
    ):
        await ack()
        actions = body.get("actions") or []
        if not actions:
            return
        chosen = actions[0]
        value = chosen.get("value") or (chosen.get("selected_option") or {}).get("value") or ""
        if not value or chosen.get("url"):
            return  # a link button: Slack opens the link, there is nothing to run
        member = member_key(team_of(body), user_of(body))
        container = body.get("container") or {}
        view = body.get("view") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        surface = Surface(
            member,
            client,
            trigger_id=body.get("trigger_id"),
            response_url=body.get("response_url"),
            channel_id=channel,
            replace=bool(container.get("is_ephemeral")) or str(channel or "").startswith("D"),
            view_id=view.get("id") if view.get("type") == "modal" else None,
            from_home=view.get("type") == "home",
        )
        ctx = await self.users.context(client, member, channel)
        if surface.from_home or surface.view_id:
            ctx = replace(ctx, text_only=True)  # a Home tab or modal shows no uploads
        page = parse_page(value)
        if page is not None:
            number, origin = page
            reply = await self.engine.action(member, origin, {}, ctx)
            await self._show_page(surface, reply, number)
            return
        reply = await self.engine.action(member, value, {}, ctx)
        await self._answer(surface, reply)
        if not value.startswith("privacy:") and not reply.error:
            await self.publish_home(client, member)

    # ---- modals ---------------------------------------------------------

    async def on_submit(
        self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any], client: AsyncWebClient
    ):
        view = body.get("view") or {}
        member = member_key(team_of(body), user_of(body))
        meta = _metadata(view)
        ctx = Context(is_admin=False)
        try:
            ctx = await asyncio.wait_for(self.users.context(client, member, meta.get("c")), SUBMIT_WAIT / 2)
        except TimeoutError:
            pass
        task = asyncio.ensure_future(
            self.engine.action(member, str(view.get("callback_id", "")), form_values(view), ctx)
        )
        done, _ = await asyncio.wait({task}, timeout=SUBMIT_WAIT)
        if not done:
            await ack()
            reply = await task
        else:
            reply = task.result()
            if reply.error and view.get("blocks"):
                first = view["blocks"][0].get("block_id") or "input"
                await ack(response_action="errors", errors={first: _error_text(reply)})
                return
            if reply.form is not None:
                await ack(response_action="update", view=form_view(reply.form, meta))
                await self.publish_home(client, member)
                return
            await ack()
        surface = Surface(member, client, response_url=meta.get("r"), channel_id=meta.get("c"))
        await self._answer(surface, reply)
        if not str(view.get("callback_id", "")).startswith("privacy:") and not reply.error:
            await self.publish_home(client, member)

    async def on_view_closed(self, ack: Callable[..., Awaitable[Any]]):
        await ack()

    # ---- events ---------------------------------------------------------

    async def _first_time(self, body: Mapping[str, Any]) -> bool:
        event_id = body.get("event_id")
        if not event_id:
            return True
        return await self.engine.first_time_event("slack", str(event_id))

    async def on_home_opened(self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient):
        if event.get("tab") not in (None, "home") or not await self._first_time(body):
            return
        await self.publish_home(client, member_key(team_of(body), str(event["user"])))

    async def on_uninstalled(self, body: dict[str, Any]):
        if not await self._first_time(body):
            return
        team = body.get("team_id")
        enterprise = body.get("enterprise_id")
        log.info("app uninstalled from workspace %s", team)
        if self.installation_store is not None:
            await self.installation_store.async_delete_all(enterprise_id=enterprise, team_id=team)

    async def on_tokens_revoked(self, body: dict[str, Any], event: dict[str, Any]):
        if not await self._first_time(body):
            return
        team = body.get("team_id")
        enterprise = body.get("enterprise_id")
        tokens = event.get("tokens") or {}
        if self.installation_store is None:
            log.warning("tokens revoked in workspace %s", team)
            return
        for user_id in tokens.get("oauth") or []:
            await self.installation_store.async_delete_installation(
                enterprise_id=enterprise, team_id=team, user_id=user_id
            )
        if tokens.get("bot"):
            await self.installation_store.async_delete_bot(enterprise_id=enterprise, team_id=team)

    # ---- delivery -------------------------------------------------------

    async def publish_home(self, client: AsyncWebClient, member: MemberKey) -> None:
        try:
            view = await build_home(self.engine, member)
            await client.views_publish(user_id=member.user_id, view=view)
        except SlackApiError as exc:
            log.warning("views.publish failed: %s", exc.response.get("error"))

    async def _answer(self, surface: Surface, reply: Reply) -> None:
        try:
            await self._deliver(surface, reply)
        except SlackApiError as exc:
            log.warning("could not answer %s: %s", surface.member, exc.response.get("error"))

    async def _deliver(self, surface: Surface, reply: Reply) -> None:
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
                    await self._send_messages(surface, Reply(text="That took too long. Please try again."))
            if not reply.cards and not reply.text and not reply.notices:
                return
        if surface.view_id or (surface.from_home and surface.trigger_id and reply.form is None):
            view = reply_view(reply, 0, {"o": reply.origin or ""})
            if surface.view_id:
                await client.views_update(view_id=surface.view_id, view=view)
            else:
                await client.views_open(trigger_id=surface.trigger_id, view=view)
        else:
            await self._send_messages(surface, reply)
        if reply.attachment is not None:
            channel = await open_dm(client, surface.member.user_id)
            await upload(client, channel, reply.attachment)
        if reply.images and not surface.view_id and not surface.from_home:
            await upload_images(client, await open_dm(client, surface.member.user_id), reply.images)

    async def _send_messages(self, surface: Surface, reply: Reply) -> None:
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

    async def _show_page(self, surface: Surface, reply: Reply, number: int) -> None:
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

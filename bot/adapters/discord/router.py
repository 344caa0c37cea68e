"""Interactions in, core calls out: slash commands, autocomplete, modal submits and
component clicks (the latter arrive through the DynamicItems in items.py).

Slow work is deferred: each core call races a short timer (DEFER_AFTER, well inside
Discord's 3 s), and only when the timer wins is the interaction deferred. Any failure
ends in a short ephemeral message, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Coroutine, Iterable, Mapping
from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord import limits, members
from bot.adapters.discord.items import claimed
from bot.adapters.discord.render import Rendered, build_modal, clip, plain_fallback, render
from bot.core import ids
from bot.core.call import Context
from bot.core.engine import INTERNAL_ERROR, Engine
from bot.core.identity import MemberKey
from bot.core.recent import RecentKeys
from bot.core.replies import Reply, error_reply

log = logging.getLogger(__name__)

DEFER_AFTER = 2.0
# The same apology Slack and the console give when a command fails after it was received.
SORRY = INTERNAL_ERROR
FORM_AFTER_DEFER = "That took a moment. Please press the button or run the command again to open the form."
STALE_BUTTON = "That button no longer works. Run the command again for a fresh one."


def option_values(options: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Flatten command options (sub-commands are not used, but are tolerated)."""
    out: dict[str, Any] = {}
    for o in options:
        if "options" in o and "value" not in o:
            out.update(option_values(o["options"]))
        elif "value" in o:
            out[o["name"]] = o["value"]
    return out


def modal_values(components: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """custom_id -> value for every text input, in action rows or label components."""
    out: dict[str, str] = {}
    for c in components:
        if c.get("type") == 4 and isinstance(c.get("value"), str):
            out[c["custom_id"]] = c["value"]
        for inner in c.get("components") or ():
            out.update(modal_values([inner]))
        if isinstance(c.get("component"), Mapping):
            out.update(modal_values([c["component"]]))
    return out


class Router:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.defer_after = DEFER_AFTER
        # A gateway resume can replay an INTERACTION_CREATE; each interaction is acted on once.
        self.handled = RecentKeys()

    # -- who and with what rights -------------------------------------------------

    async def member_key(self, interaction: discord.Interaction, action: str = "") -> MemberKey:
        """The caller's membership; in a DM, the one the pressed button's server names."""
        if interaction.guild_id is not None:
            return members.guild_member_key(interaction.guild_id, interaction.user.id)
        scope = ids.split_scope(action)[1]
        return await members.dm_member_key(self.engine, interaction.user.id, interaction.channel_id, scope)

    def context(self, interaction: discord.Interaction) -> Context:
        perms = interaction.permissions
        is_admin = interaction.guild_id is not None and (perms.manage_guild or perms.administrator)
        guild = interaction.guild
        return Context(
            is_admin=bool(is_admin),
            display_name=getattr(interaction.user, "display_name", "") or "",
            channel_id=str(interaction.channel_id) if interaction.channel_id else None,
            in_dm=interaction.guild_id is None,
            community_name=getattr(guild, "name", None) or None,
        )

    # -- entry points ---------------------------------------------------------------

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        kind = interaction.type
        if kind == discord.InteractionType.application_command:
            await self._guard(interaction, self._command(interaction))
        elif kind == discord.InteractionType.autocomplete:
            await self._guard(interaction, self._autocomplete(interaction))
        elif kind == discord.InteractionType.modal_submit:
            await self._guard(interaction, self._modal(interaction))
        elif kind == discord.InteractionType.component and not claimed(interaction):
            # discord.py drops presses that no DynamicItem claims; answer them here.
            await self._guard(interaction, self._unclaimed(interaction))

    async def on_component(
        self, interaction: discord.Interaction, action: str, values: list[str], page: int | None
    ) -> None:
        await self._guard(interaction, self._component(interaction, action, values, page))

    # -- handlers -------------------------------------------------------------------

    async def _command(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        name = str(data.get("name", ""))
        options = option_values(data.get("options") or [])
        key = await self.member_key(interaction)
        ctx = self.context(interaction)
        work = self.engine.command(key, name, options, ctx)
        await self._answer(interaction, work, update=False)

    async def _component(
        self, interaction: discord.Interaction, action: str, values: list[str], page: int | None
    ) -> None:
        chosen = values[0] if values else action
        key = await self.member_key(interaction, chosen)
        work = self.engine.action(key, chosen, {}, self.context(interaction))
        message = interaction.message
        ephemeral = bool(message is not None and message.flags.ephemeral)
        await self._answer(interaction, work, update=page is not None or ephemeral, page=page or 0)

    async def _modal(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        action = str(data.get("custom_id", ""))
        values = modal_values(data.get("components") or [])
        key = await self.member_key(interaction, action)
        work = self.engine.action(key, action, values, self.context(interaction))
        await self._answer(interaction, work, update=False)

    async def _unclaimed(self, interaction: discord.Interaction) -> None:
        log.info("unknown component", extra={"interaction": interaction.id})
        first = render(error_reply(STALE_BUTTON), 0)[0]
        await interaction.response.send_message(**first.send_kwargs(), ephemeral=True)

    async def _autocomplete(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        spec = self.engine.specs.get(str(data.get("name", "")))
        focused = _focused(data.get("options") or [])
        choices: list[tuple[str, str]] = []
        if spec is not None and focused is not None:
            opt = spec.option(focused[0])
            typed = str(focused[1] or "")
            if opt is not None and opt.autocomplete:
                choices = self.engine.autocomplete_choices(opt.autocomplete, typed)
            elif opt is not None and opt.choices:
                low = typed.lower()
                choices = [(lb, v) for lb, v in opt.choices if low in lb.lower() or low in v.lower()]
        answer = [
            app_commands.Choice(name=clip(n, 100), value=v[:100]) for n, v in choices[: limits.CHOICES_MAX]
        ]
        limits.check_payload("choices", [c.to_dict() for c in answer])
        await interaction.response.autocomplete(answer)

    # -- answering ------------------------------------------------------------------

    async def _answer(
        self, interaction: discord.Interaction, work: Awaitable[Reply], *, update: bool, page: int = 0
    ) -> None:
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        deferred = False
        if not done:
            if update:
                await interaction.response.defer()
            else:
                await interaction.response.defer(ephemeral=True, thinking=True)
            deferred = True
        reply = await task
        ephemeral = reply.private
        if reply.form is not None:
            if not deferred:
                await interaction.response.send_modal(build_modal(reply.form))
                return
            messages = plain_fallback(FORM_AFTER_DEFER)
        else:
            messages = render(reply, page)
        if reply.error and update:
            # Keep the message the button sits on; say what went wrong beside it.
            update = False
            if deferred:
                await self._followups(interaction, messages, ephemeral=True)
                return
        first, rest = messages[0], messages[1:]
        if not deferred:
            if update:
                await interaction.response.edit_message(**first.edit_kwargs())
            else:
                await interaction.response.send_message(**first.send_kwargs(), ephemeral=ephemeral)
        else:
            await interaction.edit_original_response(**first.edit_kwargs())
        await self._followups(interaction, rest, ephemeral=ephemeral)

    async def _followups(
        self, interaction: discord.Interaction, messages: list[Rendered], *, ephemeral: bool
    ) -> None:
        for m in messages:
            await interaction.followup.send(**m.send_kwargs(), ephemeral=ephemeral)

    async def _guard(self, interaction: discord.Interaction, work: Coroutine[Any, Any, None]) -> None:
        if self.handled.seen_before(str(interaction.id)):
            work.close()
            log.info("ignored a repeated interaction", extra={"interaction": interaction.id})
            return
        try:
            await work
        except Exception:
            log.exception(
                "interaction failed",
                extra={"interaction": interaction.id, "type": str(interaction.type)},
            )
            await self._apologise(interaction)

    async def _apologise(self, interaction: discord.Interaction) -> None:
        if interaction.type == discord.InteractionType.autocomplete:
            if not interaction.response.is_done():
                try:
                    await interaction.response.autocomplete([])
                except discord.HTTPException:
                    pass
            return
        try:
            if interaction.response.is_done():
                await interaction.followup.send(
                    SORRY, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                )
            else:
                await interaction.response.send_message(
                    SORRY, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                )
        except discord.HTTPException:
            log.warning("could not tell the member about the failure", exc_info=True)


def _focused(options: Iterable[Mapping[str, Any]]) -> tuple[str, Any] | None:
    for o in options:
        if o.get("focused"):
            return str(o["name"]), o.get("value")
        inner = _focused(o.get("options") or [])
        if inner is not None:
            return inner
    return None

"""Reply -> Discord message parts (content, embeds, components, file) and modals.

Long replies become pages. With an `origin` action id the pages are shown one at
a time with stateless `pg:<n>:<origin>` buttons; without one they are sent as
consecutive messages. Bodies are split only at paragraph, line or word breaks.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.adapters.discord import limits, pictures
from bot.adapters.discord.items import ActionItem, PageItem, page_custom_id
from bot.core.replies import Button, Card, Form, Reply, SelectOption
from bot.core.replies import Select as CoreSelect
from bot.core.text import shorten, split_text

log = logging.getLogger(__name__)

COLOURS = {
    "info": 0x5865F2,
    "success": 0x57F287,
    "warning": 0xFEE75C,
    "danger": 0xED4245,
    "neutral": 0x99AAB5,
}
STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}
# Leave room for the page footer and rounding in each page's budget.
DESCRIPTION_CHUNK = 3800
EMBED_BUDGET = 5600
PAGE_BUDGET = 5800
BLANK = "\u200b"


def clip(text: str, limit: int) -> str:
    """Shorten a label or title to `limit` at a word break, marking the cut with an ellipsis."""
    text = " ".join(text.split()) if "\n" in text else text
    return shorten(text, limit)


@dataclass
class Page:
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Rendered:
    """One message, ready to send."""

    content: str | None
    embeds: list[discord.Embed]
    view: discord.ui.View | None
    files: list[discord.File]
    page: int
    pages: int

    def payload(self) -> dict[str, Any]:
        """The JSON parts Discord sees, for the limit check."""
        return {
            "content": self.content,
            "embeds": [e.to_dict() for e in self.embeds],
            "components": self.view.to_components() if self.view else [],
        }

    def send_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "content": self.content,
            "embeds": self.embeds,
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        if self.view is not None:
            kw["view"] = self.view
        if self.files:
            kw["files"] = self.files
        return kw

    def edit_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "content": self.content,
            "embeds": self.embeds,
            "view": self.view,
            "attachments": list(self.files),
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        return kw


def card_embeds(card: Card) -> list[dict[str, Any]]:
    """One card as one or more embed dicts, each within the per-embed limits."""
    body = card.body
    if card.progress is not None:
        label = f"{card.progress.label}: " if card.progress.label else ""
        body = f"{body}\n\n{label}`{card.progress.bar()}`" if body else f"{label}`{card.progress.bar()}`"
    chunks = split_text(body, DESCRIPTION_CHUNK) if body else [""]
    title = clip(card.title, limits.EMBED_TITLE_MAX) if card.title else ""
    colour = COLOURS.get(card.tone, COLOURS["info"])
    embeds: list[dict[str, Any]] = []
    for i, chunk in enumerate(chunks):
        e: dict[str, Any] = {"type": "rich", "color": colour}
        if title:
            e["title"] = title if i == 0 else clip(f"{card.title} (continued)", limits.EMBED_TITLE_MAX)
        if i == 0 and card.url:
            e["url"] = card.url
        if chunk:
            e["description"] = chunk
        embeds.append(e)
    for name, value, inline in _fields(card):
        last = embeds[-1]
        fields = last.setdefault("fields", [])
        if (
            len(fields) >= limits.EMBED_FIELDS_MAX
            or limits.embed_size(last) + len(name) + len(value) > EMBED_BUDGET
        ):
            last = {"type": "rich", "color": colour, "fields": []}
            if title:
                last["title"] = clip(f"{card.title} (continued)", limits.EMBED_TITLE_MAX)
            embeds.append(last)
            fields = last["fields"]
        fields.append({"name": name, "value": value, "inline": inline})
    last = embeds[-1]
    if card.footer:
        last["footer"] = {"text": clip(card.footer, limits.FOOTER_MAX)}
    if card.image_url:
        last["image"] = {"url": card.image_url}
    for e in embeds:
        if not e.get("fields"):
            e.pop("fields", None)
        if not any(k in e for k in ("title", "description", "fields", "footer", "image")):
            e["description"] = BLANK
    return embeds


def _fields(card: Card) -> list[tuple[str, str, bool]]:
    out: list[tuple[str, str, bool]] = []
    for f in card.fields:
        name = clip(f.name, limits.FIELD_NAME_MAX) or BLANK
        parts = split_text(f.value, limits.FIELD_VALUE_MAX) if f.value else [BLANK]
        for i, part in enumerate(parts):
            out.append((name if i == 0 else BLANK, part, f.inline and len(parts) == 1))
    return out


def paginate(reply: Reply) -> list[Page]:
    lead = [f"⚠️ {n}" for n in reply.notices]
    if reply.text:
        lead.append(reply.text)
    content = "\n\n".join(lead)
    embeds: list[dict[str, Any]] = []
    if len(content) > limits.CONTENT_MAX:
        for chunk in split_text(content, DESCRIPTION_CHUNK):
            embeds.append({"type": "rich", "color": COLOURS["info"], "description": chunk})
        content = ""
    for card in reply.cards:
        embeds += card_embeds(card)
    pages = [Page(content=content)]
    used = 0
    for e in embeds:
        size = limits.embed_size(e)
        page = pages[-1]
        if page.embeds and (len(page.embeds) >= limits.EMBEDS_MAX or used + size > PAGE_BUDGET):
            pages.append(Page())
            page, used = pages[-1], 0
        page.embeds.append(e)
        used += size
    return pages


def _button(b: Button) -> discord.ui.Item[Any]:
    label = clip(b.label, limits.BUTTON_LABEL_MAX) or "Open"
    if b.url:
        return discord.ui.Button(label=label, url=b.url, style=discord.ButtonStyle.link)
    return ActionItem(discord.ui.Button(label=label, custom_id=b.action, style=STYLES[b.style]))


def _select(sel: CoreSelect, taken: set[str]) -> discord.ui.Item[Any] | None:
    options: list[discord.SelectOption] = []
    seen: set[str] = set()
    for o in sel.options:
        if o.action in seen:
            continue
        seen.add(o.action)
        options.append(
            discord.SelectOption(
                label=clip(o.label, limits.SELECT_OPTION_TEXT_MAX) or o.action[:100],
                value=o.action,
                description=clip(o.description, limits.SELECT_OPTION_TEXT_MAX) or None,
                default=o.selected,
            )
        )
    if len(options) > limits.SELECT_OPTIONS_MAX:
        log.warning("select %s has %d options; showing the first %d", sel.id, len(options), 25)
        options = options[: limits.SELECT_OPTIONS_MAX]
    if not options or sel.id in taken:
        return None
    taken.add(sel.id)
    return ActionItem(
        discord.ui.Select(
            custom_id=sel.id,
            placeholder=clip(sel.placeholder, limits.SELECT_PLACEHOLDER_MAX) or None,
            options=options,
            min_values=1,
            max_values=1,
        )
    )


def build_view(reply: Reply, nav: list[tuple[str, str]]) -> discord.ui.View | None:
    """Buttons, then the select, then page navigation; at most five rows.

    Buttons that do not fit become options of an extra select when there is no
    other select. The view is stopped before it is returned: dispatch goes through
    the DynamicItems registered in setup_hook, never through a stored view.
    """
    rows_left = limits.ACTION_ROWS_MAX - (1 if nav else 0) - (1 if reply.select else 0)
    taken: set[str] = set()
    buttons: list[Button] = []
    for b in reply.buttons:
        key = b.url or b.action
        if key in taken:
            continue
        taken.add(key)
        buttons.append(b)
    select = reply.select
    capacity = rows_left * limits.BUTTONS_PER_ROW
    if len(buttons) > capacity:
        if select is None and rows_left >= 1:
            capacity = (rows_left - 1) * limits.BUTTONS_PER_ROW
            rest = [b for b in buttons[capacity:] if not b.url]
            select = CoreSelect(
                id="menu:more",
                placeholder="More…",
                options=tuple(SelectOption(clip(b.label, 100), b.action) for b in rest[:25]),
            )
        else:
            log.warning("reply has %d buttons; showing %d", len(buttons), capacity)
        buttons = buttons[:capacity]
    view = discord.ui.View(timeout=None)
    row = 0
    for i, b in enumerate(buttons):
        item = _button(b)
        item.row = row + i // limits.BUTTONS_PER_ROW
        view.add_item(item)
    row += -(-len(buttons) // limits.BUTTONS_PER_ROW)
    if select is not None:
        item = _select(select, taken)
        if item is not None:
            item.row = row
            view.add_item(item)
            row += 1
    for label, custom_id in nav:
        item = PageItem(discord.ui.Button(label=label, custom_id=custom_id))
        item.row = row
        view.add_item(item)
    view.stop()
    return view if view.children else None


def _files(reply: Reply, page: Page) -> list[discord.File]:
    """The first page's uploads: the reply's file, and each picture with an embed showing it."""
    files = []
    if reply.attachment is not None:
        files.append(discord.File(io.BytesIO(reply.attachment.content), filename=reply.attachment.filename))
    for image in pictures.placed(reply, len(page.embeds)):
        page.embeds.append(pictures.embed(image))
        files.append(pictures.file(image))
    return files


def _message(
    page: Page, view: discord.ui.View | None, files: list[discord.File], n: int, total: int
) -> Rendered:
    embeds = [discord.Embed.from_dict(e) for e in page.embeds]
    rendered = Rendered(page.content or None, embeds, view, files, n, total)
    limits.check_payload("message", rendered.payload())
    return rendered


def can_page(reply: Reply) -> bool:
    return bool(reply.origin) and len(page_custom_id(999, reply.origin or "")) <= limits.CUSTOM_ID_MAX


def render(reply: Reply, page: int = 0) -> list[Rendered]:
    """The messages to send for this reply: one page of it when it can page statelessly,
    else all its pages as consecutive messages (components on the last one)."""
    pages = paginate(reply)
    total = len(pages)
    if total == 1 or can_page(reply):
        n = max(0, min(page, total - 1))
        nav: list[tuple[str, str]] = []
        if total > 1:
            origin = reply.origin or ""
            if n > 0:
                nav.append((f"◀ Page {n}", page_custom_id(n - 1, origin)))
            if n < total - 1:
                nav.append((f"Page {n + 2} of {total} ▶", page_custom_id(n + 1, origin)))
            _page_footer(pages[n], n, total)
        files = _files(reply, pages[n]) if n == 0 else []
        return [_message(pages[n], build_view(reply, nav), files, n, total)]
    out = []
    for n, p in enumerate(pages):
        last = n == total - 1
        view = build_view(reply, []) if last else None
        out.append(_message(p, view, _files(reply, p) if n == 0 else [], n, total))
    return out


def _page_footer(page: Page, n: int, total: int) -> None:
    if not page.embeds:
        return
    last = page.embeds[-1]
    note = f"Page {n + 1} of {total}"
    old = (last.get("footer") or {}).get("text")
    last["footer"] = {"text": clip(f"{old} · {note}", limits.FOOTER_MAX) if old else note}


def build_modal(form: Form) -> discord.ui.Modal:
    """A modal whose submit is routed by its custom_id (the form's action id), not by
    a stored Modal object, so it keeps working across restarts."""
    modal = discord.ui.Modal(
        title=clip(form.title, limits.MODAL_TITLE_MAX), custom_id=form.action, timeout=None
    )
    for f in form.fields[: limits.MODAL_INPUTS_MAX]:
        max_length = max(1, min(f.max_length, limits.TEXT_INPUT_VALUE_MAX))
        modal.add_item(
            discord.ui.TextInput(
                label=clip(f.label, limits.TEXT_INPUT_LABEL_MAX),
                custom_id=f.id,
                style=discord.TextStyle.paragraph if f.style == "paragraph" else discord.TextStyle.short,
                required=f.required,
                placeholder=clip(f.placeholder, limits.TEXT_INPUT_PLACEHOLDER_MAX) or None,
                default=f.default[:max_length] or None,
                min_length=max(0, min(f.min_length, max_length)) or None,
                max_length=max_length,
            )
        )
    modal.stop()
    limits.check_payload("modal", modal.to_dict())
    return modal


def plain_fallback(text: str) -> list[Rendered]:
    return render(Reply(text=text))

"""Core replies as Block Kit: messages, modals and pages, always inside Slack's limits.

Every payload is built from slack_sdk.models and serialised with `to_dict()`,
which checks the limits of each element. Content that does not fit one message
(50 blocks) or modal (100 blocks) is split into pages; it is never cut short.
A reply that knows how to rebuild itself (`Reply.origin`) gets stateless page
buttons whose value is `pg:<page>:<origin>` (bot/core/actions.py); any other long reply is sent as
several messages in a row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.adapters.slack.mrkdwn import mrkdwn_chunks, plain, shorten, to_mrkdwn
from bot.core import actions
from bot.core.actions import page_id
from bot.core.replies import Button, Card, Form, Reply, Select

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
PAGE_CHARS = 12000
BUTTON_TEXT = 75
HEADER_TEXT = 150
OPTION_TEXT = 75
SELECT_OPTIONS = 100
FIELDS_PER_SECTION = 10
FIELD_TEXT = 2000
CONTEXT_TEXT = 2000
VIEW_TITLE = 24
APP_TITLE = "Study companion"

_STYLE = {"primary": "primary", "success": "primary", "danger": "danger"}
_TONE_MARK = {"warning": "⚠️ ", "danger": "⛔ ", "success": "✅ "}


@dataclass(frozen=True, slots=True)
class Pages:
    """Rendered blocks, one list per page. `linked` pages carry page buttons."""

    pages: list[list[dict[str, Any]]]
    linked: bool
    text: str


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def _pt(text: str) -> PlainTextObject:
    return PlainTextObject(text=plain(text), emoji=True)


def summary(reply: Reply) -> str:
    """The notification text sent alongside blocks."""
    for candidate in (reply.text, *(c.title for c in reply.cards), *reply.notices):
        if candidate.strip():
            return to_mrkdwn(shorten(candidate.strip().splitlines()[0], 150))
    if reply.form is not None:
        return to_mrkdwn(reply.form.title)
    return "Study companion"


def card_blocks(card: Card) -> list[Block]:
    blocks: list[Block] = []
    title = _TONE_MARK.get(card.tone, "") + card.title
    if len(title) <= HEADER_TEXT:
        blocks.append(HeaderBlock(text=_pt(title)))
    else:
        blocks += [SectionBlock(text=_md(f"*{c}*")) for c in mrkdwn_chunks(title, 2900)]
    blocks += [SectionBlock(text=_md(c)) for c in mrkdwn_chunks(card.body)]
    inline: list[MarkdownTextObject] = []
    for f in card.fields:
        text = f"*{to_mrkdwn(f.name)}*\n{to_mrkdwn(f.value)}"
        if f.inline and len(text) <= FIELD_TEXT:
            inline.append(_md(text))
            continue
        blocks += [SectionBlock(text=_md(c)) for c in mrkdwn_chunks(f"**{f.name}**\n{f.value}")]
    for i in range(0, len(inline), FIELDS_PER_SECTION):
        blocks.append(SectionBlock(fields=inline[i : i + FIELDS_PER_SECTION]))
    if card.progress is not None:
        label = f"{to_mrkdwn(card.progress.label)}: " if card.progress.label else ""
        blocks.append(ContextBlock(elements=[_md(f"{label}`{card.progress.bar()}`")]))
    if card.url:
        blocks.append(ContextBlock(elements=[_md(f"🔗 <{card.url}|{to_mrkdwn(shorten(card.title, 200))}>")]))
    if card.image_url:
        blocks.append(ImageBlock(image_url=card.image_url, alt_text=shorten(card.title, 2000)))
    for chunk in mrkdwn_chunks(card.footer, CONTEXT_TEXT) if card.footer else []:
        blocks.append(ContextBlock(elements=[_md(chunk)]))
    return blocks


def content_blocks(reply: Reply) -> list[Block]:
    blocks: list[Block] = []
    for notice in reply.notices:
        blocks += [ContextBlock(elements=[_md(c)]) for c in mrkdwn_chunks(f"⚠️ {notice}", CONTEXT_TEXT)]
    if reply.text:
        blocks += [SectionBlock(text=_md(c)) for c in mrkdwn_chunks(reply.text)]
    for i, card in enumerate(reply.cards):
        if i:
            blocks.append(DividerBlock())
        blocks += card_blocks(card)
    if reply.attachment is not None:
        name = to_mrkdwn(reply.attachment.filename)
        blocks.append(ContextBlock(elements=[_md(f"📎 {name} is in your direct messages.")]))
    return blocks


def button_element(button: Button, action_id: str) -> ButtonElement:
    text = _pt(shorten(button.label, BUTTON_TEXT))
    style = _STYLE.get(button.style)
    if button.url is not None:
        return ButtonElement(text=text, action_id=action_id, url=button.url, style=style)
    return ButtonElement(text=text, action_id=action_id, value=button.action, style=style)


def select_elements(select: Select) -> list[StaticSelectElement]:
    out = []
    opts = list(select.options)
    for n, start in enumerate(range(0, len(opts), SELECT_OPTIONS)):
        options = [
            Option(
                text=_pt(shorten(o.label, OPTION_TEXT)),
                value=o.action,
                description=_pt(shorten(o.description, OPTION_TEXT)) if o.description else None,
            )
            for o in opts[start : start + SELECT_OPTIONS]
        ]
        chosen = next((o for o, src in zip(options, opts[start:], strict=False) if src.selected), None)
        out.append(
            StaticSelectElement(
                action_id=f"sel:{n}",
                placeholder=_pt(shorten(select.placeholder or "Choose…", HEADER_TEXT)),
                options=options,
                initial_option=chosen,
            )
        )
    return out


def control_blocks(reply: Reply) -> list[Block]:
    blocks: list[Block] = []
    buttons = [button_element(b, f"{'url' if b.url else 'act'}:{i}") for i, b in enumerate(reply.buttons)]
    for i in range(0, len(buttons), 5):
        blocks.append(ActionsBlock(elements=buttons[i : i + 5]))
    if reply.select is not None:
        selects = select_elements(reply.select)
        for i in range(0, len(selects), 5):
            blocks.append(ActionsBlock(elements=selects[i : i + 5]))
    return blocks


def _size(block: Block) -> int:
    return len(json.dumps(block.to_dict()))


def _split_pages(blocks: list[Block], per_page: int) -> list[list[Block]]:
    pages: list[list[Block]] = [[]]
    used = 0
    for block in blocks:
        size = _size(block)
        current = pages[-1]
        if current and (len(current) >= per_page or used + size > PAGE_CHARS):
            if isinstance(current[-1], DividerBlock):
                current.pop()
            pages.append([])
            used = 0
            if isinstance(block, DividerBlock):
                continue
        pages[-1].append(block)
        used += size
    return pages


def nav_block(page: int, total: int, origin: str) -> list[Block]:
    buttons = []
    if page > 0:
        buttons.append(
            ButtonElement(text=_pt("◀ Previous"), action_id="pg:prev", value=page_id(page - 1, origin))
        )
    if page < total - 1:
        buttons.append(
            ButtonElement(text=_pt("Next ▶"), action_id="pg:next", value=page_id(page + 1, origin))
        )
    return [
        ContextBlock(elements=[_md(f"Page {page + 1} of {total}")]),
        ActionsBlock(elements=buttons),
    ]


def render(reply: Reply, max_blocks: int = MESSAGE_BLOCKS) -> Pages:
    content = content_blocks(reply)
    controls = control_blocks(reply)
    if not content and not controls:
        content = [SectionBlock(text=_md("Done."))]
    single = len(content) + len(controls) <= max_blocks and sum(map(_size, content)) <= PAGE_CHARS
    if single:
        return Pages([[b.to_dict() for b in content + controls]], linked=False, text=summary(reply))
    if reply.origin:
        chunks = _split_pages(content, max_blocks - len(controls) - 2)
        pages = [
            [b.to_dict() for b in chunk + controls + nav_block(i, len(chunks), reply.origin)]
            for i, chunk in enumerate(chunks)
        ]
        return Pages(pages, linked=True, text=summary(reply))
    chunks = _split_pages(content, max_blocks - len(controls))
    pages = [[b.to_dict() for b in chunk] for chunk in chunks]
    pages[-1] += [b.to_dict() for b in controls]
    return Pages(pages, linked=False, text=summary(reply))


def page_blocks(reply: Reply, page: int, max_blocks: int = MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    pages = render(reply, max_blocks).pages
    return pages[max(0, min(page, len(pages) - 1))]


def parse_page(value: str) -> tuple[int, str] | None:
    """`pg:<n>:<origin>` → (n, origin)."""
    asked = actions.parse_page(value)
    return None if asked is None else (asked.page, asked.origin)


def view_title(text: str) -> PlainTextObject:
    return PlainTextObject(text=shorten(plain(text), VIEW_TITLE) or APP_TITLE, emoji=True)


def form_view(form: Form, metadata: dict[str, str] | None = None) -> dict[str, Any]:
    blocks = []
    for f in form.fields:
        max_length = min(f.max_length, 3000) if f.max_length else None
        element = PlainTextInputElement(
            action_id=f.id,
            multiline=f.style == "paragraph",
            placeholder=_pt(shorten(f.placeholder, 150)) if f.placeholder else None,
            initial_value=f.default[:max_length] if f.default else None,
            min_length=f.min_length or None,
            max_length=max_length,
        )
        blocks.append(
            InputBlock(
                block_id=f.id, label=_pt(shorten(f.label, 2000)), element=element, optional=not f.required
            )
        )
    view = View(
        type="modal",
        callback_id=form.action,
        title=view_title(form.title),
        submit=_pt("Save"),
        close=_pt("Cancel"),
        blocks=blocks,
        private_metadata=json.dumps(metadata or {}),
    )
    return view.to_dict()


def reply_view(reply: Reply, page: int = 0, metadata: dict[str, str] | None = None) -> dict[str, Any]:
    title = reply.cards[0].title if len(reply.cards) == 1 else APP_TITLE
    view = View(
        type="modal",
        title=view_title(title),
        close=_pt("Close"),
        blocks=page_blocks(reply, page, VIEW_BLOCKS),
        private_metadata=json.dumps(metadata or {}),
    )
    return view.to_dict()


def home_view(blocks: Sequence[Block | dict[str, Any]]) -> dict[str, Any]:
    return View(type="home", blocks=list(blocks)[:VIEW_BLOCKS]).to_dict()

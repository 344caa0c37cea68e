"""Discord's documented payload limits, and one check every outgoing payload goes through.

The renderer keeps within these limits by construction; `check_payload` is the
safety net. In tests (`STRICT = True`, or DISCORD_STRICT_PAYLOADS=1) a broken limit
raises; in production it is logged and the payload is still sent, because Discord
itself will refuse it with a clear 400.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any

log = logging.getLogger(__name__)

STRICT = os.environ.get("DISCORD_STRICT_PAYLOADS", "") == "1"

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_NAME_MAX = 256
EMBED_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
BUTTONS_PER_ROW = 5
SELECT_OPTIONS_MAX = 25
SELECT_OPTION_TEXT_MAX = 100
SELECT_PLACEHOLDER_MAX = 150
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
MODAL_TITLE_MAX = 45
MODAL_INPUTS_MAX = 5
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_PLACEHOLDER_MAX = 100
TEXT_INPUT_VALUE_MAX = 4000
CHOICES_MAX = 25
COMMAND_NAME_MAX = 32
COMMAND_DESCRIPTION_MAX = 100
OPTIONS_MAX = 25
NONCE_MAX = 25


class PayloadLimitError(ValueError):
    """An outgoing payload breaks one of Discord's limits."""


def embed_size(embed: Mapping[str, Any]) -> int:
    """Characters that count towards the 6000 total, as Discord counts them."""
    size = len(embed.get("title") or "") + len(embed.get("description") or "")
    size += len((embed.get("footer") or {}).get("text") or "")
    size += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or ():
        size += len(f.get("name") or "") + len(f.get("value") or "")
    return size


def message_problems(payload: Mapping[str, Any]) -> list[str]:
    """Every broken limit in a message body (create, edit, callback data or followup)."""
    out: list[str] = []
    content = payload.get("content")
    if content and len(content) > CONTENT_MAX:
        out.append(f"content is {len(content)} chars (max {CONTENT_MAX})")
    embeds = payload.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        out.append(f"{len(embeds)} embeds (max {EMBEDS_MAX})")
    total = 0
    for i, e in enumerate(embeds):
        total += embed_size(e)
        _max(out, f"embed {i} title", e.get("title"), EMBED_TITLE_MAX)
        _max(out, f"embed {i} description", e.get("description"), EMBED_DESCRIPTION_MAX)
        _max(out, f"embed {i} footer", (e.get("footer") or {}).get("text"), FOOTER_MAX)
        fields = e.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            out.append(f"embed {i} has {len(fields)} fields (max {EMBED_FIELDS_MAX})")
        for j, f in enumerate(fields):
            _max(out, f"embed {i} field {j} name", f.get("name"), FIELD_NAME_MAX)
            _max(out, f"embed {i} field {j} value", f.get("value"), FIELD_VALUE_MAX)
            if not f.get("name") or not f.get("value"):
                out.append(f"embed {i} field {j} has an empty name or value")
    if total > EMBED_TOTAL_MAX:
        out.append(f"embeds total {total} chars (max {EMBED_TOTAL_MAX})")
    out += component_problems(payload.get("components") or [])
    return out


def component_problems(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
    rows = list(rows)
    if len(rows) > ACTION_ROWS_MAX:
        out.append(f"{len(rows)} action rows (max {ACTION_ROWS_MAX})")
    seen: set[str] = set()
    for r, row in enumerate(rows):
        items = row.get("components") or []
        if row.get("type") != 1:
            out.append(f"row {r} is not an action row")
        if not 1 <= len(items) <= BUTTONS_PER_ROW:
            out.append(f"row {r} has {len(items)} components (1-{BUTTONS_PER_ROW})")
        for c in items:
            cid = c.get("custom_id")
            if cid is not None:
                if not 1 <= len(cid) <= CUSTOM_ID_MAX:
                    out.append(f"custom_id {cid[:30]!r}… is {len(cid)} chars (max {CUSTOM_ID_MAX})")
                if cid in seen:
                    out.append(f"custom_id {cid!r} is used twice")
                seen.add(cid)
            if c.get("type") == 2:
                _max(out, "button label", c.get("label"), BUTTON_LABEL_MAX)
                if (c.get("style") == 5) != ("url" in c):
                    out.append("a link button needs a url and style 5, and only it")
            elif c.get("type") == 3:
                if len(items) != 1:
                    out.append("a select must be alone in its row")
                opts = c.get("options") or []
                if not 1 <= len(opts) <= SELECT_OPTIONS_MAX:
                    out.append(f"select has {len(opts)} options (1-{SELECT_OPTIONS_MAX})")
                _max(out, "select placeholder", c.get("placeholder"), SELECT_PLACEHOLDER_MAX)
                for o in opts:
                    for key in ("label", "value", "description"):
                        _max(out, f"select option {key}", o.get(key), SELECT_OPTION_TEXT_MAX)
    return out


def modal_problems(payload: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    _max(out, "modal title", payload.get("title"), MODAL_TITLE_MAX)
    cid = payload.get("custom_id") or ""
    if not 1 <= len(cid) <= CUSTOM_ID_MAX:
        out.append(f"modal custom_id is {len(cid)} chars (1-{CUSTOM_ID_MAX})")
    inputs = [c for c in _walk(payload.get("components") or []) if c.get("type") == 4]
    if not 1 <= len(inputs) <= MODAL_INPUTS_MAX:
        out.append(f"modal has {len(inputs)} inputs (1-{MODAL_INPUTS_MAX})")
    labels = [c for c in _walk(payload.get("components") or []) if c.get("type") == 18]
    for c in inputs + labels:
        _max(out, "input label", c.get("label"), TEXT_INPUT_LABEL_MAX)
    for c in inputs:
        _max(out, "input placeholder", c.get("placeholder"), TEXT_INPUT_PLACEHOLDER_MAX)
        _max(out, "input value", c.get("value"), TEXT_INPUT_VALUE_MAX)
    return out


def choices_problems(choices: Iterable[Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
    choices = list(choices)
    if len(choices) > CHOICES_MAX:
        out.append(f"{len(choices)} choices (max {CHOICES_MAX})")
    for c in choices:
        _max(out, "choice name", c.get("name"), 100)
        if isinstance(c.get("value"), str):
            _max(out, "choice value", c.get("value"), 100)
    return out


def command_problems(commands: Iterable[Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
    for cmd in commands:
        _max(out, "command name", cmd.get("name"), COMMAND_NAME_MAX)
        _max(out, "command description", cmd.get("description"), COMMAND_DESCRIPTION_MAX)
        opts = cmd.get("options") or []
        if len(opts) > OPTIONS_MAX:
            out.append(f"/{cmd.get('name')} has {len(opts)} options (max {OPTIONS_MAX})")
        seen_optional = False
        for o in opts:
            _max(out, "option name", o.get("name"), COMMAND_NAME_MAX)
            _max(out, "option description", o.get("description"), COMMAND_DESCRIPTION_MAX)
            out += choices_problems(o.get("choices") or [])
            if o.get("required") and seen_optional:
                out.append(f"/{cmd.get('name')}: required option {o.get('name')} after an optional one")
            seen_optional = seen_optional or not o.get("required")
    return out


def check_payload(kind: str, payload: Any) -> None:
    """Validate one outgoing payload: kind is message, modal, choices or commands."""
    checker = {
        "message": message_problems,
        "modal": modal_problems,
        "choices": choices_problems,
        "commands": command_problems,
    }[kind]
    problems = checker(payload)
    if not problems:
        return
    if STRICT:
        raise PayloadLimitError(f"{kind} payload breaks Discord limits: " + "; ".join(problems))
    log.error("outgoing %s payload breaks Discord limits: %s", kind, "; ".join(problems))


def _max(out: list[str], what: str, value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        out.append(f"{what} is {len(value)} chars (max {limit})")


def _walk(components: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for c in components:
        yield c
        inner = c.get("components")
        if inner:
            yield from _walk(inner)
        if isinstance(c.get("component"), Mapping):
            yield from _walk([c["component"]])


# Uploads: Discord's default per-file limit (an interaction also states its own in
# `attachment_size_limit`); a picture over it is left out and the text stands alone.
ATTACHMENT_BYTES_MAX = 10 * 1024 * 1024
ATTACHMENT_DESCRIPTION_MAX = 1024

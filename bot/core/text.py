"""Text helpers: safe user text and splitting long text at natural boundaries."""

from __future__ import annotations

import re
import unicodedata

_ZWSP = "\u200b"
_MENTION = re.compile(r"@(everyone|here|channel)", re.IGNORECASE)
_PLATFORM_MENTION = re.compile(r"<(@[!&]?|#|!)([^>]*)>")
_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}


def unreadable(*texts: object) -> bool:
    """True when a text holds a lone surrogate: a JSON escape such as "\\ud800" decodes to one,
    and no database can store it, so such input is refused before any work starts."""
    return any(isinstance(t, str) and any("\ud800" <= ch <= "\udfff" for ch in t) for t in texts)


def clean_user_text(text: str, *, max_length: int) -> str:
    """Normalise text a member typed: strip controls and trim. Does not truncate silently.

    Raises ValueError when it is longer than `max_length` after cleaning.
    """
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _CONTROL).strip()
    if len(text) > max_length:
        raise ValueError(f"is {len(text)} characters; the limit is {max_length}")
    return text


def defuse_mentions(text: str) -> str:
    """Make mention syntax inert on every platform: @everyone, <@id>, <!channel>."""
    text = _MENTION.sub(lambda m: "@" + _ZWSP + m.group(1), text)
    return _PLATFORM_MENTION.sub(lambda m: "<" + _ZWSP + m.group(1) + m.group(2) + ">", text)


def split_text(text: str, limit: int) -> list[str]:
    """Split into chunks of at most `limit` chars, at paragraph, line or word breaks.

    A single word longer than `limit` (a URL, say) is the only thing ever cut.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for sep in ("\n\n", "\n", " "):
            idx = window.rfind(sep, 0, limit + 1)
            if idx > 0:
                cut = idx
                break
        if cut <= 0:
            chunks.append(rest[:limit])
            rest = rest[limit:]
            continue
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return [c for c in chunks if c]


def shorten(text: str, limit: int) -> str:
    """Fit a label or title into `limit` characters: cut at a word break and end with "…".

    Only a single word longer than half the limit is cut inside the word (still with "…").
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    if len(text) <= limit:
        return text
    if limit == 1:
        return "…"
    cut = text[: limit - 1]
    if not text[limit - 1].isspace():
        space = max(cut.rfind(" "), cut.rfind("\n"))
        if space > limit // 2:
            cut = cut[:space]
    return cut.rstrip(" ,.;:-\n\t") + "…"

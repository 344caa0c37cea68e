"""The core's light markdown as Slack mrkdwn, with user and catalogue text made inert.

Everything is escaped first (&, <, >), so text can never form `<!channel>`,
`<@U123>` or a link on its own. Only the core's own markup is turned back into
Slack syntax afterwards: **bold**, *italic*, [text](url) and channel
references written as <#C123>.
"""

from __future__ import annotations

import re

from bot.core.text import defuse_mentions, split_text

SECTION_MAX = 3000

_CHANNEL_REF = re.compile(r"&lt;#([A-Z0-9]{1,20})&gt;")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)|]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_STAR_ITALIC = re.compile(r"(?<![\*\w])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\*\w])")
_BULLET = re.compile(r"^(\s*)[-*] ", re.MULTILINE)
_HEADING = re.compile(r"^#{1,6} +(.+)$", re.MULTILINE)
_BOLD_MARK = "\x00"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """For plain_text fields: no markup is parsed there, so only mentions need defusing."""
    return defuse_mentions(text)


def to_mrkdwn(text: str) -> str:
    out = defuse_mentions(escape(text))
    out = _CHANNEL_REF.sub(r"<#\1>", out)
    out = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", out)
    out = _HEADING.sub(lambda m: f"{_BOLD_MARK}{m.group(1)}{_BOLD_MARK}", out)
    out = _BOLD.sub(lambda m: f"{_BOLD_MARK}{m.group(1)}{_BOLD_MARK}", out)
    out = _STAR_ITALIC.sub(r"_\1_", out)
    out = _BULLET.sub(r"\1• ", out)
    return out.replace(_BOLD_MARK, "*")


def mrkdwn_chunks(text: str, limit: int = SECTION_MAX) -> list[str]:
    """Convert and split so that every converted chunk fits `limit`, cutting only at breaks."""
    out: list[str] = []
    for piece in split_text(text, limit):
        converted = to_mrkdwn(piece)
        if len(converted) <= limit:
            out.append(converted)
            continue
        # escaping can grow the text (& becomes &amp;): split the source finer.
        smaller = max(1, limit * len(piece) // max(len(converted), 1) - 16)
        out.extend(mrkdwn_chunks(piece, smaller) if smaller < len(piece) else [converted[:limit]])
    return [c for c in out if c.strip()]


def shorten(text: str, limit: int) -> str:
    """For labels with a hard limit (button text, modal titles): cut at a word, add an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"

"""The core's light markdown as Slack mrkdwn, with user and catalogue text made inert.

Everything is escaped first (&, <, >), so text can never form `<!channel>`,
`<@U123>` or a link on its own. Only the core's own markup is turned back into
Slack syntax afterwards: **bold**, *italic*, [text](url) and channel
references written as <#C123>. Inline `code` and ```code blocks``` are left as
they are (escaped, never restyled), so `10**9` stays `10**9`.
"""

from __future__ import annotations

import re

from bot.core.text import defuse_mentions, shorten, split_text

__all__ = ["escape", "mrkdwn_chunks", "plain", "shorten", "to_mrkdwn"]

SECTION_MAX = 3000

_CHANNEL_REF = re.compile(r"&lt;#([A-Z0-9]{1,20})&gt;")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)|]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_STAR_ITALIC = re.compile(r"(?<![\*\w])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\*\w])")
_BULLET = re.compile(r"^(\s*)[-*] ", re.MULTILINE)
_HEADING = re.compile(r"^#{1,6} +(.+)$", re.MULTILINE)
_BOLD_MARK = "\x00"
_CODE = re.compile(r"```(?:[A-Za-z0-9_+-]+(?=\n))?(?P<block>.*?)(?:```|\Z)|`(?P<inline>[^`\n]+)`", re.DOTALL)
_SLOT = re.compile("\x01([0-9]+)\x01")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """For plain_text fields: no markup is parsed there, so only mentions need defusing."""
    return defuse_mentions(text)


def to_mrkdwn(text: str) -> str:
    out = defuse_mentions(escape(text))
    code: list[str] = []

    def park(m: re.Match[str]) -> str:
        if m.group("inline") is not None:
            code.append(f"`{m.group('inline')}`")
        else:
            code.append(f"```{m.group('block')}```")
        return f"\x01{len(code) - 1}\x01"

    out = _CODE.sub(park, out.replace("\x01", ""))
    out = _markup(out)
    return _SLOT.sub(lambda m: code[int(m.group(1))], out)


def _markup(out: str) -> str:
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

"""Labels cut at a word with an ellipsis; renderers other than Slack leave code alone;
the console does not say "(optional)" twice."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.console.session import ConsoleSession
from bot.adapters.discord import render as discord_render
from bot.core.identity import MemberKey
from bot.core.replies import Card, Reply, render_text
from bot.core.text import shorten

CODE = "Try `range(10**9)`:\n```\ny = x**2  # *keep*\n```"


@given(st.text(alphabet=st.sampled_from("abc de\nfg,"), max_size=120), st.integers(min_value=2, max_value=80))
def test_shorten_fits_marks_the_cut_and_keeps_a_prefix(text, limit):
    out = shorten(text, limit)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text
        return
    assert out.endswith("…")
    assert text.startswith(out[:-1])


def test_shorten_cuts_at_a_word_break():
    title = "Retrieval-augmented generation with vector databases"
    assert shorten(title, 40) == "Retrieval-augmented generation with…"
    assert shorten("Transformers and attention", 17) == "Transformers and…"


def test_shorten_cuts_a_single_long_word_with_an_ellipsis():
    assert shorten("Supercalifragilistic", 10) == "Supercali…"


def test_discord_and_console_keep_code_as_written():
    reply = Reply(cards=(Card(title="Quiz", body=CODE),))
    (msg,) = discord_render.render(reply, 0)
    assert msg.payload()["embeds"][0]["description"] == CODE
    assert CODE in render_text(reply)


async def test_console_form_says_optional_once(app):
    out = io.StringIO()
    prompts: list[str] = []
    answers = iter(["30", ""])

    def read(prompt: str) -> str | None:
        prompts.append(prompt)
        return next(answers, None)

    session = ConsoleSession(app.engine, MemberKey("console", "local", "gus"), out=out, read_line=read)
    await session.handle("/checkin")
    note_prompt = next(p for p in prompts if "work on" in p)
    assert note_prompt.lower().count("(optional)") == 1
    assert "Logged 30 min" in out.getvalue()

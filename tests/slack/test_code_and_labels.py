"""Slack mrkdwn leaves code alone; labels are cut at a word with an ellipsis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.slack.blocks import render
from bot.adapters.slack.mrkdwn import to_mrkdwn
from bot.core.replies import Button, Card, Reply

CODE_BLOCK = "```\nx = 10**9  # *not italic* and **not bold**\n- not a bullet\n[a](https://x.org)\n```"


def test_inline_code_keeps_its_stars():
    out = to_mrkdwn("What is true of `(x * x for x in range(10**9))`? **Pick one**")
    assert "`(x * x for x in range(10**9))`" in out
    assert "*Pick one*" in out


def test_code_block_is_untouched_apart_from_escaping():
    out = to_mrkdwn(f"Look:\n{CODE_BLOCK}\n- item")
    assert CODE_BLOCK in out
    assert out.endswith("• item")


def test_code_block_language_tag_is_dropped_and_html_escaped():
    out = to_mrkdwn("```python\nif a < b and c**2:\n    pass\n```")
    assert out == "```\nif a &lt; b and c**2:\n    pass\n```"


def test_mentions_inside_code_still_cannot_ping():
    out = to_mrkdwn("`<!channel>` and ```<@U123>```")
    assert "<!" not in out and "<@" not in out


@given(st.text(alphabet="ab*_ -[]()`\n9", max_size=60))
def test_text_inside_backticks_survives(code):
    code = code.replace("`", "").replace("\n", " ").strip()
    if not code:
        return
    out = to_mrkdwn(f"say **this** `{code}` now")
    assert f"`{code}`" in out


def test_button_labels_are_cut_at_a_word_with_an_ellipsis():
    label = "Mark 'Retrieval-augmented generation with vector databases and rerankers' done"
    blocks = render(Reply(cards=(Card(title="t", body="b"),), buttons=(Button(label, "a:b"),))).pages[0]
    texts = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    (shown,) = texts
    assert len(shown) <= 75 and shown.endswith("…")
    assert label.startswith(shown[:-1])
    assert label[len(shown) - 1] == " "

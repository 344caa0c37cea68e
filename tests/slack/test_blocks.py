"""Rendering core replies as Block Kit: markup, escaping, limits and pages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.slack.blocks import form_view, parse_page, render, reply_view
from bot.adapters.slack.mrkdwn import mrkdwn_chunks, to_mrkdwn
from bot.core.replies import Button, Card, Field, Form, FormField, Reply, Select, SelectOption
from tests.slack.conftest import check_blocks, check_view


def test_light_markdown_becomes_mrkdwn():
    out = to_mrkdwn("**Bold** and _it_ and *also it*, see [the paper](https://x.org/a?b=1&c=2)\n- item")
    assert out == "*Bold* and _it_ and _also it_, see <https://x.org/a?b=1&amp;c=2|the paper>\n• item"


def test_user_text_cannot_ping_or_link():
    out = to_mrkdwn("<!channel> <!everyone> <@U123> @here <https://evil|click> a & b")
    assert "<!" not in out and "<@" not in out and "<https" not in out
    assert "&lt;!channel&gt;" in out and "a &amp; b" in out


def test_channel_references_from_the_core_survive():
    assert to_mrkdwn("posted in <#C0READ>") == "posted in <#C0READ>"


def test_long_body_splits_at_word_boundaries_not_truncated():
    body = " ".join(f"word{i}" for i in range(2000))  # ~ 15k chars
    chunks = mrkdwn_chunks(body)
    assert all(len(c) <= 3000 for c in chunks)
    assert " ".join(chunks).split() == body.split()


def test_escaping_growth_still_fits():
    body = "& " * 2000
    assert all(len(c) <= 3000 for c in mrkdwn_chunks(body))


def _long_reply(origin: str | None) -> Reply:
    cards = tuple(
        Card(title=f"Topic {i}", body="text " * 200, fields=(Field("Hours", "3"),)) for i in range(40)
    )
    return Reply(cards=cards, buttons=(Button("Next", "today:show"),), origin=origin)


def test_long_reply_with_origin_gets_page_buttons():
    pages = render(_long_reply("progress:show"))
    assert pages.linked and len(pages.pages) > 1
    for i, blocks in enumerate(pages.pages):
        check_blocks(blocks)
        values = [e.get("value") for b in blocks if b["type"] == "actions" for e in b["elements"]]
        if i + 1 < len(pages.pages):
            assert f"pg:{i + 1}:progress:show" in values
        if i:
            assert f"pg:{i - 1}:progress:show" in values
    text = "".join(str(p) for p in pages.pages)
    assert all(f"Topic {i}" in text for i in range(40))


def test_long_reply_without_origin_is_sent_as_several_messages():
    pages = render(_long_reply(None))
    assert not pages.linked and len(pages.pages) > 1
    for blocks in pages.pages:
        check_blocks(blocks)
    assert "pg:" not in str(pages.pages)
    assert "today:show" in str(pages.pages[-1])


def test_parse_page():
    assert parse_page("pg:3:learn:view:mlops") == (3, "learn:view:mlops")
    assert parse_page("pg:x:learn") is None
    assert parse_page("learn:list") is None


def test_long_labels_and_many_options_fit():
    options = tuple(SelectOption("o" * 90, f"learn:view:{i}", "d" * 90) for i in range(150))
    reply = Reply(
        cards=(Card(title="T" * 200, body="b"),),
        buttons=tuple(Button("label " * 20, f"x:y:{i}") for i in range(7)),
        select=Select("learn:pick", "p" * 200, options),
    )
    blocks = render(reply).pages[0]
    check_blocks(blocks)
    ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(ids) == len(set(ids))
    total = sum(
        len(e["options"]) for b in blocks if b["type"] == "actions" for e in b["elements"] if "options" in e
    )
    assert total == 150


def test_form_is_a_modal_with_a_short_title():
    form = Form(
        "settings:save",
        "A very long title for a settings form",
        (
            FormField("timezone", "Time zone", default="Europe/Berlin"),
            FormField("note", "Note", style="paragraph", required=False),
        ),
    )
    view = form_view(form, {"c": "C1"})
    check_view(view)
    assert len(view["title"]["text"]) <= 24
    assert view["callback_id"] == "settings:save"
    assert view["blocks"][1]["optional"] is True
    assert view["blocks"][1]["element"]["multiline"] is True


def test_reply_view_pages_within_100_blocks():
    check_view(reply_view(_long_reply("progress:show")))


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=7000), st.text(max_size=300))
def test_any_text_renders_within_limits(body: str, title: str):
    reply = Reply(
        cards=(Card(title=title or "t", body=body, footer=body[:500]),),
        text=body[:4000],
        origin="help:show",
    )
    for blocks in render(reply).pages:
        check_blocks(blocks)

"""Rendering keeps within Discord's limits, pages long text at word breaks, and the
central check refuses payloads that break a limit."""

from __future__ import annotations

import pytest

from bot.adapters.discord import limits, render
from bot.core.replies import Button, Card, Field, Reply


def test_long_reply_pages_at_word_breaks_within_limits() -> None:
    words = [f"word{i}" for i in range(4000)]
    reply = Reply(
        cards=(
            Card(
                title="T" * 300,
                body=" ".join(words),
                fields=tuple(Field(f"f{i}", "v" * 1500) for i in range(30)),
            ),
        ),
        buttons=tuple(Button(f"Button {i} " + "x" * 90, f"a:b:{i}") for i in range(40)),
        origin="learn:list",
    )
    first = render.render(reply, 0)[0]
    seen: list[str] = []
    for n in range(first.pages):
        (msg,) = render.render(reply, n)
        payload = msg.payload()
        assert limits.message_problems(payload) == []
        for e in payload["embeds"]:
            seen += (e.get("description") or "").split()
    assert [w for w in seen if w.startswith("word")] == words  # nothing cut or lost


def test_without_origin_pages_become_consecutive_messages() -> None:
    reply = Reply(cards=(Card(title="Long", body="lorem ipsum " * 2000),))
    messages = render.render(reply)
    assert len(messages) > 1
    assert all(limits.message_problems(m.payload()) == [] for m in messages)


def test_check_payload_raises_in_tests() -> None:
    assert limits.STRICT
    with pytest.raises(limits.PayloadLimitError):
        limits.check_payload("message", {"content": "x" * 2001})
    with pytest.raises(limits.PayloadLimitError):
        limits.check_payload("modal", {"title": "t" * 46, "custom_id": "a:b", "components": []})

"""The App Home tab: a dashboard of the member's week focus, /today and /progress (`Engine.dashboard`)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.adapters.slack.blocks import VIEW_BLOCKS, button_element, content_blocks, home_view
from bot.core.engine import Engine
from bot.core.identity import MemberKey
from bot.core.replies import Button, Reply

DASHBOARD_BUTTONS = (
    Button("Check in", "checkin:open", "primary"),
    Button("Today's task", "today:show"),
    Button("Progress", "progress:show"),
    Button("Review", "review:next"),
    Button("Settings", "settings:show"),
)
WELCOME_BUTTONS = (
    Button("Pick a plan", "learn:list:all", "primary"),
    Button("Find my level", "assess:start:ai"),
    Button("What can you do?", "help:show"),
)
WELCOME = (
    "I help you learn AI and ML at your own pace: pick a roadmap with `/learn`, find your level "
    "with `/assess`, and I'll send a short daily check-in and a weekly paper to your DMs. "
    "Your plan, streak and progress will show up here."
)


def _header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=text, emoji=True))


def _actions(buttons: tuple[Button, ...], prefix: str) -> ActionsBlock:
    return ActionsBlock(elements=[button_element(b, f"{prefix}:{i}") for i, b in enumerate(buttons)])


def welcome_blocks() -> list[Block]:
    return [
        _header("Your study dashboard"),
        SectionBlock(text=MarkdownTextObject(text=WELCOME)),
        _actions(WELCOME_BUTTONS, "home"),
    ]


def dashboard_blocks(week: Reply, today: Reply, progress: Reply) -> list[Block]:
    top: list[Block] = [_header("Your study dashboard"), _actions(DASHBOARD_BUTTONS, "home")]
    body: list[Block] = [DividerBlock(), *content_blocks(week), DividerBlock(), *content_blocks(today)]
    body += [DividerBlock(), *content_blocks(progress)]
    room = VIEW_BLOCKS - len(top) - 1
    if len(body) > room:
        body = body[: room - 1]
        if isinstance(body[-1], DividerBlock):
            body.pop()
        body.append(
            ContextBlock(elements=[MarkdownTextObject(text="There's more: run `/progress` to see it all.")])
        )
    return top + body


async def build_home(engine: Engine, member: MemberKey) -> dict[str, Any]:
    board = await engine.dashboard(member)
    if board is None:
        return home_view(welcome_blocks())
    return home_view(dashboard_blocks(board.week, board.today, board.progress))

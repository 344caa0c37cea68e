"""Starts the console session for `python -m bot run console`."""

from __future__ import annotations

from bot.adapters.console.session import ConsoleSession
from bot.core.identity import MemberKey
from bot.runtime import App


async def run_console(app: App) -> None:
    s = app.settings
    member = MemberKey("console", s.console_workspace_id, s.console_user_id)
    await ConsoleSession(app.engine, member).run()

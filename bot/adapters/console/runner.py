"""Starts the console session for `python -m bot run console`."""

from __future__ import annotations

from bot.adapters.console.messenger import ConsoleMessenger
from bot.adapters.console.session import ConsoleSession
from bot.core.identity import MemberKey
from bot.runtime import App
from bot.scheduler.service import start_scheduler


async def run_console(app: App) -> None:
    s = app.settings
    member = MemberKey("console", s.console_workspace_id, s.console_user_id)
    handle = start_scheduler(app, ConsoleMessenger()) if s.scheduler_enabled else None
    try:
        await ConsoleSession(app.engine, member).run()
    finally:
        if handle is not None:
            await handle.stop()

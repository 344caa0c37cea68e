"""Starts the console session for `python -m bot run console`."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path

from bot.adapters.console.session import ConsoleSession, _stdin_line
from bot.core.identity import MemberKey
from bot.ops.shutdown import start_delivery
from bot.runtime import App, PlatformHandle
from bot.scheduler.messengers import MessengerFactory, open_messenger


class StdinPump:
    """Reads input on a daemon thread, so stopping never waits on a blocked read.

    The session asks for lines from a worker thread; `close()` answers that thread
    with end-of-input at once, and the reader thread itself never holds up exit.
    """

    def __init__(self, read: Callable[[str], str | None] = _stdin_line) -> None:
        self._read = read
        self._prompts: queue.Queue[str | None] = queue.Queue()
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._closed = False

    def _loop(self) -> None:
        while (prompt := self._prompts.get()) is not None:
            try:
                line = self._read(prompt)
            except Exception:
                line = None
            self._lines.put(line)

    def read_line(self, prompt: str) -> str | None:
        if self._closed:
            return None
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="console-input", daemon=True)
            self._thread.start()
        self._prompts.put(prompt)
        return self._lines.get()

    def close(self) -> None:
        self._closed = True
        self._prompts.put(None)
        self._lines.put(None)


def _always() -> bool:
    return True


async def run_console(app: App, messenger: MessengerFactory) -> None:
    """The console session; with the scheduler on, due messages go out through `messenger`."""
    s = app.settings
    member = MemberKey("console", s.console_workspace_id, s.console_user_id)
    app.platform = PlatformHandle("console", ready=_always)  # no connection to lose
    pump = StdinPump()
    async with AsyncExitStack() as stack:
        if s.scheduler_enabled:
            opened = await stack.enter_async_context(open_messenger(app, messenger))
            delivery = start_delivery(app, opened)
            stack.push_async_callback(delivery.stop)
        stack.callback(pump.close)
        session = ConsoleSession(app.engine, member, read_line=pump.read_line)
        session.images_dir = Path(s.console_images_dir)
        await session.run()

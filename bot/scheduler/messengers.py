"""Opens the Messenger a one-off delivery (`tick`, the console's scheduler) sends through.

The scheduler sits beside the adapters, not above them, so it never imports one: the
caller (the CLI, which chooses the platform) hands over a factory. A factory is called
with the App and may return a Messenger, an awaitable of one, or an async context
manager that yields one (for messengers that hold a connection).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from bot.core.ports import Messenger

MessengerFactory = Callable[[Any], Any]


class MessengerUnavailable(Exception):
    pass


@asynccontextmanager
async def open_messenger(app: Any, factory: MessengerFactory) -> AsyncIterator[Messenger]:
    made = factory(app)
    if inspect.isawaitable(made):
        made = await made
    if hasattr(made, "__aenter__"):
        async with made as messenger:
            yield messenger
    else:
        yield made

"""Finds the Messenger for a platform without importing any adapter here.

The scheduler sits beside the adapters, not above them, so it names each
platform's factory as "module:attribute" and loads it when needed. A class is
instantiated with no arguments; a function is called with the App and may return
a Messenger, an awaitable of one, or an async context manager that yields one
(for messengers that hold a connection). `SCHEDULER_MESSENGER` overrides the
platform's factory, which is how tests deliver to a local recorder.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.core.ports import Messenger

FACTORIES = {
    "console": "bot.adapters.console.messenger:ConsoleMessenger",
    "discord": "bot.adapters.discord.messenger:open_messenger",
    "slack": "bot.adapters.slack.bolt_app:open_messenger",
}


class MessengerUnavailable(Exception):
    pass


def load(path: str) -> Any:
    module, sep, attr = path.partition(":")
    if not sep or not module or not attr:
        raise MessengerUnavailable(f"{path!r} should look like 'package.module:factory'")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise MessengerUnavailable(f"cannot load {path}: {exc}") from None


@asynccontextmanager
async def open_messenger(app: Any, platform: str) -> AsyncIterator[Messenger]:
    path = app.settings.scheduler_messenger or FACTORIES.get(platform)
    if path is None:
        raise MessengerUnavailable(f"no messenger for platform {platform!r}")
    factory = load(path)
    made = factory() if inspect.isclass(factory) else factory(app)
    if inspect.isawaitable(made):
        made = await made
    if hasattr(made, "__aenter__"):
        async with made as messenger:
            yield messenger
    else:
        yield made

"""Start a listener's work only once Bolt's acknowledgement has been written.

Bolt's asyncio runner checks every 10 ms whether the listener has acknowledged,
while the listener carries on. Work on the same event loop that rarely gives the
loop back (member commands on SQLite run on the loop's own thread) then holds the
HTTP response until it pauses. So the HTTP handler puts a gate in each request's
context and opens it once the response is on its way; listeners wait at the gate
(for `WAIT` seconds at most) right after acknowledging. Requests that arrive over
Socket Mode carry no gate and go straight on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

KEY = "companion_ack_sent"
WAIT = 0.5


def attach(context: MutableMapping[str, Any]) -> asyncio.Event:
    gate = asyncio.Event()
    context[KEY] = gate
    return gate


async def after_ack(context: MutableMapping[str, Any] | None) -> None:
    gate = context.get(KEY) if context is not None else None
    if gate is None:
        return
    try:
        await asyncio.wait_for(gate.wait(), WAIT)
    except TimeoutError:
        pass


async def acknowledge(
    ack: Callable[..., Awaitable[Any]], context: MutableMapping[str, Any], **kwargs: Any
) -> None:
    """`ack(**kwargs)`, then wait until the acknowledgement is on its way to Slack."""
    await ack(**kwargs)
    await after_ack(context)

"""Length-prefixed pickle frames between the bot and the processes it starts (the picture and
claim processes; both ends are ours, so a frame is never read from anyone else)."""

from __future__ import annotations

import asyncio
import os
import pickle
import struct
from pathlib import Path
from typing import Any, BinaryIO

_ROOT = str(Path(__file__).resolve().parents[2])  # the folder that holds the `bot` package

_HEADER = struct.Struct("!I")


def read_frame(stream: BinaryIO) -> Any | None:
    """The next pickled frame, or None at the end of the stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    body = stream.read(size)
    if len(body) < size:
        return None
    return pickle.loads(body)


def write_frame(stream: BinaryIO, item: Any) -> None:
    stream.write(frame(item))
    stream.flush()


async def read_frame_async(reader: asyncio.StreamReader) -> Any | None:
    """`read_frame` for an asyncio stream."""
    try:
        header = await reader.readexactly(_HEADER.size)
        (size,) = _HEADER.unpack(header)
        body = await reader.readexactly(size)
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    return pickle.loads(body)


def frame(item: Any) -> bytes:
    """One frame's bytes, for a writer that sends them itself."""
    body = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


def child_environment() -> dict[str, str]:
    """This process's environment, with the folder that holds `bot` first on the child's path,
    so `python -m bot...` finds this checkout whatever the working directory."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH", "")) if p)
    return env

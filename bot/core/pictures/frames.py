"""Length-prefixed pickle frames between the bot and its picture process (both ours: a frame
is never read from anyone else)."""

from __future__ import annotations

import pickle
import struct
from typing import Any, BinaryIO

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
    body = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()

"""The picture process: `python -m bot.core.pictures.child`, started by `process.PictureProcess`.

It reads `(id, spec)` frames on stdin and answers `(id, True, png)` or `(id, False, reason)` on
stdout, in the order the specs arrive, and exits when stdin closes (its bot stopped or died).
A reader thread keeps stdin drained while a picture is being drawn, so the bot never blocks
writing to a full pipe.
"""

from __future__ import annotations

import os
import queue
import signal
import sys
import threading
from typing import Any

from bot.core.frames import read_frame, write_frame


def warm() -> None:
    """Draws each sample picture once: Pillow imported, the font loaded, common labels cached."""
    from bot.core.pictures import samples
    from bot.core.pictures.render import drawer_for

    specs = (samples.heatmap_spec(), samples.burnup_spec(), samples.skill_spec(), samples.community_counts())
    for spec in specs:
        drawer_for(spec)(spec)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the bot ends this
    # Frames go out on a copy of fd 1; anything else that prints lands on stderr, not in a frame.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    source = sys.stdin.buffer
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def read() -> None:
        while (frame := read_frame(source)) is not None:
            inbox.put(frame)
        inbox.put(None)

    threading.Thread(target=read, name="picture-inbox", daemon=True).start()
    from bot.core.pictures.render import drawer_for

    warm()
    while (item := inbox.get()) is not None:
        ident, spec = item
        try:
            answer = (ident, True, drawer_for(spec)(spec))
        except Exception as exc:  # reported to the bot, which logs it and drops that picture
            answer = (ident, False, f"{type(exc).__name__}: {exc}")
        try:
            write_frame(out, answer)
        except (BrokenPipeError, OSError):
            return


if __name__ == "__main__":
    main()

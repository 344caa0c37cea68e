"""`python -m tests.ops.bot_with_slow_recorder <bot arguments>`: the bot's command line,
delivering to the slow recorder (`recorder.open_slow_recorder`)."""

from __future__ import annotations

import sys

from bot.cli import main
from tests.ops.recorder import open_slow_recorder

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], messenger=open_slow_recorder))

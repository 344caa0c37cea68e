"""`python -m tests.fakes.bot_with_recorder <bot arguments>`: the bot's command line, delivering
to the local recorder (`messenger_fake.open_recorder`) instead of a real platform."""

from __future__ import annotations

import sys

from bot.cli import main
from tests.fakes.messenger_fake import open_recorder

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], messenger=open_recorder))

import faulthandler

from bot.cli import main

faulthandler.enable()  # a crash inside a C extension (sqlite3, Pillow) still leaves every thread's stack

raise SystemExit(main())

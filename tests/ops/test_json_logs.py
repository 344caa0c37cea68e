"""LOG_FORMAT=json: every line on the log stream is one JSON object, secrets scrubbed."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.config import Settings
from bot.logs import setup_logging

SECRET = "xoxb-very-secret-token-123"


@pytest.fixture
def restore_root_logger():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_every_line_is_a_json_record_with_secrets_redacted(restore_root_logger):
    out = io.StringIO()
    setup_logging(Settings(_env_file=None, log_format="json", slack_bot_token=SECRET), stream=out)
    log = logging.getLogger("bot.test")
    log.info("plain")
    log.warning("with %s and %d", "args", 3)
    log.info('two\nlines, quotes " and unicode ✓')
    log.error("token is %s", SECRET)
    try:
        raise ValueError(f"boom {SECRET}")
    except ValueError:
        log.exception("failed")
    logging.getLogger("apscheduler.scheduler").warning("from a library")
    lines = out.getvalue().splitlines()
    assert len(lines) == 6
    records = [json.loads(line) for line in lines]
    assert {"ts", "level", "logger", "msg"} <= set(records[0])
    assert records[1]["msg"] == "with args and 3"
    assert records[2]["msg"].startswith("two\nlines")
    assert SECRET not in out.getvalue() and "[redacted]" in records[3]["msg"]
    assert "ValueError" in records[4]["exc"] and records[4]["level"] == "ERROR"
    assert records[5]["logger"] == "apscheduler.scheduler"


def test_text_format_is_the_default(restore_root_logger):
    out = io.StringIO()
    setup_logging(Settings(_env_file=None), stream=out)
    logging.getLogger("bot.test").warning("hello")
    assert out.getvalue().rstrip().endswith("WARNING bot.test: hello")

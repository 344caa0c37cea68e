"""Real-looking tokens never reach log output, tracebacks or replies."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from bot.adapters.slack.client import make_client
from bot.adapters.slack.messenger import SlackMessenger
from bot.config import Settings
from bot.core.identity import MemberKey
from bot.core.ports import PermanentDeliveryError
from bot.core.replies import Card, Reply, render_text
from bot.logs import setup_logging
from tests.fakes.slack_fake import TEAM_ID, FakeSlack
from tests.slack.conftest import sign, start_harness

DISCORD_TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GhIjKl.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ab"
BOT_TOKEN = "xoxb-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"
APP_TOKEN = (
    "xapp-1-A0123456789-1234567890123-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)
CLIENT_SECRET = "3c59dc048e8850243be8079a5c74d079"
SECRETS = (DISCORD_TOKEN, BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, CLIENT_SECRET)
LOGGERS = ("", "bot", "discord", "slack_bolt", "slack_sdk", "aiohttp", "sqlalchemy")


def secret_settings(url: str, **extra) -> dict:
    return {
        "database_url": url,
        "discord_token": DISCORD_TOKEN,
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_app_token": APP_TOKEN,
        "slack_client_secret": CLIENT_SECRET,
        **extra,
    }


@pytest.fixture(params=["text", "json"])
def captured(request, tmp_path) -> Iterator[io.StringIO]:
    """Everything logged, through the project's own logging set-up, at DEBUG everywhere."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in LOGGERS})
    buf = io.StringIO()
    url = f"sqlite+aiosqlite:///{tmp_path}/t.db"
    setup_logging(Settings(_env_file=None, log_format=request.param, **secret_settings(url)), stream=buf)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield buf
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a secret ({secret[:6]}…) reached the output"


async def test_no_secret_reaches_the_logs(captured: io.StringIO, db_url, monkeypatch) -> None:
    slack_db = db_url
    fake = await FakeSlack().start()
    try:
        overrides = {k: v for k, v in secret_settings(slack_db).items() if k != "database_url"}
        slack, stop = await start_harness(slack_db, fake, **overrides)
        try:

            def form(command: str, text: str) -> str:
                return urlencode(
                    {
                        "team_id": TEAM_ID,
                        "user_id": "U1",
                        "command": command,
                        "text": text,
                        "channel_id": "C0GENERAL",
                        "response_url": fake.response_url(command.strip("/")),
                        "trigger_id": "t",
                    }
                )

            kind = "application/x-www-form-urlencoded"
            for command, text in (
                ("/help", ""),
                ("/checkin", f"30 {BOT_TOKEN} @everyone"),
                ("/settings", "x"),
            ):
                body = form(command, text)
                status, answer = await slack.post(body, kind, sign(body, secret=SIGNING_SECRET))
                assert status == 200
                assert_clean(answer)
            body = form("/help", "")
            status, _ = await slack.post(body, kind, sign(body, secret="not-the-secret"))
            assert status == 401

            # An exception inside a command, whose message carries a token.
            async def broken(call, *args, **kwargs):
                raise RuntimeError(f"upstream said: bad auth {BOT_TOKEN} / {DISCORD_TOKEN}")

            monkeypatch.setitem(slack.app.engine._commands, "help", broken)
            reply = await slack.app.engine.command(MemberKey("slack", TEAM_ID, "U1"), "help")
            assert reply.error
            assert_clean(render_text(reply))

            # A DM that fails for good.
            client = make_client(BOT_TOKEN, fake.api_url)
            try:
                fake.fail("chat.postMessage", "user_not_found")
                with pytest.raises(PermanentDeliveryError) as failed:
                    await SlackMessenger.single(client).send_dm(
                        MemberKey("slack", TEAM_ID, "U1"),
                        Reply(cards=(Card(title="hi"),)),
                        key="k",
                        dm_channel_id="D1",
                    )
                logging.getLogger("bot.scheduler.dispatcher").warning(
                    "delivery failed: %s", failed.value, exc_info=failed.value
                )
                assert_clean(str(failed.value))
            finally:
                if client.session is not None:
                    await client.session.close()
        finally:
            await stop()
    finally:
        await fake.close()

    # Secrets passed as arguments, in messages and in tracebacks.
    log = logging.getLogger("bot.test")
    log.debug("Authorization: Bot %s", DISCORD_TOKEN)
    log.info("app token %(t)s", {"t": APP_TOKEN})
    log.warning(f"client secret {CLIENT_SECRET} and signing secret {SIGNING_SECRET}")
    try:
        raise ValueError(f"token={BOT_TOKEN}")
    except ValueError:
        log.exception("wrapped")
    out = captured.getvalue()
    assert "wrapped" in out and "Authorization: Bot" in out
    assert "[redacted]" in out
    assert_clean(out)
    if "{" in out.splitlines()[0]:
        for line in out.splitlines():
            json.loads(line)

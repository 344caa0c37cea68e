"""Socket Mode: connect through apps.connections.open to a local websocket, then run a command."""

from __future__ import annotations

from bot.adapters.slack.runner import prepare, start_socket_mode
from bot.core.clock import FrozenClock
from bot.runtime import build_app
from tests.fakes.slack_fake import TEAM_ID, FakeSlack
from tests.slack.conftest import START, catalog, check_blocks, slack_settings


async def test_socket_mode_connects_and_serves_a_slash_command(slack_db, fake: FakeSlack):
    settings = slack_settings(slack_db, fake, slack_signing_secret=None, slack_app_token="xapp-1-test")
    app = build_app(settings, clock=FrozenClock(START), catalog=catalog())
    runtime = prepare(app, socket_mode=True)
    handler = await start_socket_mode(runtime, "xapp-1-test")
    try:
        opened = fake.find("apps.connections.open")
        assert opened and opened[0].token == "xapp-1-test"
        await fake.wait_for(lambda: fake._sockets)
        await fake.push_envelope(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "team_id": TEAM_ID,
                    "user_id": "U1",
                    "command": "/help",
                    "text": "",
                    "channel_id": "C0GENERAL",
                    "response_url": fake.response_url("help"),
                    "trigger_id": "trigger-help",
                    "api_app_id": "A0APP",
                },
            }
        )
        acks = await fake.wait_for(lambda: fake.socket_acks)
        assert acks[0]["envelope_id"] == "env-1"
        replies = await fake.wait_for(lambda: fake.responses)
        check_blocks(replies[0]["blocks"])
        assert "/learn" in str(replies[0])
        assert app.platform.messenger.platform == "slack"
    finally:
        await handler.close_async()
        await app.close()

"""Multi-workspace mode: OAuth v2 install, per-workspace tokens, uninstall cleanup."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import text

from tests.fakes.slack_fake import TEAM_ID, FakeSlack
from tests.slack.conftest import SlackHarness, start_harness


async def rows(slack: SlackHarness, table: str) -> int:
    async with slack.app.db.connect() as conn:
        return (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()


async def install(slack: SlackHarness) -> None:
    base = slack.url.removesuffix("/slack/events")
    async with slack.http.get(f"{base}/slack/install", allow_redirects=False) as resp:
        assert resp.status in (200, 302)
        page = await resp.text()
        cookie = resp.headers["Set-Cookie"].split(";")[0]
    state = re.search(r"state=([\w-]+)", page or resp.headers.get("Location", "")).group(1)
    assert await rows(slack, "slack_oauth_states") == 1
    async with slack.http.get(
        f"{base}/slack/oauth_redirect", params={"code": "code-1", "state": state}, headers={"Cookie": cookie}
    ) as resp:
        assert resp.status == 200, await resp.text()
    assert slack.fake.find("oauth.v2.access")[0].args["code"] == "code-1"


async def test_install_then_commands_use_the_installed_token_then_uninstall(slack_db, fake: FakeSlack):
    slack, stop = await start_harness(
        slack_db, fake, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="client-secret"
    )
    try:
        await install(slack)
        assert await rows(slack, "slack_installations") == 1
        assert await rows(slack, "slack_bots") == 1
        assert await rows(slack, "slack_oauth_states") == 0

        fake.clear()
        status, _ = await slack.command("progress")
        assert status == 200
        await fake.wait_for(lambda: fake.responses)
        info = fake.find("users.info")[0]
        assert info.token == fake.oauth_token

        messenger = slack.app.platform.messenger
        from bot.core.identity import MemberKey
        from bot.core.replies import Reply

        await messenger.send_dm(
            MemberKey("slack", TEAM_ID, "U1"), Reply(text="hi"), key="k", dm_channel_id="D1"
        )
        assert fake.find("chat.postMessage")[-1].token == fake.oauth_token

        status, _ = await slack.event({"type": "app_uninstalled"}, event_id="EvGone")
        assert status == 200
        for _ in range(300):  # the cleanup runs just after the acknowledgement
            if await rows(slack, "slack_installations") == 0:
                break
            await asyncio.sleep(0.01)
        assert await rows(slack, "slack_installations") == 0
        assert await rows(slack, "slack_bots") == 0
    finally:
        await stop()


async def test_requests_from_workspaces_without_an_installation_are_refused(slack_db, fake: FakeSlack):
    slack, stop = await start_harness(
        slack_db, fake, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="client-secret"
    )
    try:
        status, _ = await slack.command("progress")
        assert status == 200  # Bolt answers with a friendly message that the app isn't installed
        reply = await fake.wait_for(lambda: fake.responses)
        assert "reinstall" in reply[0]["text"]
        assert fake.find("users.info") == []
    finally:
        await stop()

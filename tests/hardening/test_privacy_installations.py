"""/privacy covers what the Slack installation store keeps about a member who installed the
app: the export shows it (tokens masked) and delete clears it, leaving the bot's own install."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import text

from bot.core.features.privacy.handlers import export_member
from bot.core.identity import MemberKey
from bot.runtime import App

INSTALLER = MemberKey("slack", "T0PRIV", "U0INSTALLER")
USER_TOKEN = "xoxp-1234567890-secret-user-token-abcd"


async def add_install(app: App, user_id: str) -> None:
    async with app.sessions() as s, s.begin():
        await s.execute(
            text(
                "INSERT INTO slack_installations (client_id, app_id, team_id, bot_token, user_id, "
                "user_token, user_scopes, is_enterprise_install, installed_at) VALUES "
                "('C1', 'A1', 'T0PRIV', 'xoxb-bot', :user, :token, 'identify', false, :at)"
            ),
            {
                "user": user_id,
                "token": USER_TOKEN,
                "at": datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None),
            },
        )


async def installs(app: App) -> list[dict]:
    async with app.sessions() as s:
        rows = await s.execute(
            text("SELECT user_id, user_token, user_scopes, bot_token FROM slack_installations")
        )
        return [dict(r._mapping) for r in rows]


async def test_export_includes_the_installer_row_with_the_token_masked(app: App) -> None:
    await app.engine.command(INSTALLER, "progress")
    await add_install(app, INSTALLER.user_id)
    await add_install(app, "U0SOMEONEELSE")
    async with app.sessions() as s:
        data = await export_member(s, INSTALLER, app.catalog)
    assert data is not None
    [row] = data["slack_installations"]
    assert row["user_id"] == INSTALLER.user_id and row["user_scopes"] == "identify"
    assert row["user_token"] == "xoxp-…abcd"
    assert USER_TOKEN not in json.dumps(data, default=str)


async def test_delete_clears_the_installer_and_keeps_the_bot_install(app: App) -> None:
    await app.engine.command(INSTALLER, "progress")
    await add_install(app, INSTALLER.user_id)
    await add_install(app, "U0SOMEONEELSE")
    reply = await app.engine.action(INSTALLER, "privacy:delete:confirm")
    assert not reply.error
    rows = await installs(app)
    assert sorted(r["user_id"] for r in rows) == ["", "U0SOMEONEELSE"]
    mine = next(r for r in rows if r["user_id"] == "")
    assert mine["user_token"] is None and mine["user_scopes"] is None and mine["bot_token"] == "xoxb-bot"
    other = next(r for r in rows if r["user_id"] == "U0SOMEONEELSE")
    assert other["user_token"] == USER_TOKEN

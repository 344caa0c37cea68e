"""The OAuth2 URL that adds the bot to a server with just the permissions it uses."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

import discord

from bot.config import Settings

SCOPES = ("bot", "applications.commands")
PERMISSIONS = discord.Permissions(
    send_messages=True,
    embed_links=True,
    attach_files=True,
    create_public_threads=True,
    send_messages_in_threads=True,
    read_message_history=True,
    use_application_commands=True,
)


def application_id_from_token(token: str) -> str:
    """A bot token starts with the base64 of the bot's user id, which is the application id."""
    head = token.split(".", 1)[0]
    try:
        raw = base64.b64decode(head + "=" * (-len(head) % 4), altchars=b"-_", validate=False).decode()
    except (binascii.Error, UnicodeDecodeError):
        raw = ""
    if not raw.isdigit():
        raise SystemExit("DISCORD_TOKEN does not look like a bot token; copy it again from the portal.")
    return raw


def invite_url(settings: Settings) -> str:
    if not settings.discord_configured:
        raise SystemExit("Set DISCORD_TOKEN first (see docs/discord.md).")
    assert settings.discord_token is not None
    client_id = application_id_from_token(settings.discord_token.get_secret_value())
    query = urlencode(
        {"client_id": client_id, "scope": " ".join(SCOPES), "permissions": str(PERMISSIONS.value)}
    )
    return f"https://discord.com/oauth2/authorize?{query}"

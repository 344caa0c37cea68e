"""Slack adapter (slack-bolt): slash commands, Block Kit, App Home and DMs."""

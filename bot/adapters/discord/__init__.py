"""Discord adapter (discord.py): slash commands, embeds, components, modals and DMs."""

"""The platform-neutral engine. Never imports a chat platform library."""

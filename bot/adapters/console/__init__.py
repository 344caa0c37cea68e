"""The local terminal adapter: the same commands as the chat platforms, choices by number."""

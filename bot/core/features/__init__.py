"""One package per feature: its command specs, handlers and actions, added by `register(registry)`."""

"""One module per feature. Each exposes COMMANDS and ACTIONS tables the engine routes to."""

"""Study companion bot: the engine, the scheduler and the platform adapters."""

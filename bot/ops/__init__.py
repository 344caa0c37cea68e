"""Operations: health and metrics over HTTP, delivery instrumentation and graceful shutdown.

Nothing here is imported by the core; runners and the CLI wire it in.
"""

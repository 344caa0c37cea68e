"""Optional live paper source: recent arXiv listings, cached in storage.

Off by default (PAPERS_LIVE=off). It does network I/O, so it lives outside the
core; the core only reads the cache (see bot.core.services.arxiv_picks).
"""

from bot.papers_live.source import RefreshResult, refresh, refresh_if_due

__all__ = ["RefreshResult", "refresh", "refresh_if_due"]

"""The Web API client: base URL from SLACK_API_URL and 429s retried after Retry-After."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient


def api_base(url: str) -> str:
    """slack_sdk joins method names onto base_url, so it must end in '/'."""
    return url if url.endswith("/") else url + "/"


def make_client(token: str | None, api_url: str, timeout: int = 30) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=api_base(api_url),
        timeout=timeout,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )

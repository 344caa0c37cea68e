"""The Web API client: base URL from SLACK_API_URL and 429s retried after Retry-After.

Interactive replies also retry once after a connection error. Scheduled posts do not
(`scheduled_client`): Slack may have accepted a post before the connection dropped, and
a blind retry would show the member the message twice.
"""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient


def api_base(url: str) -> str:
    """slack_sdk joins method names onto base_url, so it must end in '/'."""
    return url if url.endswith("/") else url + "/"


_SCHEDULED_ATTR = "_study_scheduled_twin"


def scheduled_client(client: AsyncWebClient) -> AsyncWebClient:
    """A twin of `client` (same token, URL and session) whose only retry is after a 429."""
    twin = getattr(client, _SCHEDULED_ATTR, None)
    if isinstance(twin, AsyncWebClient) and twin.token == client.token:
        return twin
    twin = AsyncWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        session=client.session,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    setattr(client, _SCHEDULED_ATTR, twin)
    return twin


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

"""Fetching category listings from the arXiv API, one polite request at a time."""

from __future__ import annotations

from urllib.parse import urlencode

import aiohttp

from bot.papers_live.feed import ArxivRecord, FeedError, parse
from bot.papers_live.gate import RateGate

USER_AGENT = "ai-study-companion/1.0 (weekly paper picks; polite API use)"


class FetchError(Exception):
    """The listing could not be fetched or parsed; the reason is safe to log."""


class ArxivClient:
    def __init__(
        self,
        base_url: str,
        *,
        gate: RateGate | None = None,
        timeout: float = 20.0,
        max_results: int = 50,
    ) -> None:
        self.base_url = base_url
        self.gate = gate or RateGate()
        self.timeout = timeout
        self.max_results = max_results

    def url(self, category: str) -> str:
        query = {
            "search_query": f"cat:{category}",
            "sortBy": "submittedDate",
            "sortOrder": "descending",
            "start": "0",
            "max_results": str(self.max_results),
        }
        return f"{self.base_url}?{urlencode(query)}"

    async def listing(self, http: aiohttp.ClientSession, category: str) -> list[ArxivRecord]:
        await self.gate.wait()
        try:
            async with http.get(
                self.url(category),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={"User-Agent": USER_AGENT},
            ) as resp:
                if resp.status != 200:
                    raise FetchError(f"HTTP {resp.status} for {category}")
                body = await resp.read()
        except TimeoutError as exc:
            raise FetchError(f"timed out after {self.timeout:g}s for {category}") from exc
        except aiohttp.ClientError as exc:
            raise FetchError(f"{type(exc).__name__} for {category}") from exc
        try:
            return parse(body)
        except FeedError as exc:
            raise FetchError(f"{exc} for {category}") from exc


async def fetch_all(client: ArxivClient, categories: list[str]) -> tuple[list[list[ArxivRecord]], list[str]]:
    """Listings per category, and the reasons for the ones that failed."""
    batches: list[list[ArxivRecord]] = []
    failures: list[str] = []
    async with aiohttp.ClientSession() as http:
        for category in categories:
            try:
                batches.append(await client.listing(http, category))
            except FetchError as exc:
                failures.append(str(exc))
    return batches, failures

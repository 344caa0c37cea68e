"""A local stand-in for the arXiv API: serves the recorded Atom fixtures on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class FakeArxiv:
    """`modes[category]`: ok (default), empty, malformed, api-error, http-500, http-503, slow."""

    url: str = ""
    modes: dict[str, str] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        query = dict(request.query)
        self.requests.append(query)
        category = query.get("search_query", "").removeprefix("cat:")
        mode = self.modes.get(category, "ok")
        if mode.startswith("http-"):
            return web.Response(status=int(mode[5:]), text="Service temporarily unavailable")
        if mode == "slow":
            await asyncio.sleep(1.0)
        name = {
            "empty": "arxiv_empty.xml",
            "malformed": "arxiv_malformed.xml",
            "api-error": "arxiv_error.xml",
        }.get(mode, f"arxiv_{category.replace('.', '_')}.xml")
        if not (FIXTURES / name).exists():
            name = "arxiv_empty.xml"
        return web.Response(body=fixture(name), content_type="application/atom+xml")


@asynccontextmanager
async def serve_fake_arxiv() -> AsyncIterator[FakeArxiv]:
    fake = FakeArxiv()
    app = web.Application()
    app.router.add_get("/api/query", fake.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    fake.url = f"http://{host}:{port}/api/query"
    try:
        yield fake
    finally:
        await runner.cleanup()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/query"

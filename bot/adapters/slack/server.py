"""The aiohttp server for HTTP mode: events at /slack/events, OAuth install and redirect."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.adapters.slack.bolt_app import EVENTS_PATH


def signed(verifier: SignatureVerifier, body: str, headers: Mapping[str, str]) -> bool:
    """Checked before Bolt parses anything, so a malformed unsigned body or timestamp is a
    plain 401 rather than an exception inside Bolt."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    # isdigit() alone lets "²" through, which int() then refuses.
    if not (timestamp.isascii() and timestamp.isdigit()) or not signature:
        return False
    return verifier.is_valid(body, timestamp, signature)


def web_app(bolt: AsyncApp, signing_secret: str | None = None) -> web.Application:
    verifier = SignatureVerifier(signing_secret) if signing_secret else None

    async def events(request: web.Request) -> web.Response:
        try:
            body = (await request.read()).decode(request.charset or "utf-8")
        except (UnicodeDecodeError, LookupError):
            # Slack sends UTF-8; bytes that don't decode (or an unknown charset) can't be signed by it.
            return web.json_response({"error": "invalid request"}, status=401 if verifier else 400)
        if verifier is not None and not signed(verifier, body, request.headers):
            return web.json_response({"error": "invalid request"}, status=401)
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def install(request: web.Request) -> web.Response:
        flow = bolt.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

    async def redirect(request: web.Request) -> web.Response:
        flow = bolt.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    async def health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(EVENTS_PATH, events)
    app.router.add_get("/healthz", health)
    if bolt.oauth_flow is not None:
        app.router.add_get(bolt.oauth_flow.install_path, install)
        app.router.add_get(bolt.oauth_flow.redirect_uri_path, redirect)
    return app

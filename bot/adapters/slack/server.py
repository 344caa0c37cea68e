"""The aiohttp server for HTTP mode: events at /slack/events, OAuth install and redirect.

Before Bolt sees a request it is checked here, so nothing from outside can make a
handler raise: the signature (with a sane timestamp), then the body's shape (`shape_error`).
A refused request gets a 4xx and one log line. A command or interaction delivered
again (the same `trigger_id` under the same signature: a replay, or a retry marked with
X-Slack-Retry-Num) is acknowledged and otherwise ignored, so a replayed `/checkin 30`
logs 30 minutes once. Each process remembers what it handled for longer than Slack's
five-minute signature window, past which a replay is refused anyway.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.adapters.slack.bolt_app import EVENTS_PATH
from bot.core.recent import RecentKeys

log = logging.getLogger(__name__)

# Unix seconds fit in 10 digits until 2286; a longer "timestamp" is not Slack's.
MAX_TIMESTAMP_DIGITS = 12


def signed(verifier: SignatureVerifier, body: str, headers: Mapping[str, str]) -> bool:
    """Checked before Bolt parses anything, so a malformed unsigned body or timestamp is a
    plain 401 rather than an exception inside Bolt."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    # isdigit() alone lets "²" through, which int() then refuses; hundreds of digits overflow
    # the float the age check makes of it.
    if not (timestamp.isascii() and timestamp.isdigit()) or not signature:
        return False
    if len(timestamp) > MAX_TIMESTAMP_DIGITS:
        return False
    return verifier.is_valid(body, timestamp, signature)


def _form(body: str) -> dict[str, str] | None:
    try:
        parsed = parse_qs(body, keep_blank_values=True, strict_parsing=bool(body))
    except ValueError:
        return None
    return {k: v[0] for k, v in parsed.items()}


def shape_error(body: str, content_type: str) -> tuple[str | None, str | None]:
    """(what is wrong with the body, or None; the trigger_id when it has one)."""
    if content_type == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            return "body is not JSON", None
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            return "JSON body without a type", None
        return None, None
    if content_type not in ("application/x-www-form-urlencoded", ""):
        return f"unexpected content type {content_type}", None
    if body.lstrip().startswith(("{", "[")):
        return "JSON where a form was expected", None
    form = _form(body)
    if form is None:
        return "body is not a form", None
    if "payload" in form:
        try:
            payload: Any = json.loads(form["payload"])
        except ValueError:
            return "payload is not JSON", None
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            return "payload without a type", None
        if payload["type"].startswith("view_") and not isinstance(payload.get("view"), dict):
            return "view payload without a view", None
        trigger = payload.get("trigger_id")
        return None, trigger if isinstance(trigger, str) and trigger else None
    if "command" in form:
        if not form["command"].startswith("/"):
            return "command without a slash", None
        return None, form.get("trigger_id") or None
    if "ssl_check" in form:
        return None, None
    return "form is neither a command nor an interaction", None


def web_app(bolt: AsyncApp, signing_secret: str | None = None) -> web.Application:
    verifier = SignatureVerifier(signing_secret) if signing_secret else None
    handled = RecentKeys()

    async def events(request: web.Request) -> web.Response:
        try:
            body = (await request.read()).decode(request.charset or "utf-8")
        except (UnicodeDecodeError, LookupError):
            # Slack sends UTF-8; bytes that don't decode (or an unknown charset) can't be signed by it.
            return web.json_response({"error": "invalid request"}, status=401 if verifier else 400)
        if verifier is not None and not signed(verifier, body, request.headers):
            log.info("refused a Slack request: missing or invalid signature")
            return web.json_response({"error": "invalid request"}, status=401)
        problem, trigger = shape_error(body, request.content_type)
        if problem is not None:
            log.warning("refused a signed Slack request: %s", problem)
            return web.json_response({"error": "malformed request"}, status=400)
        signature = request.headers.get("X-Slack-Signature", "")
        if trigger is not None and handled.seen_before(f"{trigger}|{signature}"):
            log.info(
                "ignored a repeated Slack request (trigger already handled, retry %s)",
                request.headers.get("X-Slack-Retry-Num", "-"),
            )
            return web.Response(status=200)
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

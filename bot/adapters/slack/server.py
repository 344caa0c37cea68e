"""The aiohttp server for HTTP mode: events at /slack/events, OAuth install and redirect."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.adapters.slack.bolt_app import EVENTS_PATH


def web_app(bolt: AsyncApp) -> web.Application:
    async def events(request: web.Request) -> web.Response:
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

"""A small fake Discord: REST API and gateway websocket on 127.0.0.1, ephemeral port.

It speaks just enough of Discord for the real discord.py client: login, gateway
(HELLO, IDENTIFY, heartbeats, READY with a local resume_gateway_url, GUILD_CREATE),
command sync, interaction callbacks, webhook followups and edits, DM channels,
channel messages and threads. Every REST call is recorded. Tests push
INTERACTION_CREATE events and can make chosen routes answer 429, 5xx or an error.

Message creates honour `nonce` + `enforce_nonce` like Discord: within `nonce_window`
seconds the same nonce in a channel returns the message already created instead of a
new one (set it to 0 to model a resend past the window). `hang_after_accept` makes the
next creates store the message and then never answer (a crash or timeout mid-send), and
`GET /channels/{id}/messages` serves each channel's recent messages. `visible` lists
every message a member would see, duplicates included.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = "900000000000000001"
GUILD_ID = "910000000000000001"
CHANNEL_ID = "920000000000000001"
ADMIN_PERMISSIONS = str((1 << 5) | (1 << 11) | (1 << 31))
MEMBER_PERMISSIONS = str((1 << 11) | (1 << 31))
BOT_USER = {
    "id": APP_ID,
    "username": "companion",
    "discriminator": "0",
    "global_name": "Study Companion",
    "avatar": None,
    "bot": True,
    "flags": 0,
}


def user(user_id: str, name: str = "learner") -> dict[str, Any]:
    return {"id": user_id, "username": name, "discriminator": "0", "global_name": name, "avatar": None}


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py needs exactly "application/json" (json_response adds a charset).
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    files: list[tuple[str, bytes]] = field(default_factory=list)
    # (form field name, filename, content type) of each uploaded part, as discord.py sends them
    parts: list[tuple[str, str, str]] = field(default_factory=list)

    def route(self) -> str:
        return f"{self.method} {self.path}"


CALL = web.RequestKey("call", Call)


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: Any
    headers: dict[str, str]
    times: int


class FakeDiscord:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.interactions: dict[str, dict[str, Any]] = {}  # token -> interaction
        self.originals: dict[str, str] = {}  # token -> original message id
        self.faults: list[Fault] = []
        self.sockets: list[web.WebSocketResponse] = []
        self.identifies: list[dict[str, Any]] = []
        self.identified = asyncio.Event()
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.token = "fake-token"
        self.nonce_window = 300.0
        self.hang_after_accept = 0
        self.accepted = asyncio.Event()
        self.visible: list[dict[str, Any]] = []  # every message created in a channel, in order
        self._nonces: dict[tuple[str, str], tuple[float, str]] = {}
        # Roles, as Discord checks them on a grant: the bot may manage roles only with Manage
        # Roles (or Administrator) and only below its own highest role; otherwise 403, 50013.
        self.roles: dict[str, dict[str, Any]] = {
            GUILD_ID: _role(GUILD_ID, "@everyone", 0, MEMBER_PERMISSIONS)
        }
        self.bot_roles: list[str] = []
        self.member_roles: dict[str, set[str]] = {}
        self.threads: dict[str, dict[str, Any]] = {}

    # -- lifecycle ----------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/gateway", self._ws)
        app.router.add_get("/gateway/", self._ws)
        r = app.router
        api = "/api/v10"
        r.add_get(api + "/users/@me", self._me)
        r.add_get(api + "/oauth2/applications/@me", self._app_info)
        r.add_get(api + "/gateway", self._gateway)
        r.add_get(api + "/gateway/bot", self._gateway_bot)
        r.add_put(api + "/applications/{app}/commands", self._put_commands)
        r.add_get(api + "/applications/{app}/commands", self._get_commands)
        r.add_put(api + "/applications/{app}/guilds/{guild}/commands", self._put_commands)
        r.add_get(api + "/applications/{app}/guilds/{guild}/commands", self._get_commands)
        r.add_post(api + "/interactions/{iid}/{token}/callback", self._callback)
        r.add_post(api + "/webhooks/{app}/{token}", self._followup)
        r.add_patch(api + "/webhooks/{app}/{token}/messages/{mid}", self._edit_webhook_message)
        r.add_get(api + "/webhooks/{app}/{token}/messages/{mid}", self._get_webhook_message)
        r.add_post(api + "/users/@me/channels", self._open_dm)
        r.add_post(api + "/channels/{cid}/messages", self._create_message)
        r.add_get(api + "/channels/{cid}/messages", self._channel_history)
        r.add_post(api + "/channels/{cid}/messages/{mid}/threads", self._create_thread)
        r.add_post(api + "/channels/{cid}/threads", self._create_thread_alone)
        r.add_put(api + "/channels/{cid}/thread-members/{uid}", self._add_thread_member)
        r.add_get(api + "/guilds/{guild}/roles", self._get_roles)
        r.add_get(api + "/guilds/{guild}/members/{uid}", self._get_member)
        r.add_put(api + "/guilds/{guild}/members/{uid}/roles/{rid}", self._add_member_role)
        # A handler left hanging on purpose (hang_after_accept) is cancelled at stop, not awaited for
        # aiohttp's default 60 s.
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway/"

    def snowflake(self) -> str:
        return str(950000000000000000 + next(self._ids))

    # -- faults and waiting -------------------------------------------------------

    def fail(
        self,
        method: str,
        path_regex: str,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` matching calls with this status and body."""
        self.faults.append(Fault(method, re.compile(path_regex), status, body, headers or {}, times))

    def rate_limit(self, method: str, path_regex: str, retry_after: float, times: int = 1) -> None:
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
        headers = {"Via": "1.1 google", "Retry-After": str(retry_after)}
        self.fail(method, path_regex, 429, body, headers=headers, times=times)

    def cannot_dm(self, times: int = 1) -> None:
        body = {"message": "Cannot send messages to this user", "code": 50007}
        self.fail("POST", r"/channels/\d+/messages$", 403, body, times=times)

    async def wait_for(
        self, predicate: Callable[[Call], bool], *, after: int = 0, within: float = 5.0
    ) -> Call:
        """The first recorded call (from index `after`) that matches; waits for it."""

        def found() -> Call | None:
            return next((c for c in self.calls[after:] if predicate(c)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), within)
        result = found()
        assert result is not None
        return result

    def calls_to(self, method: str, path_regex: str) -> list[Call]:
        rx = re.compile(path_regex)
        return [c for c in self.calls if c.method == method and rx.search(c.path)]

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/gateway"):
            return await handler(request)
        body: Any = None
        files: list[tuple[str, bytes]] = []
        parts: list[tuple[str, str, str]] = []
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    files.append((part.filename or "", await part.read()))  # type: ignore[union-attr]
                    kind = part.headers.get("Content-Type", "")  # type: ignore[union-attr]
                    parts.append((part.name or "", part.filename or "", kind))  # type: ignore[union-attr]
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        path = request.path.removeprefix("/api/v10")
        call = Call(request.method, path, dict(request.query), body, files, parts)
        request[CALL] = call
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        for fault in self.faults:
            if fault.times > 0 and fault.method == request.method and fault.pattern.search(path):
                fault.times -= 1
                return _json(fault.body, fault.status, fault.headers)
        return await handler(request)

    # -- gateway ------------------------------------------------------------------

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}, "s": None, "t": None}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                op = data.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif op == 2:
                    self.identifies.append(data["d"])
                    await self._ready(ws, data["d"])
                    self.identified.set()
                elif op == 6:
                    await ws.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": next(self._seq), "d": {}}))
        finally:
            self.sockets.remove(ws)
        return ws

    async def _ready(self, ws: web.WebSocketResponse, identify: dict[str, Any]) -> None:
        shard = identify.get("shard") or [0, 1]
        ready = {
            "v": 10,
            "user": BOT_USER,
            "guilds": [{"id": GUILD_ID, "unavailable": True}],
            "session_id": secrets.token_hex(8),
            "resume_gateway_url": self.ws_url,
            "application": {"id": APP_ID, "flags": 0},
            "shard": shard,
            "private_channels": [],
        }
        await self._send(ws, "READY", ready)
        await self._send(ws, "GUILD_CREATE", self.guild())

    def guild(self) -> dict[str, Any]:
        return {
            "id": GUILD_ID,
            "name": "Study Guild",
            "unavailable": False,
            "owner_id": "930000000000000001",
            "member_count": 2,
            "large": False,
            "features": [],
            "joined_at": datetime.now(UTC).isoformat(),
            "roles": [
                {
                    "id": GUILD_ID,
                    "name": "@everyone",
                    "permissions": MEMBER_PERMISSIONS,
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channels": [
                {"id": CHANNEL_ID, "type": 0, "name": "general", "position": 0, "permission_overwrites": []}
            ],
            "threads": [],
            "members": [],
            "emojis": [],
            "stickers": [],
            "voice_states": [],
            "presences": [],
        }

    async def _send(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        for ws in list(self.sockets):
            await self._send(ws, event, data)

    # -- interactions pushed by tests ---------------------------------------------

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        user_id: str,
        *,
        guild: bool,
        permissions: str,
        message: Any = None,
        name: str = "learner",
    ) -> dict[str, Any]:
        token = "tok-" + secrets.token_hex(12)
        payload: dict[str, Any] = {
            "id": self.snowflake(),
            "application_id": APP_ID,
            "type": kind,
            "token": token,
            "version": 1,
            "data": data,
            "locale": "en-US",
            "app_permissions": ADMIN_PERMISSIONS,
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild:
            payload |= {
                "guild_id": GUILD_ID,
                "guild_locale": "en-US",
                "channel_id": CHANNEL_ID,
                "channel": {"id": CHANNEL_ID, "type": 0, "guild_id": GUILD_ID, "name": "general"},
                "member": {
                    "user": user(user_id, name),
                    "roles": [],
                    "joined_at": "2026-01-01T00:00:00+00:00",
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "pending": False,
                    "permissions": permissions,
                },
                "authorizing_integration_owners": {"0": GUILD_ID},
                "context": 0,
            }
        else:
            channel_id = (message or {}).get("channel_id") or self.snowflake()
            payload |= {
                "channel_id": channel_id,
                "channel": {"id": channel_id, "type": 1, "recipients": [user(user_id)]},
                "user": user(user_id),
                "authorizing_integration_owners": {"1": user_id},
                "context": 1,
            }
        if message is not None:
            payload["message"] = message
        self.interactions[token] = payload
        return payload

    async def slash(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user_id: str = "940000000000000001",
        admin: bool = False,
        guild: bool = True,
        display_name: str = "learner",
    ) -> dict[str, Any]:
        kinds = {str: 3, int: 4, float: 10}
        data = {
            "id": self.snowflake(),
            "name": name,
            "type": 1,
            "options": [
                {"name": k, "type": kinds.get(type(v), 3), "value": v} for k, v in (options or {}).items()
            ],
        }
        perms = ADMIN_PERMISSIONS if admin else MEMBER_PERMISSIONS
        payload = self._interaction(2, data, user_id, guild=guild, permissions=perms, name=display_name)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def autocomplete(
        self, name: str, focused: str, typed: str, *, user_id: str = "940000000000000001"
    ) -> dict[str, Any]:
        data = {
            "id": self.snowflake(),
            "name": name,
            "type": 1,
            "options": [{"name": focused, "type": 3, "value": typed, "focused": True}],
        }
        payload = self._interaction(4, data, user_id, guild=True, permissions=MEMBER_PERMISSIONS)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def click(
        self,
        message: dict[str, Any],
        custom_id: str,
        *,
        values: list[str] | None = None,
        user_id: str = "940000000000000001",
        guild: bool = True,
        display_name: str = "learner",
    ) -> dict[str, Any]:
        """Press a button (or choose `values` in a select) on a message the bot sent."""
        component = find_component(message, custom_id)
        assert component is not None, f"no component {custom_id!r} in message {message['id']}"
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] == 3:
            data["values"] = values or []
        payload = self._interaction(
            3, data, user_id, guild=guild, permissions=MEMBER_PERMISSIONS, message=message, name=display_name
        )
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def submit(
        self,
        custom_id: str,
        values: dict[str, str],
        *,
        user_id: str = "940000000000000001",
        guild: bool = True,
    ) -> dict[str, Any]:
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in values.items()
        ]
        data = {"custom_id": custom_id, "components": rows}
        payload = self._interaction(5, data, user_id, guild=guild, permissions=MEMBER_PERMISSIONS)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    # -- REST handlers ------------------------------------------------------------

    async def _me(self, _: web.Request) -> web.Response:
        return _json(BOT_USER)

    async def _gateway(self, _: web.Request) -> web.Response:
        return _json({"url": self.ws_url})

    async def _app_info(self, _: web.Request) -> web.Response:
        return _json(
            {
                "id": APP_ID,
                "name": "Study Companion",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": user("930000000000000001", "owner"),
                "verify_key": "00",
                "flags": 0,
                "team": None,
                "summary": "",
            }
        )

    async def _gateway_bot(self, _: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.ws_url, "shards": 1, "session_start_limit": limit})

    async def _put_commands(self, request: web.Request) -> web.Response:
        scope = request.match_info.get("guild", "global")
        body = request[CALL].body or []
        stored = [{**c, "id": self.snowflake(), "application_id": APP_ID, "version": "1"} for c in body]
        if scope != "global":
            stored = [{**c, "guild_id": scope} for c in stored]
        self.commands[scope] = stored
        return _json(stored)

    async def _get_commands(self, request: web.Request) -> web.Response:
        return _json(self.commands.get(request.match_info.get("guild", "global"), []))

    def _attachments(self, body: dict[str, Any], files: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
        """Attachment objects as Discord returns them: a new upload is named in `attachments` by
        its index among the `files[n]` parts; an existing one by its id."""
        out = []
        for a in body.get("attachments") or []:
            if isinstance(a.get("id"), int):
                name, blob = files[a["id"]]
                assert name == a["filename"], (name, a)
                aid = self.snowflake()
                out.append(
                    {
                        "id": aid,
                        "filename": name,
                        "size": len(blob),
                        "url": f"https://cdn.fake/attachments/{aid}/{name}",
                        "proxy_url": f"https://media.fake/attachments/{aid}/{name}",
                        "content_type": "image/png" if blob.startswith(b"\x89PNG") else "application/json",
                        **({"description": a["description"]} if "description" in a else {}),
                    }
                )
            else:
                out.append(a)
        return out

    def _message(
        self,
        channel_id: str,
        body: dict[str, Any],
        *,
        flags: int = 0,
        mid: str | None = None,
        files: list[tuple[str, bytes]] | None = None,
    ) -> dict:
        msg = {
            "id": mid or self.snowflake(),
            "channel_id": channel_id,
            "type": 0,
            "content": body.get("content") or "",
            "author": BOT_USER,
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "attachments": self._attachments(body, files or []),
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "flags": flags | int(body.get("flags") or 0),
        }
        self.messages[msg["id"]] = msg
        return msg

    async def _callback(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        inter = self.interactions.get(token)
        if inter is None:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        body = request[CALL].body or {}
        kind = body.get("type")
        data = body.get("data") or {}
        result: dict[str, Any] = {"interaction": {"id": inter["id"], "type": inter["type"]}}
        if kind in (4, 5):
            msg = self._message(inter["channel_id"], data, files=request[CALL].files)
            self.originals[token] = msg["id"]
            result["interaction"]["response_message_id"] = msg["id"]
            result["interaction"]["response_message_ephemeral"] = bool(msg["flags"] & 64)
            result["resource"] = {"type": kind, "message": msg}
        elif kind in (6, 7) and inter.get("message"):
            old = self.messages.get(inter["message"]["id"], inter["message"])
            self.originals[token] = old["id"]
            if kind == 7:
                old = self._message(
                    old["channel_id"],
                    {**old, **data},
                    flags=old.get("flags", 0),
                    mid=old["id"],
                    files=request[CALL].files,
                )
            result["resource"] = {"type": kind, "message": old}
        else:
            result["resource"] = {"type": kind}
        return _json(result)

    async def _followup(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        inter = self.interactions.get(token, {})
        call = request[CALL]
        msg = self._message(inter.get("channel_id", CHANNEL_ID), call.body or {}, files=call.files)
        return _json(msg)

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        token, mid = request.match_info["token"], request.match_info["mid"]
        if mid == "@original":
            mid = self.originals.get(token, "")
        old = self.messages.get(mid)
        if old is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        call = request[CALL]
        msg = self._message(old["channel_id"], {**old, **(call.body or {})}, mid=mid, files=call.files)
        msg["flags"] = old["flags"]
        return _json(msg)

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        token, mid = request.match_info["token"], request.match_info["mid"]
        mid = self.originals.get(token, "") if mid == "@original" else mid
        msg = self.messages.get(mid)
        return _json(msg) if msg else _json({"message": "Unknown Message", "code": 10008}, 404)

    async def _open_dm(self, request: web.Request) -> web.Response:
        recipient = str((request[CALL].body or {}).get("recipient_id"))
        channel_id = "96" + recipient[2:]
        return _json({"id": channel_id, "type": 1, "recipients": [user(recipient)], "last_message_id": None})

    async def _create_message(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        body = request[CALL].body or {}
        nonce = str(body.get("nonce") or "")
        if nonce and body.get("enforce_nonce"):
            seen = self._nonces.get((cid, nonce))
            if seen is not None and time.monotonic() - seen[0] < self.nonce_window:
                return _json(self.messages[seen[1]])
        msg = self._message(cid, body, files=request[CALL].files)
        if nonce:
            msg["nonce"] = nonce
            self._nonces[(cid, nonce)] = (time.monotonic(), msg["id"])
        self.visible.append(msg)
        if self.hang_after_accept > 0:
            self.hang_after_accept -= 1
            self.accepted.set()
            await asyncio.Event().wait()  # accepted, but the answer never comes
        return _json(msg)

    async def _channel_history(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        limit = int(request.query.get("limit", "50"))
        found = [m for m in reversed(self.visible) if m["channel_id"] == cid]
        return _json(found[:limit])

    def visible_by_channel(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for m in self.visible:
            counts[m["channel_id"]] = counts.get(m["channel_id"], 0) + 1
        return counts

    async def _create_thread(self, request: web.Request) -> web.Response:
        body = request[CALL].body or {}
        return _json(
            {
                "id": request.match_info["mid"],
                "type": 11,
                "guild_id": GUILD_ID,
                "parent_id": request.match_info["cid"],
                "name": body.get("name", ""),
                "owner_id": APP_ID,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": body.get("auto_archive_duration", 1440),
                    "archive_timestamp": datetime.now(UTC).isoformat(),
                    "locked": False,
                },
                "message_count": 0,
                "member_count": 1,
                "rate_limit_per_user": 0,
                "flags": 0,
            }
        )

    # -- roles and private threads --------------------------------------------------

    def add_role(self, name: str, position: int, permissions: int = 0) -> str:
        role_id = self.snowflake()
        self.roles[role_id] = _role(role_id, name, position, str(permissions))
        return role_id

    def give_bot_role(self, position: int, permissions: int) -> str:
        role_id = self.add_role("Study Companion", position, permissions)
        self.bot_roles.append(role_id)
        return role_id

    async def _get_roles(self, _: web.Request) -> web.Response:
        return _json(list(self.roles.values()))

    async def _get_member(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]
        roles = self.bot_roles if uid == APP_ID else sorted(self.member_roles.get(uid, set()))
        return _json(
            {
                "user": user(uid),
                "roles": roles,
                "joined_at": datetime.now(UTC).isoformat(),
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        )

    async def _add_member_role(self, request: web.Request) -> web.Response:
        uid, rid = request.match_info["uid"], request.match_info["rid"]
        if rid not in self.roles:
            return _json({"message": "Unknown Role", "code": 10011}, 404)
        mine = [self.roles[r] for r in self.bot_roles if r in self.roles] + [self.roles[GUILD_ID]]
        perms = 0
        for r in mine:
            perms |= int(r["permissions"])
        top = max(int(r["position"]) for r in mine)
        if not perms & ((1 << 28) | (1 << 3)) or int(self.roles[rid]["position"]) >= top:
            return _json({"message": "Missing Permissions", "code": 50013}, 403)
        self.member_roles.setdefault(uid, set()).add(rid)
        return web.Response(status=204)

    async def _create_thread_alone(self, request: web.Request) -> web.Response:
        body = request[CALL].body or {}
        thread_id = self.snowflake()
        self.threads[thread_id] = {
            "parent_id": request.match_info["cid"],
            "type": body.get("type"),
            "invitable": body.get("invitable"),
            "name": body.get("name", ""),
            "members": set(),
        }
        return _json(
            {
                "id": thread_id,
                "type": body.get("type", 11),
                "guild_id": GUILD_ID,
                "parent_id": request.match_info["cid"],
                "name": body.get("name", ""),
                "owner_id": APP_ID,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": body.get("auto_archive_duration", 1440),
                    "archive_timestamp": datetime.now(UTC).isoformat(),
                    "locked": False,
                    "invitable": bool(body.get("invitable", True)),
                },
                "message_count": 0,
                "member_count": 1,
                "rate_limit_per_user": 0,
                "flags": 0,
            }
        )

    async def _add_thread_member(self, request: web.Request) -> web.Response:
        thread = self.threads.get(request.match_info["cid"])
        if thread is None:
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        thread["members"].add(request.match_info["uid"])
        return web.Response(status=204)

    # -- helpers for assertions ---------------------------------------------------

    def message(self, message_id: str) -> dict[str, Any]:
        return self.messages[message_id]


def _role(role_id: str, name: str, position: int, permissions: str) -> dict[str, Any]:
    return {
        "id": role_id,
        "name": name,
        "permissions": permissions,
        "position": position,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def find_component(message: dict[str, Any], custom_id: str) -> dict[str, Any] | None:
    for row in message.get("components") or []:
        for c in row.get("components") or []:
            if c.get("custom_id") == custom_id:
                return c
    return None


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [
        c["custom_id"]
        for row in message.get("components") or []
        for c in row["components"]
        if "custom_id" in c
    ]

"""A fake Slack: Web API, response_url, file uploads and a Socket Mode websocket on 127.0.0.1.

It records every call (method, arguments, token) so tests can assert what the
bot sent, and can be told to fail a method with a Slack error, an HTTP status
or a 429 with Retry-After. `reset_after_accept(method)` makes the next calls succeed
and then drop the connection before answering (Slack took the post; the client never
hears). Every accepted chat.postMessage is kept in `posts`, duplicates included, and
conversations.history serves them back (with metadata when asked for it).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

TEAM_ID = "T0TEAM"
BOT_USER_ID = "U0BOT"
BOT_TOKEN = "xoxb-fake-bot-token"
JSON_FIELDS = ("blocks", "view", "attachments", "metadata", "files")


@dataclass
class ApiCall:
    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class Failure:
    error: str = "internal_error"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.responses: list[dict[str, Any]] = []
        self.uploads: list[bytes] = []
        # files_upload_v2's three steps, per file id: what getUploadURLExternal was told, the bytes
        # sent to the upload URL, and where completeUploadExternal shared it.
        self.files: dict[str, dict[str, Any]] = {}
        self._file_ids = itertools.count(1)
        self.socket_acks: list[dict[str, Any]] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.failures: dict[str, list[Failure]] = {}
        self.oauth_token = "xoxb-installed-token"
        self.posts: list[dict[str, Any]] = []
        self.group_dms: dict[str, list[str]] = {}  # mpim channel -> its users
        self.resets: dict[str, int] = {}
        self._ts = itertools.count(1)
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self.base = ""

    # ---- control ---------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base}/response/{name}"

    def fail(
        self, method: str, error: str = "internal_error", *, status: int = 200, times: int = 1, **headers: str
    ):
        self.failures.setdefault(method, []).append(Failure(error, status, dict(headers), times))

    def reset_after_accept(self, method: str, times: int = 1) -> None:
        self.resets[method] = self.resets.get(method, 0) + times

    def posts_by_key(self) -> dict[str, int]:
        """How many visible posts each outbox key (from the message metadata) produced."""
        counts: dict[str, int] = {}
        for post in self.posts:
            key = ((post.get("metadata") or {}).get("event_payload") or {}).get("key", "")
            counts[key] = counts.get(key, 0) + 1
        return counts

    def set_user(self, user_id: str, **fields: Any) -> None:
        self.users[user_id] = fields

    def find(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def clear(self) -> None:
        self.calls.clear()
        self.responses.clear()

    async def wait_for(self, predicate: Callable[[], Any], within: float = 5.0) -> Any:
        """Wait until `predicate()` is truthy; the bot works after it has acknowledged."""

        async def check() -> Any:
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(check(), within)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def push_envelope(self, envelope: dict[str, Any]) -> None:
        for ws in self._sockets:
            await ws.send_str(json.dumps(envelope))

    # ---- server ------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        for key in JSON_FIELDS:
            if isinstance(args.get(key), str) and args[key][:1] in "[{":
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") or args.get("token")
        self.calls.append(ApiCall(method, args, token))
        await self._notify()
        queued = self.failures.get(method)
        if queued:
            failure = queued[0]
            failure.times -= 1
            if failure.times <= 0:
                queued.pop(0)
            return web.json_response(
                {"ok": False, "error": failure.error}, status=failure.status, headers=failure.headers
            )
        answer = self._answer(method, args)
        if self.resets.get(method, 0) > 0:
            self.resets[method] -= 1
            if request.transport is not None:
                request.transport.abort()
            raise ConnectionResetError("fake reset after accept")
        return web.json_response(answer)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ok: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            return ok | {
                "url": "https://fake.slack.com/",
                "team": "Fake Team",
                "user": "companion",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": "B0BOT",
                "is_enterprise_install": False,
            }
        if method == "users.info":
            uid = args.get("user", "")
            user = {
                "id": uid,
                "team_id": TEAM_ID,
                "name": uid.lower(),
                "real_name": f"User {uid}",
                "tz": "Europe/Berlin",
                "is_admin": False,
                "is_owner": False,
                "profile": {"display_name": f"user-{uid}"},
            } | self.users.get(uid, {})
            return ok | {"user": user}
        if method == "conversations.open":
            users = [u for u in str(args.get("users", "X")).split(",") if u]
            if len(users) > 1:
                # A multi-person DM (mpim): the same set of users always gets the same channel.
                if len(users) > 8:
                    return {"ok": False, "error": "too_many_users"}
                channel = "G" + "".join(sorted(u.lstrip("U") for u in users))[:20]
                self.group_dms[channel] = sorted(users)
                return ok | {"channel": {"id": channel, "is_mpim": True}}
            return ok | {"channel": {"id": "D" + users[0].lstrip("U")}}
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            self.posts.append(
                {
                    "channel": args.get("channel"),
                    "ts": ts,
                    "text": args.get("text"),
                    "metadata": args.get("metadata"),
                }
            )
            return ok | {"channel": args.get("channel"), "ts": ts, "message": {"ts": ts}}
        if method == "conversations.history":
            channel = args.get("channel")
            with_meta = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
            found = [
                {"type": "message", "ts": p["ts"], "text": p["text"]}
                | ({"metadata": p["metadata"]} if with_meta and p["metadata"] else {})
                for p in reversed(self.posts)
                if p["channel"] == channel
            ]
            return ok | {"messages": found[: int(args.get("limit") or 100)], "has_more": False}
        if method == "chat.postEphemeral":
            return ok | {"message_ts": f"1700000000.{next(self._ts):06d}"}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            return ok | {"view": {"id": args.get("view_id") or "V0VIEW", **(args.get("view") or {})}}
        if method == "apps.connections.open":
            return ok | {"url": f"{self.base.replace('http', 'ws', 1)}/socket"}
        if method == "files.getUploadURLExternal":
            if not args.get("filename") or not str(args.get("length", "")).isdigit():
                return {"ok": False, "error": "invalid_arguments"}
            file_id = f"F0FILE{next(self._file_ids)}"
            self.files[file_id] = {
                "filename": args["filename"],
                "length": int(args["length"]),
                "alt_txt": args.get("alt_txt"),
                "data": None,
                "shared_to": None,
            }
            return ok | {"upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            done = []
            for f in args.get("files") or []:
                known = self.files.get(f.get("id", ""))
                if known is None or known["data"] is None:
                    return {"ok": False, "error": "file_not_found"}
                known["shared_to"] = args.get("channel_id") or args.get("channels")
                known["title"] = f.get("title")
                done.append({"id": f["id"], "name": known["filename"], "title": f.get("title", "")})
            return ok | {"files": done}
        if method == "oauth.v2.access":
            return ok | {
                "access_token": self.oauth_token,
                "token_type": "bot",
                "scope": "commands,chat:write,im:write,users:read",
                "bot_user_id": BOT_USER_ID,
                "app_id": "A0APP",
                "team": {"id": TEAM_ID, "name": "Fake Team"},
                "enterprise": None,
                "is_enterprise_install": False,
                "authed_user": {"id": "U0INSTALLER"},
            }
        return ok

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_url"] = request.match_info["name"]
        self.responses.append(body)
        await self._notify()
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        known = self.files.get(request.match_info["file_id"])
        if known is not None:
            if len(data) != known["length"]:
                return web.Response(status=400, text="length mismatch")
            known["data"] = data
        self.uploads.append(data)
        await self._notify()
        return web.Response(text="OK - uploaded")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        await self._notify()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(msg.data))
                await self._notify()
        self._sockets.remove(ws)
        return ws

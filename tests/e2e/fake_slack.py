"""A small stand-in for Slack's own servers on 127.0.0.1: the Web API, response_urls and Socket Mode.

It records every request so tests can assert what Tally sent to Slack, and checks every message and
view it receives against Slack's Block Kit limits (tests/limits.py): what breaks one is kept in
`FakeSlack.violations` (and the module's VIOLATIONS), and closing the fake's server fails the test.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from tests.limits import message_violations, view_violations

BOT_USER = "UTALLYBOT"
MESSAGE_METHODS = {"chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage"}
VIEW_METHODS = {"views.open", "views.update", "views.push", "views.publish"}

VIOLATIONS: list[str] = []  # every fake's, for a check across tests


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class FakeSlack:
    """Everything the fake received, plus knobs a test can turn."""

    calls: list[Call] = field(default_factory=list)
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    admins: set[str] = field(default_factory=set)
    not_in_channel: set[str] = field(default_factory=set)
    not_member: set[str] = field(default_factory=set)  # public channels Tally can see but hasn't joined
    scopes: str = (  # what the token was granted: the x-oauth-scopes header of every Web API answer
        "commands,chat:write,chat:write.public,users:read,channels:read,groups:read,"
        "files:write,channels:history,groups:history"
    )
    failing: dict[str, str] = field(default_factory=dict)  # method -> the error Slack answers with
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    socket_envelopes: asyncio.Queue = field(default_factory=asyncio.Queue)
    violations: list[str] = field(default_factory=list)  # what broke Slack's limits, with where it came from
    server: TestServer | None = None
    history: SlackHistory = field(default_factory=lambda: SlackHistory())
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def api_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/api/"))

    def url(self, path: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(path))

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Socket Mode answers asynchronously: wait until the call has arrived."""
        await self.wait_until(lambda: len(self.called(method)) >= count, f"{count} x {method}", timeout)
        return self.called(method)

    async def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    # --- Slack's limits ----------------------------------------------------------------------
    def check(self, source: str, problems: list[str]) -> None:
        for problem in problems:
            self.violations.append(f"{source}: {problem}")
            VIOLATIONS.append(f"fake Slack {source}: {problem}")

    def check_message(self, source: str, payload: dict[str, Any]) -> None:
        self.check(source, message_violations(payload))

    def check_view(self, source: str, view: Any) -> None:
        self.check(source, view_violations(view))

    def assert_clean(self) -> None:
        """Fail when anything the fake received broke Slack's limits."""
        assert not self.violations, "Tally sent Slack what it would refuse:\n" + "\n".join(self.violations)

    # --- the Web API -------------------------------------------------------------------------
    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        body = await request.read()
        if body:
            if request.content_type == "application/json":
                args.update(json.loads(body))
            else:
                args.update(dict(parse_qsl(body.decode())))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else args.get("token")
        self.calls.append(Call(method, args, token))
        if method in MESSAGE_METHODS:
            self.check_message(method, args)
        elif method in VIEW_METHODS:
            self.check_view(method, args.get("view"))
        return web.json_response(self.answer(method, args), headers={"x-oauth-scopes": self.scopes})

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method in self.failing:
            return {"ok": False, "error": self.failing[method]}
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "BTALLY", "team_id": "T0COUNCIL", "team": "Council"}
        if method == "conversations.info":
            channel = args.get("channel")
            if channel in self.not_in_channel:  # a private channel Tally is not in: Slack won't even show it
                return {"ok": False, "error": "channel_not_found"}
            member = channel not in self.not_member
            return {"ok": True, "channel": {"id": channel, "is_member": member, "is_private": False}}
        if method in ("chat.postMessage", "chat.update"):
            if args.get("channel") in self.not_in_channel:
                return {"ok": False, "error": "not_in_channel"}
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": args.get("ts") or f"{int(time.time())}.{next(self._ts):06d}",
            }
        if method == "chat.postEphemeral":
            if args.get("channel") in self.not_in_channel:
                return {"ok": False, "error": "not_in_channel"}
            return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}
        if method == "conversations.open":
            user = str(args.get("users") or args.get("user") or "").split(",")[0]
            return {"ok": True, "channel": {"id": f"D{user}"}}
        if method in VIEW_METHODS:
            return {"ok": True, "view": {"id": "VFAKE", **_as_dict(args.get("view"))}}
        if method == "users.info":
            user = args.get("user")
            return {"ok": True, "user": {"id": user, "is_admin": user in self.admins, "is_owner": False}}
        if method == "oauth.v2.access":
            return {
                "ok": True,
                "access_token": "xoxb-installed-secret-token",
                "token_type": "bot",
                "scope": "commands,chat:write",
                "bot_user_id": BOT_USER,
                "app_id": "A0TALLY",
                "team": {"id": "T0NEW", "name": "New council"},
                "enterprise": None,
                "is_enterprise_install": False,
                "authed_user": {"id": "UINSTALLER"},
            }
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url("/socket").replace("http://", "ws://")}
        return {"ok": True}

    # --- response_url ------------------------------------------------------------------------
    async def respond(self, request: web.Request) -> web.Response:
        key, payload = request.match_info["key"], await request.json()
        self.responses.append((key, payload))
        self.check_message(f"response_url {key}", payload)
        return web.Response(text="ok")

    # --- Socket Mode -------------------------------------------------------------------------
    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0TALLY"}})

        async def pump() -> None:
            while not ws.closed:
                envelope = await self.socket_envelopes.get()
                await ws.send_json(envelope)

        sender = asyncio.create_task(pump())
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    ack = json.loads(msg.data)
                    self.socket_acks.append(ack)
                    self.check_ack(ack)
        finally:
            sender.cancel()
        return ws

    def check_ack(self, ack: dict[str, Any]) -> None:
        """A Socket Mode ack's payload is what an HTTP answer's body would be: a message or a view."""
        payload = ack.get("payload") if isinstance(ack, dict) else None
        if not isinstance(payload, dict):
            return
        if "view" in payload:
            self.check_view("socket ack", payload["view"])
        elif "text" in payload or "blocks" in payload:
            self.check_message("socket ack", payload)


@dataclass
class SlackHistory:
    """What the digest job needs of Slack beyond one answer: channel history with message metadata, file uploads,
    rate limits (429 with Retry-After) and a hook that runs when a message arrives, before it is answered."""

    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel -> messages, oldest first
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> the bytes uploaded
    rate_limited: dict[str, int] = field(default_factory=dict)  # method -> how many 429s to answer first
    server_errors: dict[str, int] = field(default_factory=dict)  # method -> how many 503s to answer first
    retry_after: int = 1
    limited: list[str] = field(default_factory=list)  # the methods answered 429, in order
    on_post: Callable[[Call], Any] | None = None  # awaited once a chat.postMessage is stored, before the answer


async def faulty_api(fake: FakeSlack, request: web.Request) -> web.StreamResponse:
    """The Web API, with the history, uploads and faults of `fake.history` around it."""
    history, method = fake.history, request.match_info["method"]
    if history.rate_limited.get(method):
        history.rate_limited[method] -= 1
        history.limited.append(method)
        return web.json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(history.retry_after)}
        )
    if history.server_errors.get(method):
        history.server_errors[method] -= 1
        history.limited.append(method)
        return web.Response(status=503, text="upstream unavailable")
    response = await fake.api(request)
    call = fake.calls[-1]
    if method == "chat.postMessage":
        answer = json.loads(response.body)  # type: ignore[union-attr, arg-type]
        if answer.get("ok"):
            message = {"type": "message", "ts": answer["ts"], "text": call.args.get("text", ""), "bot_id": "BTALLY"}
            metadata = _as_dict(call.args.get("metadata")) if call.args.get("metadata") else None
            if metadata:
                message["metadata"] = metadata
            history.messages.setdefault(str(call.args.get("channel")), []).append(message)
            if history.on_post is not None:
                await history.on_post(call)
        return response
    if method == "conversations.history":
        messages = history.messages.get(str(call.args.get("channel")), [])
        oldest = float(call.args.get("oldest") or 0)
        newest_first = [m for m in reversed(messages) if float(m["ts"]) > oldest]
        return web.json_response({"ok": True, "messages": newest_first, "has_more": False})
    if method == "files.getUploadURLExternal":
        file_id = f"F{len(history.uploads) + 1:04d}"
        history.uploads[file_id] = b""
        return web.json_response({"ok": True, "upload_url": fake.url(f"/upload/{file_id}"), "file_id": file_id})
    if method == "files.completeUploadExternal":
        files = _as_list(call.args.get("files"))
        return web.json_response({"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]})
    return response


async def upload(fake: FakeSlack, request: web.Request) -> web.Response:
    fake.history.uploads[request.match_info["file_id"]] = await request.read()
    return web.Response(text="OK - 0")


def _as_list(value: Any) -> list[dict[str, Any]]:
    return json.loads(value) if isinstance(value, str) else list(value or [])


class CheckedServer(TestServer):
    """Closing it fails the test that made Tally send Slack something it would refuse."""

    def __init__(self, app: web.Application, fake: FakeSlack, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.fake = fake

    async def close(self) -> None:
        await super().close()
        self.fake.assert_clean()


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return json.loads(value)
    return dict(value or {})


async def start_fake_slack() -> FakeSlack:
    fake = FakeSlack()
    app = web.Application()
    app.router.add_route("*", "/api/{method}", functools.partial(faulty_api, fake))
    app.router.add_post("/upload/{file_id}", functools.partial(upload, fake))
    app.router.add_post("/respond/{key}", fake.respond)
    app.router.add_get("/socket", fake.socket)
    fake.server = CheckedServer(app, fake, host="127.0.0.1")
    await fake.server.start_server()
    return fake

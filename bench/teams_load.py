"""bench_teams.py's load and its fake: Teams message activities for bench_slash.py's mix, a lean fake Bot
Connector that keeps what Tally (or the anchor) sends back, and the check of every answer."""

from __future__ import annotations

import asyncio
import copy
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import bench_slash as slash
from aiohttp import web

ANCHOR_TEXT = "Got it."
PAYLOADS = slash.REPO / "tests" / "e2e" / "payloads" / "teams"
CHANNELS = 4
PEOPLE = 40


# --- a lean fake Bot Connector ------------------------------------------------------------------


@dataclass
class FakeConnector:
    """Answers replies, sends, updates and new conversations; keeps each reply by the activity it answers."""

    replies: dict[str, bytes] = field(default_factory=dict)
    private: list[bytes] = field(default_factory=list)  # new messages in 1:1 chats (a channel's private answers)
    calls: Counter = field(default_factory=Counter)
    last: float = 0.0
    runner: web.AppRunner | None = None
    port: int = 0

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _answer(self, kind: str) -> web.Response:
        self.calls[kind] += 1
        self.last = time.perf_counter()
        return web.json_response({"id": f"sent-{sum(self.calls.values())}"})

    async def reply(self, request: web.Request) -> web.Response:
        answered = request.match_info["activity"]
        if answered in self.replies:
            self.calls["second reply"] += 1
        self.replies[answered] = await request.read()
        return self._answer("reply")

    async def send(self, request: web.Request) -> web.Response:
        """A new message (kept when it is in a 1:1 chat), or an update (PUT)."""
        body = await request.read()
        if request.method == "POST" and request.match_info["conversation"].startswith("a:1on1-"):
            self.private.append(body)
        return self._answer(request.method)

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls["create"] += 1
        return web.json_response({"id": f"a:1on1-{(body.get('members') or [{}])[0].get('id', '')}"})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations", self.create)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self.reply)
        app.router.add_post("/v3/conversations/{conversation}/activities", self.send)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self.send)
        self.runner, self.port = await slash.serve_on_loopback(app)

    @property
    def answered(self) -> int:
        return len(self.replies) + len(self.private)

    async def wait_for_replies(self, wanted: int, quiet: float = 5.0, limit: float = 120.0) -> int:
        """Until `wanted` answers arrived (replies and private messages), or none came for `quiet` seconds."""
        started = last_change = time.perf_counter()
        seen = self.answered
        while seen < wanted:
            await asyncio.sleep(0.05)
            now = time.perf_counter()
            if self.answered != seen:
                seen, last_change = self.answered, now
            if now - last_change > quiet or now - started > limit:
                break
        return seen


# --- the load -----------------------------------------------------------------------------------


def template(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


class TeamsLoader:
    """Sends each request as a Teams message activity; its reply is checked once the run is over."""

    def __init__(self, url: str, fake: FakeConnector, session: aiohttp.ClientSession, anchor: bool) -> None:
        self.url, self.fake, self.session, self.anchor = url, fake, session, anchor
        self.channel, self.personal = template("message_channel"), template("message_personal")
        self.base = random.randrange(10**12, 9 * 10**12)  # numeric activity ids, as Teams sends
        self.sent: list[tuple[str, str]] = []  # (activity id, kind)

    def body(self, text: str) -> tuple[str, bytes]:
        n = len(self.sent)
        activity_id = str(self.base + n)
        person = n % PEOPLE
        if n % 2:
            data = copy.deepcopy(self.personal)
            data["conversation"]["id"] = f"a:1personal-chat-with-staff-{person:02d}"
            data["text"] = f"problem {text}"
        else:
            data = copy.deepcopy(self.channel)
            channel = f"19:desk-{n // 2 % CHANNELS}@thread.tacv2"
            data["conversation"]["id"] = f"{channel};messageid={activity_id}"
            data["channelData"].update(teamsChannelId=channel, channel={"id": channel})
            data["text"] = f"<at>Tally</at> problem {text}"
        data["id"] = activity_id
        data["serviceUrl"] = self.fake.service_url
        data["timestamp"] = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        data["from"] = {
            "id": f"29:1staff-{person:02d}",
            "name": f"Staff {person}",
            "aadObjectId": str(uuid.UUID(int=person + 1)),
        }
        return activity_id, json.dumps(data).encode()

    async def send(self, request: slash.Request, result: slash.Result) -> None:
        activity_id, body = self.body(request.text)
        self.sent.append((activity_id, request.kind))
        headers = {"Content-Type": "application/json"}
        answered = await slash.timed_post(self.session, self.url, body, headers, request.kind, result)
        if answered is None:
            return
        status, answer = answered
        result.cards_expected += 1  # one reply per activity
        if status not in (200, 201):
            result.error(f"HTTP {status}", answer)

    def check(self, result: slash.Result, private: list[bytes]) -> None:
        """Each request's reply, as the fake received it; a channel's private answers (sent to the person's 1:1
        chat, so not tied to the activity) are checked together: as many, and each what its kind answers."""
        unmatched: Counter = Counter()
        for activity_id, kind in self.sent:
            raw = self.fake.replies.get(activity_id)
            if raw is None:
                unmatched[kind] += 1
            else:
                self.check_one(kind, raw, result)
        logged = [raw for raw in private if b"Logged " in raw]
        rest = [raw for raw in private if b"Logged " not in raw]
        again = unmatched["again"]
        pairs = list(zip(["again"] * again, logged, strict=False))
        others = ["new"] * unmatched["new"] + ["list"] * unmatched["list"] + ["again"] * (again - len(pairs))
        pairs += zip(others, rest + logged[again:], strict=False)  # what is left over is checked as it comes
        for kind, raw in pairs:
            self.check_one(kind, raw, result)
        for _ in range(sum(unmatched.values()) - len(pairs)):
            result.error("no reply", "a request in a channel had no answer in the chat or the person's 1:1")

    def check_one(self, kind: str, raw: bytes, result: slash.Result) -> None:
        reply = json.loads(raw)
        text = json.dumps(reply.get("attachments") or reply.get("text") or "", ensure_ascii=False)
        if self.anchor:
            if reply.get("text") != ANCHOR_TEXT:
                result.error(kind, text[-400:])
        elif "Sorry" in text or "went wrong" in text:
            result.error(kind, text[-400:])
        elif kind == "new" and slash.QUESTION in text:
            result.questions += 1
        elif "AdaptiveCard" not in text or (kind == "again" and "Logged " not in text):
            result.error(kind, text[-400:])

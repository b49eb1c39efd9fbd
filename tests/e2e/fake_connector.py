"""A small stand-in for the Bot Framework Connector on 127.0.0.1: records every activity Tally sends.

Every Adaptive Card it receives is checked against the Adaptive Card 1.5 schema and Teams' message
size (tests/limits.py): what breaks them is kept in `FakeConnector.violations` (and the module's
VIOLATIONS), and closing the fake's server fails the test.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.limits import activity_violations

VIOLATIONS: list[str] = []  # every fake's, for a check across tests
PAYLOADS = Path(__file__).parent / "payloads" / "teams"


@dataclass
class Sent:
    kind: str  # "reply", "send" (proactive), "update" or "create" (a new conversation: activity is the request body)
    conversation_id: str
    activity_id: str | None
    activity: dict[str, Any]

    @property
    def card(self) -> dict[str, Any]:
        (attachment,) = self.activity["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        return attachment["content"]


@dataclass
class FakeConnector:
    sent: list[Sent] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)  # what broke the card schema or size, with where it came from
    object_ids: dict[str, str] = field(default_factory=dict)  # member id -> Entra object id, for member lookups
    server: TestServer | None = None
    too_big: int = 0  # answer 413 MessageSizeTooBig to this many sends that carry an inline image
    throttled: int = 0  # answer 429 (Retry-After: 0) to this many sends first
    refused: list[dict[str, Any]] = field(default_factory=list)  # what was answered 413 or 429
    uploads: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)  # OneDrive: name, body, headers
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def service_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/")).rstrip("/")

    def of(self, kind: str) -> list[Sent]:
        return [s for s in self.sent if s.kind == kind]

    async def reply(self, request: web.Request) -> web.Response:
        return await self._record(request, "reply")

    async def send(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.throttled:
            self.throttled -= 1
            self.refused.append(body)
            return web.json_response({"error": {"code": "Throttled"}}, status=429, headers={"Retry-After": "0"})
        if self.too_big and "data:image/" in json.dumps(body):
            self.too_big -= 1
            self.refused.append(body)
            return web.json_response({"error": {"code": "MessageSizeTooBig", "message": "too big"}}, status=413)
        return await self._record(request, "send")

    async def upload(self, request: web.Request) -> web.Response:
        """The upload URL Teams hands over once a person accepts a file (OneDrive's upload session): a PUT."""
        self.uploads.append((request.match_info["name"], await request.read(), dict(request.headers)))
        return web.json_response({"id": "onedrive-item", "name": request.match_info["name"]}, status=201)

    async def update(self, request: web.Request) -> web.Response:
        return await self._record(request, "update")

    async def member(self, request: web.Request) -> web.Response:
        """GET a conversation member: Teams answers with their Entra object id."""
        member = request.match_info["member"]
        object_id = self.object_ids.get(member)
        if object_id is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
        return web.json_response({"id": member, "objectId": object_id, "name": member})

    async def create(self, request: web.Request) -> web.Response:
        """Bot Framework createConversation: a 1:1 chat with the first member, as Teams names them."""
        body = await request.json()
        members = body.get("members") or [{}]
        conversation = f"a:1on1-{members[0].get('id', '')}"
        self.sent.append(Sent("create", conversation, None, body))
        if isinstance(body.get("activity"), dict):
            self.check(f"create {conversation}", activity_violations(body["activity"]))
        return web.json_response({"id": conversation})

    async def _record(self, request: web.Request, kind: str) -> web.Response:
        sent = Sent(kind, request.match_info["conversation"], request.match_info.get("activity"), await request.json())
        self.sent.append(sent)
        self.check(f"{kind} {sent.conversation_id}", activity_violations(sent.activity))
        return web.json_response({"id": f"sent-{next(self._ids)}"})

    # --- Teams' limits -----------------------------------------------------------------------
    def check(self, source: str, problems: list[str]) -> None:
        for problem in problems:
            self.violations.append(f"{source}: {problem}")
            VIOLATIONS.append(f"fake connector {source}: {problem}")

    def assert_clean(self) -> None:
        """Fail when a card the fake received breaks the Adaptive Card 1.5 schema or Teams' size limit."""
        assert not self.violations, "Tally sent Teams cards it would refuse:\n" + "\n".join(self.violations)


class CheckedServer(TestServer):
    """Closing it fails the test that made Tally send Teams a card it would refuse."""

    def __init__(self, app: web.Application, fake: FakeConnector, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.fake = fake

    async def close(self) -> None:
        await super().close()
        self.fake.assert_clean()


async def start_fake_connector() -> FakeConnector:
    fake = FakeConnector()
    app = web.Application()
    app.router.add_post("/v3/conversations", fake.create)
    app.router.add_get("/v3/conversations/{conversation}/members/{member}", fake.member)
    app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", fake.reply)
    app.router.add_post("/v3/conversations/{conversation}/activities", fake.send)
    app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", fake.update)
    app.router.add_put("/upload/{name}", fake.upload)
    fake.server = CheckedServer(app, fake, host="127.0.0.1")
    await fake.server.start_server()
    return fake


def activity(fixture: str, service_url: str, **changes: Any) -> dict[str, Any]:
    """A stored Teams activity, sent from the fake connector, with some fields changed."""
    data = json.loads((PAYLOADS / f"{fixture}.json").read_text().replace("{FAKE}", service_url))
    data.update(changes)
    return data

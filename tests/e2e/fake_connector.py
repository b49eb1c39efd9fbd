"""A small stand-in for the Bot Framework Connector on 127.0.0.1: records every activity Tally sends."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

PAYLOADS = Path(__file__).parent / "payloads" / "teams"


@dataclass
class Sent:
    kind: str  # "reply", "send" (proactive) or "update"
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
    server: TestServer | None = None
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
        return await self._record(request, "send")

    async def update(self, request: web.Request) -> web.Response:
        return await self._record(request, "update")

    async def _record(self, request: web.Request, kind: str) -> web.Response:
        self.sent.append(
            Sent(kind, request.match_info["conversation"], request.match_info.get("activity"), await request.json())
        )
        return web.json_response({"id": f"sent-{next(self._ids)}"})


async def start_fake_connector() -> FakeConnector:
    fake = FakeConnector()
    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", fake.reply)
    app.router.add_post("/v3/conversations/{conversation}/activities", fake.send)
    app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", fake.update)
    fake.server = TestServer(app, host="127.0.0.1")
    await fake.server.start_server()
    return fake


def activity(fixture: str, service_url: str, **changes: Any) -> dict[str, Any]:
    """A stored Teams activity, sent from the fake connector, with some fields changed."""
    data = json.loads((PAYLOADS / f"{fixture}.json").read_text().replace("{FAKE}", service_url))
    data.update(changes)
    return data

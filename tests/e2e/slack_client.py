"""Sends correctly signed Slack requests to a running Tally over real HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

PAYLOADS = Path(__file__).parent / "payloads" / "slack"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def load(name: str, fake_url: str) -> dict[str, Any]:
    """A stored payload, with its response_urls pointing at the fake Slack."""
    return json.loads((PAYLOADS / f"{name}.json").read_text().replace("{FAKE}", fake_url.rstrip("/")))


_TRIGGERS = itertools.count(1)


def new_trigger_id() -> str:
    """Slack gives every user action its own trigger_id; only a retry repeats one."""
    return f"{13345224609 + next(_TRIGGERS)}.738474920.8088930838d88f008e0"


class SlackClient:
    """`settle` waits for what Tally sends after answering (its posts run after the HTTP answer)."""

    def __init__(self, base_url: str, fake_url: str, settle: Callable[[], Awaitable[None]] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.fake_url = fake_url.rstrip("/")
        self.settle = settle
        self.last_trigger_id = ""
        self.session: aiohttp.ClientSession | None = None  # set to reuse one (a test counting sessions)

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        ts = int(time.time()) if timestamp is None else timestamp
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature or sign(body, ts, secret),
            **(headers or {}),
        }
        if self.session is not None:
            async with self.session.post(f"{self.base_url}/slack/events", data=body.encode(), headers=sent) as resp:
                answer = resp.status, await resp.text()
        else:
            async with (
                aiohttp.ClientSession() as session,
                session.post(f"{self.base_url}/slack/events", data=body.encode(), headers=sent) as resp,
            ):
                answer = resp.status, await resp.text()
        if self.settle is not None:
            await self.settle()
        return answer

    async def slash(self, text: str, command: str = "/problem", **overrides: str) -> tuple[int, str]:
        """A new slash command (a fresh trigger_id, unless the test gives one to repeat a delivery)."""
        payload = {**load("slash_command", self.fake_url), "text": text, "command": command}
        payload["trigger_id"] = new_trigger_id()
        payload.update(overrides)
        self.last_trigger_id = payload["trigger_id"]
        return await self.post(urlencode(payload), "application/x-www-form-urlencoded")

    async def interact(self, payload: dict[str, Any], *, retry: bool = False, **kw: Any) -> tuple[int, str]:
        """A button press or submission; each is a new action with its own trigger_id unless `retry`."""
        if "trigger_id" in payload and not retry:
            payload = {**payload, "trigger_id": new_trigger_id()}
        return await self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kw)

    async def event(self, payload: dict[str, Any], **kw: Any) -> tuple[int, str]:
        return await self.post(json.dumps(payload), "application/json", **kw)

    def payload(self, name: str) -> dict[str, Any]:
        return load(name, self.fake_url)


async def install(url: Callable[[str], str]) -> aiohttp.ClientResponse:
    """Click 'Add to Slack', then come back as Slack would; the state cookie is Secure, so carry it by hand."""
    async with aiohttp.ClientSession() as session:
        async with session.get(url("/slack/install")) as resp:
            page = await resp.text()
            assert resp.status == 200
            cookie = resp.headers["Set-Cookie"].split(";")[0]
        state = re.search(r"state=([\w\-.~%]+)", page)
        assert state, page
        redirect = url(f"/slack/oauth_redirect?code=one-time-code&state={state.group(1)}")
        async with session.get(redirect, headers={"Cookie": cookie}) as resp:
            await resp.text()
            return resp


async def press_all(tally, payloads: list[dict]) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """Every press sent at once over one client session, each a new action with its own trigger_id."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        tally.slack.session = session
        settle, tally.slack.settle = tally.slack.settle, None
        try:
            answers = await asyncio.gather(*(tally.slack.interact(p) for p in payloads))
        finally:
            tally.slack.session, tally.slack.settle = None, settle
    await tally.settle()
    return answers

"""Sends correctly signed Slack requests to a running Tally over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
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


class SlackClient:
    def __init__(self, base_url: str, fake_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.fake_url = fake_url.rstrip("/")

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
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.base_url}/slack/events", data=body.encode(), headers=sent) as resp,
        ):
            return resp.status, await resp.text()

    async def slash(self, text: str, command: str = "/problem", **overrides: str) -> tuple[int, str]:
        payload = {**load("slash_command", self.fake_url), "text": text, "command": command, **overrides}
        return await self.post(urlencode(payload), "application/x-www-form-urlencoded")

    async def interact(self, payload: dict[str, Any], **kw: Any) -> tuple[int, str]:
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

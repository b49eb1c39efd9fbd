"""adapters/slack/poster.py against a small Web API on 127.0.0.1: what Slack receives, and each way it can say no."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.poster import USER_AGENT, post_message

TOKEN = "xoxb-poster-test-token"
CARD = {"channel": "C0DESK", "unfurl_links": False, "text": "#3 Printer jammed", "blocks": [{"type": "divider"}]}


class WebApi:
    """chat.postMessage, answering with what `replies` says next: a dict as JSON, a (status, text) pair as is, or
    "drop" to close the connection without an answer."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], Any]] = []
        self.replies: list[Any] = []
        self.server: TestServer | None = None

    async def post(self, request: web.Request) -> web.StreamResponse:
        self.received.append((dict(request.headers), json.loads(await request.read())))
        reply = self.replies.pop(0) if self.replies else {"ok": True, "channel": "C0DESK", "ts": "1.000001"}
        if reply == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if isinstance(reply, tuple):
            return web.Response(status=reply[0], text=reply[1], content_type="text/html")
        return web.json_response(reply)

    def client(self) -> AsyncWebClient:
        assert self.server is not None
        return AsyncWebClient(token=TOKEN, base_url=str(self.server.make_url("/api/")))


@pytest.fixture
async def api():
    fake = WebApi()
    app = web.Application()
    app.router.add_post("/api/chat.postMessage", fake.post)
    fake.server = TestServer(app, host="127.0.0.1")
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as s:
        yield s


async def test_slack_receives_the_card_as_slack_sdk_would_send_it(api, session):
    answer = await post_message(session, api.client(), CARD)
    assert answer["ts"] == "1.000001" and answer.status_code == 200
    ((headers, body),) = api.received
    assert body == CARD
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Type"] == "application/json;charset=utf-8"
    assert headers["User-Agent"] == USER_AGENT and "slackclient" in USER_AGENT.lower()


async def test_slacks_refusal_is_a_slack_api_error_naming_it(api, session):
    api.replies.append({"ok": False, "error": "not_in_channel"})
    with pytest.raises(SlackApiError) as raised:
        await post_message(session, api.client(), CARD)
    assert raised.value.response.get("error") == "not_in_channel"
    assert len(api.received) == 1  # a refusal is not retried


async def test_an_answer_that_is_not_slacks_is_a_failed_call(api, session):
    api.replies.append((502, "<html>Bad gateway</html>"))
    with pytest.raises(SlackApiError) as raised:
        await post_message(session, api.client(), CARD)
    assert raised.value.response.get("error") == "invalid_response"
    assert raised.value.response.status_code == 502


async def test_a_connection_dropped_before_the_answer_is_tried_once_more(api, session):
    api.replies.append("drop")
    answer = await post_message(session, api.client(), CARD)
    assert answer["ok"] is True
    assert [body for _, body in api.received] == [CARD, CARD]


async def test_two_drops_in_a_row_give_up_with_the_connection_error(api, session):
    api.replies.extend(["drop", "drop"])
    with pytest.raises(aiohttp.ClientError):
        await post_message(session, api.client(), CARD)
    assert len(api.received) == 2


async def test_a_connection_reset_before_the_answer_is_tried_once_more(session):
    """A reset (not a clean close) of a reused connection: slack_sdk retries it, and so does the poster."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))
        seen.append(await reader.readexactly(length))
        if len(seen) == 1:  # reset: RST rather than FIN
            writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return
        answer = b'{"ok": true, "ts": "1.000002"}'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(answer))
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        client = AsyncWebClient(token=TOKEN, base_url=f"http://127.0.0.1:{port}/api/")
        answer = await post_message(session, client, CARD)
    finally:
        server.close()
    assert answer["ts"] == "1.000002"
    assert [json.loads(body) for body in seen] == [CARD, CARD]


async def test_the_clients_proxy_default_parameters_and_headers_go_with_the_card(api, session):
    """HTTPS_PROXY (the client's proxy), Bolt's team_id (its default parameters) and the client's own headers, as
    slack_sdk sends them: the local server stands in for the proxy, the API's own host doesn't exist."""
    assert api.server is not None
    client = AsyncWebClient(
        token=TOKEN,
        base_url="http://slack-api.invalid/api/",
        proxy=str(api.server.make_url("")),
        team_id="T0COUNCIL",
        headers={"X-Council": "yes"},
    )
    await post_message(session, client, CARD)
    ((headers, body),) = api.received
    assert body == {"team_id": "T0COUNCIL", **CARD}
    assert headers["X-Council"] == "yes" and headers["Host"] == "slack-api.invalid"

"""TeamsConnector and its tokens, against a small local connector and login service on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from botbuilder.core import InvokeResponse
from botbuilder.schema import AdaptiveCardInvokeResponse
from botbuilder.schema.teams import MessagingExtensionActionResponse, TaskModuleContinueResponse, TaskModuleTaskInfo
from botframework.connector.auth import AppCredentials, PasswordServiceClientCredentialFactory

from adapters.config import Settings
from adapters.teams.adapter import TallyBotAdapter, to_json
from adapters.teams.connector import (
    BotFrameworkCredentials,
    ConnectorError,
    NoCredentials,
    TeamsConnector,
    conversations_url,
)
from adapters.teams.routes import BotConfig

APP_ID = "0b1d5c7e-1111-4222-8333-944445555666"
PASSWORD = "not-a-real-password"
CHANNEL = "19:frontdesk@thread.tacv2;messageid=1700000000002"


class Local:
    """A connector and a login service in one app, recording what they were asked."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.tokens = iter(f"token-{i}" for i in range(1, 100))
        self.refuse: set[str] = set()  # tokens the connector answers 401 to
        self.status = 200
        self.server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.requests.append(("TOKEN", request.path, {}, form))
        if form.get("client_secret") != PASSWORD:
            return web.json_response({"error": "invalid_client", "error_description": "AADSTS7000215: bad"}, status=401)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "access_token": next(self.tokens)})

    async def connector(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        self.requests.append((request.method, request.raw_path, dict(request.headers), body))
        auth = request.headers.get("Authorization", "")
        if auth.removeprefix("Bearer ") in self.refuse:
            return web.json_response({"error": {"code": "Unauthorized", "message": "token refused"}}, status=401)
        if self.status >= 300:
            return web.json_response(
                {"error": {"code": "BotNotInConversationRoster", "message": "gone"}}, status=self.status
            )
        if request.path == "/v3/conversations":
            return web.json_response({"id": "a:1new-chat"})
        return web.json_response({"id": "activity-1"})

    def connector_calls(self) -> list[tuple[str, str, dict[str, str], Any]]:
        return [r for r in self.requests if r[0] != "TOKEN"]


@pytest.fixture
async def local():
    fake = Local()
    app = web.Application()
    app.router.add_post("/botframework.com/oauth2/v2.0/token", fake.token)
    app.router.add_route("*", "/v3/{tail:.*}", fake.connector)
    fake.server = TestServer(app, host="127.0.0.1")
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as s:
        yield s


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def credentials(local: Local, password: str = PASSWORD, clock: Clock | None = None) -> BotFrameworkCredentials:
    factory = PasswordServiceClientCredentialFactory(APP_ID, password)
    return BotFrameworkCredentials(
        factory, APP_ID, login_endpoint=f"{local.url}/botframework.com", clock=clock or time.monotonic
    )


def test_conversation_ids_are_quoted_whole_in_paths():
    url = conversations_url("https://smba.trafficmanager.net/amer/", CHANNEL, "activities", "1:2")
    assert (
        url.raw_path
        == "/amer/v3/conversations/19%3Afrontdesk%40thread.tacv2%3Bmessageid%3D1700000000002/activities/1%3A2"
    )
    assert str(conversations_url("http://127.0.0.1:1")) == "http://127.0.0.1:1/v3/conversations"
    with pytest.raises(ValueError):
        conversations_url("", "x")


async def test_every_call_goes_where_the_connector_expects_it(local, session):
    connector = TeamsConnector(session, NoCredentials())
    message = {"type": "message", "text": "hi"}
    assert await connector.send_to_conversation(local.url + "/", CHANNEL, message) == "activity-1"
    assert await connector.reply_to_activity(local.url, CHANNEL, "17", message) == "activity-1"
    assert await connector.update_activity(local.url, CHANNEL, "17", message) == "activity-1"
    await connector.delete_activity(local.url, CHANNEL, "17")
    bot = {"id": "28:bot"}
    assert await connector.create_conversation(local.url, "tenant-1", bot, "29:alice") == "a:1new-chat"
    quoted = "/v3/conversations/19%3Afrontdesk%40thread.tacv2%3Bmessageid%3D1700000000002/activities"
    calls = [(method, path) for method, path, _, _ in local.connector_calls()]
    assert calls == [
        ("POST", quoted),
        ("POST", quoted + "/17"),
        ("PUT", quoted + "/17"),
        ("DELETE", quoted + "/17"),
        ("POST", "/v3/conversations"),
    ]
    assert local.connector_calls()[-1][3] == {
        "bot": bot,
        "members": [{"id": "29:alice"}],
        "isGroup": False,
        "tenantId": "tenant-1",
        "channelData": {"tenant": {"id": "tenant-1"}},
    }
    assert all("Authorization" not in headers for _, _, headers, _ in local.connector_calls())  # the Emulator


async def test_calls_carry_a_bearer_token_fetched_once_and_renewed_near_expiry(local, session):
    clock = Clock()
    tokens = credentials(local, clock=clock)
    connector = TeamsConnector(session, tokens)
    for _ in range(3):
        await connector.send_to_conversation(local.url, "a:1", {"type": "message"})
    clock.now += 3599 - 301  # still more than five minutes left
    await connector.send_to_conversation(local.url, "a:1", {"type": "message"})
    clock.now += 2  # within five minutes of expiry: renewed
    await connector.send_to_conversation(local.url, "a:1", {"type": "message"})
    headers = [h["Authorization"] for _, _, h, _ in local.connector_calls()]
    assert headers == ["Bearer token-1"] * 4 + ["Bearer token-2"]
    (_, path, _, form), _ = [r for r in local.requests if r[0] == "TOKEN"]
    assert path == "/botframework.com/oauth2/v2.0/token"
    assert form == {
        "grant_type": "client_credentials",
        "client_id": APP_ID,
        "client_secret": PASSWORD,
        "scope": "https://api.botframework.com/.default",
    }


async def test_turns_waiting_together_share_one_token_request(local, session):
    tokens = credentials(local)
    got = await asyncio.gather(*(tokens.token(session) for _ in range(5)))
    assert got == ["token-1"] * 5 and tokens.fetches == 1


async def test_a_refused_token_is_renewed_and_the_call_tried_once_more(local, session):
    tokens = credentials(local)
    connector = TeamsConnector(session, tokens)
    local.refuse = {"token-1"}
    assert await connector.send_to_conversation(local.url, "a:1", {"type": "message"}) == "activity-1"
    assert [h["Authorization"] for _, _, h, _ in local.connector_calls()] == ["Bearer token-1", "Bearer token-2"]
    local.refuse = {"token-2", "token-3"}
    with pytest.raises(ConnectorError) as caught:
        await connector.send_to_conversation(local.url, "a:1", {"type": "message"})
    assert caught.value.status == 401


async def test_errors_name_the_status_and_never_the_token(local, session, caplog):
    caplog.set_level(logging.DEBUG)
    connector = TeamsConnector(session, credentials(local))
    local.status = 403
    with pytest.raises(ConnectorError) as caught:
        await connector.reply_to_activity(local.url, CHANNEL, "17", {"type": "message"})
    error = caught.value
    assert error.status == 403 and error.operation == "reply_to_activity"
    assert str(error) == "reply_to_activity failed: HTTP 403 (BotNotInConversationRoster gone)"
    assert "frontdesk" not in str(error)  # conversation ids can say who was written to
    everything = str(error) + repr(error) + caplog.text + repr(connector.credentials)
    assert "token-1" not in everything and PASSWORD not in everything


async def test_a_refused_login_is_a_clear_error(local, session):
    connector = TeamsConnector(session, credentials(local, password="wrong"))
    with pytest.raises(ConnectorError) as caught:
        await connector.send_to_conversation(local.url, "a:1", {"type": "message"})
    assert caught.value.status == 401
    assert str(caught.value) == "Bot Framework token request failed: HTTP 401 (invalid_client: AADSTS7000215: bad)"
    assert local.connector_calls() == []


async def test_the_emulator_has_no_token(session):
    assert await NoCredentials().token(session) is None
    config = BotConfig(Settings())
    assert await BotFrameworkCredentials(PasswordServiceClientCredentialFactory(), "").token(session) is None
    assert config.login_endpoint == "https://login.microsoftonline.com/"


class BlockingCredentials(AppCredentials):
    """Certificate or managed-identity credentials: a blocking get_access_token()."""

    def __init__(self, token: str) -> None:
        super().__init__(app_id=APP_ID)
        self.token = token
        self.threads: list[threading.Thread] = []

    def get_access_token(self, force_refresh: bool = False) -> str:
        self.threads.append(threading.current_thread())
        return self.token


class BlockingFactory(PasswordServiceClientCredentialFactory):
    def __init__(self, made: AppCredentials) -> None:
        super().__init__(APP_ID)
        self.made = made

    async def create_credentials(self, app_id, oauth_scope, login_endpoint, validate_authority):  # type: ignore[no-untyped-def]
        return self.made


async def test_blocking_credentials_are_asked_off_the_event_loop_and_cached_until_the_token_expires(session):
    token = jwt.encode({"exp": int(time.time()) + 3600}, "k" * 32, algorithm="HS256")
    made = BlockingCredentials(token)
    clock = Clock()
    tokens = BotFrameworkCredentials(BlockingFactory(made), APP_ID, clock=clock)
    assert await tokens.token(session) == token
    assert await tokens.token(session) == token
    assert len(made.threads) == 1 and made.threads[0] is not threading.main_thread()
    clock.now += 3600 - 290
    await tokens.token(session)
    assert len(made.threads) == 2


def test_invoke_bodies_become_json_whatever_form_they_took():
    card = {"type": "AdaptiveCard", "version": "1.5", "body": []}
    model = AdaptiveCardInvokeResponse(status_code=200, type="application/vnd.microsoft.card.adaptive", value=card)
    expected = {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": card}
    assert to_json(model) == expected
    assert to_json(expected) == expected
    assert to_json({"wrapped": [model]}) == {"wrapped": [expected]}
    assert to_json(None) is None
    info = TaskModuleTaskInfo(title="Log a problem", height="large")
    dialog = MessagingExtensionActionResponse(task=TaskModuleContinueResponse(value=info))
    assert to_json(dialog) == {"task": {"type": "continue", "value": {"title": "Log a problem", "height": "large"}}}


def test_http_answers_for_invokes_and_other_turns():
    assert TallyBotAdapter.http_response(None).status == 201
    assert TallyBotAdapter.http_response(InvokeResponse(status=501)).status == 501
    answer = TallyBotAdapter.http_response(InvokeResponse(status=200, body={"a": 1}))
    assert answer.status == 200 and answer.body == b'{"a": 1}' and answer.content_type == "application/json"

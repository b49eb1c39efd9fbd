"""Teams with credentials set: every request's Bot Framework token is verified; failures are 401, never 500.

The Bot Framework's signing keys are served by a fake OpenID metadata endpoint on 127.0.0.1 (in a
thread: botbuilder fetches them with blocking requests), so forged, expired and misaddressed
tokens are checked for real, with real signatures. Tally's own bearer tokens, for what it sends to
the connector, come from a fake login service on 127.0.0.1 (Microsoft Entra is unreachable here).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from adapters.config import Settings
from adapters.server import create_app
from adapters.teams.routes import TEAMS
from bot import commands as c
from bot.replies import Reply
from storage.model import Platform
from tests.conftest import WORKED_EXAMPLE
from tests.e2e.conftest import RunningTally
from tests.e2e.fake_connector import activity, start_fake_connector

APP_ID = "0b1d5c7e-1111-4222-8333-944445555666"
APP_PASSWORD = "not-a-real-password"
ISSUER = "https://api.botframework.com"
KID = "tally-test-signing-key"
OUTBOUND_TOKEN = "tally-outbound-token-from-the-fake-login-service"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING_KEY = _key()
OTHER_KEY = _key()


class _Metadata(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        port = self.server.server_address[1]
        if self.path.startswith("/keys"):
            jwk = json.loads(RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
            body = {"keys": [{**jwk, "kid": KID, "use": "sig", "endorsements": ["msteams"]}]}
        else:
            body = {"issuer": ISSUER, "jwks_uri": f"http://127.0.0.1:{port}/keys"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def metadata_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Metadata)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/openidconfiguration"
    server.shutdown()
    server.server_close()


class FakeLogin:
    """Microsoft Entra's token endpoint for the client credentials grant, on 127.0.0.1."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.server: TestServer | None = None

    @property
    def url(self) -> str:  # what TO_CHANNEL_FROM_BOT_LOGIN_URL names: the authority, tenant included
        assert self.server is not None
        return str(self.server.make_url("/botframework.com"))

    async def token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.requests.append({k: str(v) for k, v in form.items()})
        if form.get("client_id") != APP_ID or form.get("client_secret") != APP_PASSWORD:
            return web.json_response({"error": "invalid_client", "error_description": "AADSTS7000215"}, status=401)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "access_token": OUTBOUND_TOKEN})


@pytest.fixture
async def login():
    fake = FakeLogin()
    app = web.Application()
    app.router.add_post("/botframework.com/oauth2/v2.0/token", fake.token)
    fake.server = TestServer(app, host="127.0.0.1")
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.fixture
async def secured(db_url, metadata_url, login, fixed_clock):
    connector = await start_fake_connector()
    authorizations: list[str | None] = []  # the Authorization header of each activity the fake connector got
    record = connector._record

    async def recording(request: web.Request, kind: str) -> web.Response:
        authorizations.append(request.headers.get("Authorization"))
        return await record(request, kind)

    connector._record = recording  # type: ignore[method-assign]
    settings = Settings(
        database_url=db_url,
        microsoft_app_id=APP_ID,
        microsoft_app_password=APP_PASSWORD,
        teams_openid_metadata_url=metadata_url,
        teams_login_url=login.url,
    )
    server = TestServer(create_app(settings, clock=fixed_clock), host="127.0.0.1")
    await server.start_server()
    running = RunningTally(server, None, None)  # type: ignore[arg-type]
    running.connector = connector  # type: ignore[attr-defined]
    running.authorizations = authorizations  # type: ignore[attr-defined]
    running.login = login  # type: ignore[attr-defined]
    yield running
    await server.close()
    assert connector.server is not None
    await connector.server.close()


def token(service_url: str, *, key=SIGNING_KEY, audience: str = APP_ID, expires_in: int = 3600) -> str:  # type: ignore[no-untyped-def]
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": audience, "nbf": now - 60, "exp": now + expires_in, "serviceurl": service_url}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


async def post(running, body: dict, authorization: str | None) -> int:  # type: ignore[no-untyped-def]
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(running.url("/api/messages"), json=body, headers=headers) as resp,
    ):
        return resp.status


def message(running) -> dict:  # type: ignore[no-untyped-def]
    return activity("message_personal", running.connector.service_url, text="problem " + WORKED_EXAMPLE)


@pytest.mark.parametrize(
    "make_header",
    [
        pytest.param(lambda url: None, id="missing"),
        pytest.param(lambda url: "Bearer not-even-a-jwt", id="garbage"),
        pytest.param(lambda url: "Bearer " + token(url, key=OTHER_KEY), id="forged-signature"),
        pytest.param(lambda url: "Bearer " + token(url, expires_in=-600), id="expired"),
        pytest.param(lambda url: "Bearer " + token(url, audience="someone-elses-bot"), id="wrong-audience"),
        pytest.param(lambda url: "Basic " + token(url), id="wrong-scheme"),
    ],
)
async def test_unverified_requests_get_401_and_store_nothing(secured, make_header):
    body = message(secured)
    status = await post(secured, body, make_header(body["serviceUrl"]))
    assert status == 401
    assert secured.count("select count(*) from problem") == 0
    assert secured.count("select count(*) from conversation_ref") == 0
    assert secured.connector.sent == []


async def test_invokes_are_verified_too(secured):
    body = activity("invoke_extension_submit", secured.connector.service_url)
    forged = "Bearer " + token(body["serviceUrl"], key=OTHER_KEY)
    assert await post(secured, body, forged) == 401
    assert secured.count("select count(*) from problem") == 0


async def test_a_valid_token_is_accepted(secured):
    """The control for the 401s above: the same request with a genuine token gets through to the bot, and
    the reply reaches the connector carrying the bearer token Tally got from the (fake) login service."""
    body = message(secured)
    status = await post(secured, body, "Bearer " + token(body["serviceUrl"]))
    assert status in (200, 201)
    assert secured.count("select count(*) from problem") == 1
    assert secured.count("select count(*) from conversation_ref") == 1
    (reply,) = secured.connector.of("reply")
    assert reply.card["type"] == "AdaptiveCard"
    assert secured.authorizations == [f"Bearer {OUTBOUND_TOKEN}"]
    (asked,) = secured.login.requests
    assert asked == {
        "grant_type": "client_credentials",
        "client_id": APP_ID,
        "client_secret": APP_PASSWORD,
        "scope": "https://api.botframework.com/.default",
    }


async def test_the_outbound_token_is_cached_across_turns(secured):
    for i in range(3):
        body = activity("message_personal", secured.connector.service_url, text="tally help", id=f"help-{i}")
        assert await post(secured, body, "Bearer " + token(body["serviceUrl"])) in (200, 201)
    assert len(secured.connector.of("reply")) == 3
    assert secured.authorizations == [f"Bearer {OUTBOUND_TOKEN}"] * 3
    assert len(secured.login.requests) == 1


async def test_proactive_posts_carry_the_token_too(secured):
    body = activity("conversation_update", secured.connector.service_url)
    assert await post(secured, body, "Bearer " + token(body["serviceUrl"])) in (200, 201)
    tenant = body["channelData"]["tenant"]["id"]
    notifier = secured.server.app[TEAMS].notifier
    await notifier.post(c.WorkspaceRef(Platform.TEAMS, tenant), body["conversation"]["id"], Reply(text="Digest"))
    welcome, digest = secured.connector.sent
    assert welcome.conversation_id == digest.conversation_id == body["conversation"]["id"]
    assert digest.card["body"][0]["text"] == "Digest"
    assert secured.authorizations == [f"Bearer {OUTBOUND_TOKEN}"] * 2
    assert len(secured.login.requests) == 1

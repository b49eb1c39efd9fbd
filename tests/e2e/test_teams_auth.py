"""Teams with credentials set: every request's Bot Framework token is verified; failures are 401, never 500.

The Bot Framework's signing keys are served by a fake OpenID metadata endpoint on 127.0.0.1 (in a
thread: botbuilder fetches them with blocking requests), so forged, expired and misaddressed
tokens are checked for real, with real signatures.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import jwt
import pytest
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from adapters.config import Settings
from adapters.server import create_app
from tests.conftest import WORKED_EXAMPLE
from tests.e2e.conftest import RunningTally
from tests.e2e.fake_connector import activity, start_fake_connector

APP_ID = "0b1d5c7e-1111-4222-8333-944445555666"
ISSUER = "https://api.botframework.com"
KID = "tally-test-signing-key"


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


@pytest.fixture
async def secured(db_url, metadata_url, fixed_clock):
    connector = await start_fake_connector()
    settings = Settings(
        database_url=db_url,
        microsoft_app_id=APP_ID,
        microsoft_app_password="not-a-real-password",
        teams_openid_metadata_url=metadata_url,
    )
    server = TestServer(create_app(settings, clock=fixed_clock), host="127.0.0.1")
    await server.start_server()
    running = RunningTally(server, None, None)  # type: ignore[arg-type]
    running.connector = connector  # type: ignore[attr-defined]
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
    """The control for the 401s above: the same request with a genuine token gets through to the bot."""
    body = message(secured)
    status = await post(secured, body, "Bearer " + token(body["serviceUrl"]))
    assert status in (200, 201)  # the reply itself needs Microsoft Entra, which this machine cannot reach
    assert secured.count("select count(*) from problem") == 1
    assert secured.count("select count(*) from conversation_ref") == 1

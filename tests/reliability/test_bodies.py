"""Issue 11, item 3 (the request level): hostile bodies to every POST route get a 4xx and the server stays up.

Truncated, 5,000-deep, wrong content type, not UTF-8, not an object, 10 MB: to /slack/events unsigned
(401) and correctly signed (400, 415, or 413 past the size limit: a signature proves who sent it, not
that it is a Slack payload), and to /api/messages with Teams credentials, with no token (401, before
the body is read), a forged one (401) and a genuine one (400 / 415 / 413), and in Emulator mode. After
each batch /healthz answers 200, no table changed, nothing was sent to Slack or Teams, and nothing
was logged at ERROR or quoted a body.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from urllib.parse import quote, urlencode

import aiohttp
import pytest

from adapters.config import Settings
from adapters.server import MAX_REQUEST_BYTES, create_app
from tests.e2e.slack_client import SIGNING_SECRET, sign
from tests.e2e.test_teams_auth import (  # noqa: F401 - fixtures, found by pytest by name
    OTHER_KEY,
    login,
    metadata_url,
    secured,
    token,
)
from tests.reliability.test_authenticity import stored

FIGURES: Counter[str] = Counter()
DEPTH = 5000
TEN_MB = 10 * 1024 * 1024
MARK = "ZQXJ-hostile-body-marker"  # in every body: must never reach a log line
JSON, FORM = "application/json", "application/x-www-form-urlencoded"
POST_ROUTES = {"/slack/events", "/api/messages"}


@pytest.fixture(scope="module", autouse=True)
def report_figures():
    yield
    print(f"\n[figures] test_bodies: {sum(FIGURES.values())} requests: {dict(sorted(FIGURES.items()))}")


def deep(depth: int = DEPTH) -> str:
    return '{"a":' * depth + f'"{MARK}"' + "}" * depth


def slack_bodies(tally) -> dict[str, tuple[bytes, str]]:  # type: ignore[no-untyped-def]
    """Each hostile body with the content type it claims."""
    event = json.dumps({**tally.slack.payload("app_home_opened"), "marker": MARK})
    button = json.dumps({**tally.slack.payload("block_actions"), "marker": MARK})
    slash = urlencode({**tally.slack.payload("slash_command"), "text": MARK})
    return {
        "truncated JSON": (event[: len(event) // 2].encode(), JSON),
        "truncated payload form": (("payload=" + quote(button[: len(button) // 2])).encode(), FORM),
        "truncated slash form": (slash[: slash.index("user_id")].encode(), FORM),
        "payload that is not JSON": (f"payload={MARK}".encode(), FORM),
        "payload that is a list": (("payload=" + quote(f'["{MARK}"]')).encode(), FORM),
        "JSON that is a list": (f'["{MARK}"]'.encode(), JSON),
        "JSON that is a string": (f'"{MARK}"'.encode(), JSON),
        "5,000-deep JSON": (deep().encode(), JSON),
        "5,000-deep list": (("[" * DEPTH + f'"{MARK}"' + "]" * DEPTH).encode(), JSON),
        "5,000-deep event": ((event[:-1] + ', "deep": ' + deep() + "}").encode(), JSON),
        "5,000-deep payload form": (("payload=" + quote(deep())).encode(), FORM),
        "text/plain": (event.encode(), "text/plain"),
        "XML": (f"<event>{MARK}</event>".encode(), "application/xml"),
        "multipart": (
            f"--b\r\nContent-Disposition: form-data; name=payload\r\n\r\n{MARK}\r\n--b--".encode(),
            "multipart/form-data; boundary=b",
        ),
        "not UTF-8": (b"\xff\xfe" + MARK.encode("utf-16-le"), JSON),
        "NUL bytes": (event.replace("{", "{\x00", 1).encode(), JSON),
        "10 MB": (b'{"marker": "' + MARK.encode() + b'", "pad": "' + b"x" * TEN_MB + b'"}', JSON),
    }


async def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as resp:
        return resp.status, await resp.text()


async def healthz(running) -> int:  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as session, session.get(running.url("/healthz")) as resp:
        return resp.status


def assert_quiet(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing at ERROR (so no traceback), and no log line quoting a body."""
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    assert MARK not in caplog.text


def test_the_server_has_no_other_post_route():
    """Every POST route is one these tests attack, with both Slack and Teams served."""
    settings = Settings(
        database_url="sqlite://", slack_signing_secret=SIGNING_SECRET, slack_bot_token="xoxb-x", microsoft_app_id="x"
    )
    app = create_app(settings)
    routes = {r.resource.canonical for r in app.router.routes() if r.method == "POST" and r.resource is not None}
    assert routes == POST_ROUTES


async def test_hostile_bodies_to_slack_get_4xx_and_the_server_stays_up(tally, caplog):
    caplog.set_level(logging.DEBUG)
    before = stored(tally)
    for name, (body, content_type) in slack_bodies(tally).items():
        now = int(time.time())
        status, text = await post(tally.url("/slack/events"), body, {"Content-Type": content_type})
        FIGURES["slack unsigned"] += 1
        assert status == (413 if len(body) > TEN_MB else 401), (name, status, text)
        signature = _sign_bytes(body, now)
        signed = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": signature}
        status, text = await post(tally.url("/slack/events"), body, signed)
        FIGURES["slack signed"] += 1
        if len(body) > TEN_MB:
            assert status == 413, name
        elif name == "not UTF-8":
            assert status == 401, (name, status, text)  # Slack signs UTF-8 text: these bytes can't be its
        else:
            assert status in (400, 415) or (status == 200 and text == ""), (name, status, text)
        assert await healthz(tally) == 200, name
    await tally.settle()
    assert stored(tally) == before
    # Bolt's authorization asks Slack whose the bot token is (auth.test, read-only) before it finds no listener.
    assert [c.method for c in tally.fake.calls if c.method != "auth.test"] == [] and tally.fake.responses == []
    assert_quiet(caplog)


async def test_the_size_limit_is_the_servers_own(tally):
    """Just under the limit a signed body is read (and, naming nothing Tally listens for, answered with nothing);
    past it, 413 unread."""
    for size, expected in ((MAX_REQUEST_BYTES - 64, 200), (MAX_REQUEST_BYTES + 1, 413)):
        body = b'{"pad": "' + b"x" * (size - 11) + b'"}'
        now = int(time.time())
        headers = {
            "Content-Type": JSON,
            "X-Slack-Request-Timestamp": str(now),
            "X-Slack-Signature": _sign_bytes(body, now),
        }
        status, _ = await post(tally.url("/slack/events"), body, headers)
        FIGURES["slack signed at the size limit"] += 1
        assert status == expected, (size, status)


def _sign_bytes(body: bytes, timestamp: int) -> str:
    """Slack's signature over the raw bytes, for bodies that aren't UTF-8 text too."""
    import hashlib
    import hmac

    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


def test_the_byte_signature_is_slacks_signature():
    assert _sign_bytes(b"token=x&text=y", 1700000000) == sign("token=x&text=y", 1700000000)


def teams_bodies(service_url: str) -> dict[str, tuple[bytes, str]]:
    message = {
        "type": "message",
        "id": "hostile-1",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": "29:1alice-teams-id"},
        "conversation": {"id": "a:1personal-chat-with-alice", "tenantId": "72f988bf-0000-4000-8000-00000c0unc11"},
        "recipient": {"id": "28:tally-bot-app-id"},
        "text": f"problem {MARK}",
    }
    text = json.dumps(message)
    return {
        "truncated JSON": (text[: len(text) // 2].encode(), JSON),
        "JSON that is a list": (f'["{MARK}"]'.encode(), JSON),
        "5,000-deep JSON": (deep().encode(), JSON),
        "5,000-deep value": (text.replace('"text":', '"value": ' + deep() + ', "text":').encode(), JSON),
        "wrongly typed envelope": (json.dumps({**message, "serviceUrl": [service_url], "channelId": 5}).encode(), JSON),
        "wrongly typed fields": (json.dumps({**message, "from": MARK, "conversation": 5}).encode(), JSON),
        "a number for text": (json.dumps({**message, "text": 5, "id": MARK}).encode(), JSON),
        "an object for an id": (json.dumps({**message, "id": {"marker": MARK}}).encode(), JSON),
        "card data that is not an object": (
            json.dumps({**message, "type": "invoke", "value": {"action": {"data": MARK}}}).encode(),
            JSON,
        ),
        "no serviceUrl": (json.dumps({k: v for k, v in message.items() if k != "serviceUrl"}).encode(), JSON),
        "form": (f"payload={MARK}".encode(), FORM),
        "text/plain": (text.encode(), "text/plain"),
        "not UTF-8": (b"\xff\xfe" + MARK.encode("utf-16-le"), JSON),
        "empty": (b"", JSON),
        "10 MB": (text.replace('"text":', '"pad": "' + "x" * TEN_MB + '", "text":').encode(), JSON),
    }


async def test_hostile_bodies_to_teams_get_4xx_and_the_server_stays_up(secured, caplog):  # noqa: F811 - the fixture
    caplog.set_level(logging.DEBUG)
    before = stored(secured)
    url = secured.url("/api/messages")
    for name, (body, content_type) in teams_bodies(secured.connector.service_url).items():
        genuine = "Bearer " + token(secured.connector.service_url)
        forged = "Bearer " + token(secured.connector.service_url, key=OTHER_KEY)
        status, text = await post(url, body, {"Content-Type": content_type})
        FIGURES["teams no token"] += 1
        assert status == 401, (name, status, text)  # refused before the body is read, whatever its size
        status, text = await post(url, body, {"Content-Type": content_type, "Authorization": forged})
        FIGURES["teams forged token"] += 1
        assert status == (413 if len(body) > TEN_MB else 401), (name, status, text)
        status, text = await post(url, body, {"Content-Type": content_type, "Authorization": genuine})
        FIGURES["teams genuine token"] += 1
        if len(body) > TEN_MB:
            assert status == 413, name
        else:
            assert status in (400, 415), (name, status, text)
        assert await healthz(secured) == 200, name
    assert stored(secured) == before
    assert secured.connector.sent == []
    assert_quiet(caplog)


async def test_hostile_bodies_in_emulator_mode_get_4xx_too(teams, caplog):
    caplog.set_level(logging.DEBUG)
    before = stored(teams)
    for name, (body, content_type) in teams_bodies(teams.connector.service_url).items():
        status, text = await post(teams.url("/api/messages"), body, {"Content-Type": content_type})
        FIGURES["teams emulator mode"] += 1
        expected = (413,) if len(body) > TEN_MB else (400, 415)
        assert status in expected, (name, status, text)
        assert await healthz(teams) == 200, name
    assert stored(teams) == before
    assert teams.connector.sent == []
    assert_quiet(caplog)

"""Issue 11, item 1: requests that don't prove they come from Slack or Microsoft get 401 and store nothing.

Slack: each body kind (slash command form, block_actions and view_submission payload forms, an Events API
JSON event) sent unsigned, badly signed, tampered, stale, from the future, and replayed (an old signature
with a new timestamp, and with its own old one); every table is dumped before and after and must not
change, and the fake Slack must hear nothing. Teams (credentials set, the signing keys served on
127.0.0.1 by tests/e2e/test_teams_auth.py's fixtures): each activity kind with no token, an expired
one, one not yet valid, the wrong audience, the wrong issuer, another service's serviceUrl, a forged
signature, an unknown key and `alg: none`. Each test ends with a control: the same body, correctly
signed, is accepted, so a 401 can't come from a body Tally would have refused anyway.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlencode

import aiohttp
import jwt
import pytest

from tests.conftest import WORKED_EXAMPLE
from tests.databases import dump_tables
from tests.e2e.fake_connector import activity
from tests.e2e.slack_client import new_trigger_id, sign
from tests.e2e.test_teams_auth import (  # noqa: F401 - fixtures, found by pytest by name
    APP_ID,
    ISSUER,
    KID,
    OTHER_KEY,
    SIGNING_KEY,
    login,
    metadata_url,
    secured,
)

FIGURES: Counter[str] = Counter()  # requests sent, by kind: printed for RELIABILITY.md at the end of the module


@pytest.fixture(scope="module", autouse=True)
def report_figures():
    yield
    print(f"\n[figures] test_authenticity: {sum(FIGURES.values())} requests: {dict(sorted(FIGURES.items()))}")


def stored(running) -> str:  # type: ignore[no-untyped-def]
    """Every row of every table, except the default forum the scheduler makes, on its own time, for a workspace
    it finds (that it is the scheduler's and only the default is checked: any other forum row would show)."""
    tables = dump_tables(running.engine)
    forums = tables.pop("forum")
    assert "Improvement forum" in forums or forums == "[]", forums
    return "\n".join(f"{table}: {rows}" for table, rows in tables.items())


# --- Slack -------------------------------------------------------------------------------------------------
FORM = "application/x-www-form-urlencoded"


def slack_bodies(tally) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Each kind of body Slack sends, as it would send it: a fresh trigger_id each, so none is a redelivery."""
    slash = {**tally.slack.payload("slash_command"), "text": WORKED_EXAMPLE, "trigger_id": new_trigger_id()}
    button = {**tally.slack.payload("block_actions"), "trigger_id": new_trigger_id()}
    view = {**tally.slack.payload("view_submission"), "trigger_id": new_trigger_id()}
    return {
        "slash_command": (urlencode(slash), FORM),
        "block_actions": (urlencode({"payload": json.dumps(button)}), FORM),
        "view_submission": (urlencode({"payload": json.dumps(view)}), FORM),
        "event": (json.dumps(tally.slack.payload("app_home_opened")), "application/json"),
    }


def slack_attacks(body: str) -> dict[str, dict[str, str]]:
    """Headers for each way of failing to prove a request is Slack's; the body is sent as it is."""
    now = int(time.time())
    old = now - 6 * 60
    captured = sign(body, old)  # what an eavesdropper kept from a request six minutes ago
    return {
        "no headers": {},
        "timestamp, no signature": {"X-Slack-Request-Timestamp": str(now)},
        "signature, no timestamp": {"X-Slack-Signature": sign(body, now)},
        "wrong secret": {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": sign(body, now, "not-the-secret")},
        "signature of another body": {
            "X-Slack-Request-Timestamp": str(now),
            "X-Slack-Signature": sign(body.replace("17", "71"), now),
        },
        "signature of another time": {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": sign(body, now - 1)},
        "garbage signature": {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=not-hex"},
        "v1 scheme": {
            "X-Slack-Request-Timestamp": str(now),
            "X-Slack-Signature": sign(body, now).replace("v0=", "v1="),
        },
        "non-numeric timestamp": {"X-Slack-Request-Timestamp": "now", "X-Slack-Signature": sign(body, now)},
        "stale, 6 minutes old": {"X-Slack-Request-Timestamp": str(old), "X-Slack-Signature": captured},
        "from the future, 6 minutes on": {
            "X-Slack-Request-Timestamp": str(now + 6 * 60),
            "X-Slack-Signature": sign(body, now + 6 * 60),
        },
        "replayed with a new timestamp": {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": captured},
    }


async def send_slack(tally, body: str, content_type: str, headers: dict[str, str]) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            tally.url("/slack/events"), data=body.encode(), headers={"Content-Type": content_type, **headers}
        ) as resp,
    ):
        answer = resp.status, await resp.text()
    await tally.settle()
    return answer


async def test_unproven_slack_requests_get_401_and_store_nothing(tally):
    await tally.slack.slash("Printer jammed 10m")  # something there already: a problem #1 the button presses
    for kind in ("slash_command", "block_actions", "view_submission", "event"):
        tally.fake.calls.clear()
        tally.fake.responses.clear()
        body, content_type = slack_bodies(tally)[kind]
        before = stored(tally)
        for attack, headers in slack_attacks(body).items():
            status, text = await send_slack(tally, body, content_type, headers)
            FIGURES[f"slack {kind}"] += 1
            assert status == 401, (kind, attack, status, text)
            assert stored(tally) == before, (kind, attack)
            assert tally.fake.calls == [] and tally.fake.responses == [], (kind, attack)
        # The control: the same body, signed now with the right secret, is Slack's and is acted on.
        now = int(time.time())
        signed = {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": sign(body, now)}
        status, _ = await send_slack(tally, body, content_type, signed)
        FIGURES[f"slack {kind} control"] += 1
        assert status == 200, kind
        changed = stored(tally) != before or tally.fake.calls or tally.fake.responses
        assert changed, f"the correctly signed {kind} changed nothing"


# --- Teams -------------------------------------------------------------------------------------------------
def claims(service_url: str, **changes: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "iss": ISSUER,
        "aud": APP_ID,
        "nbf": now - 60,
        "exp": now + 3600,
        "serviceurl": service_url,
    }
    base.update(changes)
    return base


def bearer(payload: dict[str, object], *, key=SIGNING_KEY, kid: str = KID) -> str:  # type: ignore[no-untyped-def]
    return "Bearer " + jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def unsigned(payload: dict[str, object]) -> str:
    """`alg: none`: a token that claims everything and proves nothing."""
    import base64

    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"Bearer {part({'alg': 'none', 'typ': 'JWT', 'kid': KID})}.{part(payload)}."


TEAMS_ATTACKS: dict[str, Callable[[str], str | None]] = {
    "no token": lambda url: None,
    "empty bearer": lambda url: "Bearer ",
    "expired": lambda url: bearer(claims(url, exp=int(time.time()) - 600, nbf=int(time.time()) - 4000)),
    "not yet valid": lambda url: bearer(claims(url, nbf=int(time.time()) + 3600, exp=int(time.time()) + 7200)),
    "wrong audience": lambda url: bearer(claims(url, aud="another-bots-app-id")),
    "wrong issuer": lambda url: bearer(claims(url, iss="https://login.example.com/not-the-bot-framework")),
    "no issuer": lambda url: bearer({k: v for k, v in claims(url).items() if k != "iss"}),
    "another serviceUrl": lambda url: bearer(claims("https://smba.example.com/elsewhere/")),
    "forged signature": lambda url: bearer(claims(url), key=OTHER_KEY),
    "unknown signing key": lambda url: bearer(claims(url), key=OTHER_KEY, kid="someone-elses-key"),
    "alg none": lambda url: unsigned(claims(url)),
    "basic scheme": lambda url: bearer(claims(url)).replace("Bearer ", "Basic "),
}

TEAMS_KINDS = {
    "message_personal": lambda url: activity("message_personal", url, text="problem " + WORKED_EXAMPLE),
    "message_channel": lambda url: activity("message_channel", url),
    "conversation_update": lambda url: activity("conversation_update", url),
    "invoke_card_action": lambda url: activity("invoke_card_action", url),
    "invoke_extension_submit": lambda url: activity("invoke_extension_submit", url),
}


async def send_teams(running, body: dict, authorization: str | None) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(running.url("/api/messages"), json=body, headers=headers) as resp,
    ):
        return resp.status, await resp.text()


async def test_unverified_teams_requests_get_401_never_500_and_store_nothing(secured):  # noqa: F811 - the fixture
    for kind, make_body in TEAMS_KINDS.items():
        body = make_body(secured.connector.service_url)
        before, sent = stored(secured), len(secured.connector.sent)
        for attack, make in TEAMS_ATTACKS.items():
            status, text = await send_teams(secured, body, make(body["serviceUrl"]))
            FIGURES[f"teams {kind}"] += 1
            assert status == 401, (kind, attack, status, text)
            assert stored(secured) == before, (kind, attack)
            assert len(secured.connector.sent) == sent, (kind, attack)
        status, _ = await send_teams(secured, body, bearer(claims(body["serviceUrl"])))
        FIGURES[f"teams {kind} control"] += 1
        assert status in (200, 201), kind
        assert stored(secured) != before or len(secured.connector.sent) > sent, f"the genuine {kind} changed nothing"

"""The log redactor: tokens and secrets never reach a log line, ordinary lines stay readable."""

from __future__ import annotations

import io
import logging

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from adapters.config import Settings
from adapters.logs import KEYED_PATTERN, LIBRARY_LEVELS, REDACTED, TOKEN_PATTERN, configure_logging, redact


@pytest.mark.parametrize(
    "token",
    [
        "xoxb-1234-5678-AbCdEf",
        "xoxp-1-2-3-abc",
        "xapp-1-A0123-456-deadbeef",
        "xoxe.xoxb-1-Zm9vYmFy",
        "xoxe-1-refresh-token",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJl",
    ],
)
def test_platform_tokens_are_redacted_wherever_they_appear(token):
    line = redact(f"Received the following response - body: {{'ok': True, 'x': '{token}'}}")
    assert token not in line and REDACTED in line


@pytest.mark.parametrize(
    ("line", "hidden"),
    [
        ("headers: {'Authorization': 'Bearer abc.def-ghi'}", "abc.def-ghi"),
        ("body_params: {'client_secret': 'shh-its-secret', 'client_id': '111.222'}", "shh-its-secret"),
        ("query: {'code': ['one-time-code'], 'state': ['s1']}", "one-time-code"),
        ("token=verification-token&team_id=T123&text=Printer", "verification-token"),
        ('{"password": "hunter2", "user": "alice"}', "hunter2"),
        ("{'refresh_token': 'r-123', 'bot_user_id': 'U1'}", "r-123"),
    ],
)
def test_credentials_named_by_their_key_are_redacted(line, hidden):
    redacted = redact(line)
    assert hidden not in redacted and REDACTED in redacted


@pytest.mark.parametrize(
    "line",
    [
        "GET /slack/events 200 9.8ms",
        "ReportProblem handled in 4.2 ms",
        "{'client_id': '111.222', 'team_id': 'T123', 'token_type': 'bot'}",
        "Slack installation saved for team T0NEW",
    ],
)
def test_ordinary_lines_are_left_alone(line):
    assert redact(line) == line


def test_configured_secrets_are_hidden_even_without_a_telltale_shape():
    settings = Settings(slack_signing_secret="8f742231b10e", microsoft_app_password="pa55", secret_key="k3y-phrase")
    assert set(settings.secret_values()) == {"8f742231b10e", "pa55", "k3y-phrase"}
    line = redact("signing with 8f742231b10e, then k3y-phrase", settings.secret_values())
    assert line == f"signing with {REDACTED}, then {REDACTED}"


@pytest.fixture
def restored_logging():
    """configure_logging changes process-wide levels: put them back for the tests that follow."""
    names = ["", *LIBRARY_LEVELS]
    levels = {name: logging.getLogger(name).level for name in names}
    handlers = list(logging.getLogger().handlers)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    for handler in logging.getLogger().handlers:
        if handler not in handlers:
            logging.getLogger().removeHandler(handler)


def test_every_library_logs_through_the_redactor_tracebacks_included(restored_logging):
    stream = io.StringIO()
    configure_logging(verbose=True, secrets=["plain-secret-value"], stream=stream)
    logging.getLogger("slack_sdk.web").warning("response body: {'access_token': 'xoxb-1-2-secret'}")
    try:
        raise RuntimeError("failed while holding plain-secret-value")
    except RuntimeError:
        logging.getLogger("tally.errors").exception("unhandled error")
    out = stream.getvalue()
    assert "slack_sdk.web" in out and "Traceback" in out and "RuntimeError" in out
    assert "xoxb-1-2-secret" not in out and "plain-secret-value" not in out


def test_verbose_is_tallys_own_debug_not_the_payload_dumps_of_platform_sdks(restored_logging):
    stream = io.StringIO()
    configure_logging(verbose=True, stream=stream)
    logging.getLogger("tally.bus").debug("ReportProblem handled in 4.2 ms")
    logging.getLogger("slack_bolt.AsyncApp").debug("payload: {'user_id': 'U0WHISTLE'}")
    logging.getLogger("botbuilder.core").debug("activity from 29:whistleblower")
    out = stream.getvalue()
    assert "ReportProblem handled" in out
    assert "U0WHISTLE" not in out and "whistleblower" not in out


def _by_the_patterns_alone(line: str) -> str:
    return KEYED_PATTERN.sub(lambda m: m.group("key") + REDACTED, TOKEN_PATTERN.sub(REDACTED, line))


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "xox",
                "b-1-2",
                "XAPP-",
                "eyJ",
                "a.b",
                ".c",
                "Bearer ",
                "token",
                "TOKEN",
                "client_",
                "secret",
                "code",
                "pass",
                "word",
                "=",
                ":",
                "'",
                '"',
                " ",
                "&",
                "ſ",
                "\u212a",
                "S",
                "k",
                "e",
                "n",
                "t",
                "o",
                "/slack/events",
                "POST",
                "200",
                "ß",
            ]
        ),
        max_size=14,
    ).map("".join)
)
@example("ſecret=abc")
@example("to\u212aen: abc")
def test_skipping_lines_without_a_telltale_word_redacts_exactly_what_the_patterns_would(line):
    """Including the letters IGNORECASE matches that are not the ASCII ones (ſ for s, the Kelvin sign for k)."""
    assert redact(line) == _by_the_patterns_alone(line)


def test_an_access_log_line_is_left_as_it_is():
    line = "2026-12-05 02:50:00,123 INFO aiohttp.access: POST /slack/events 200 3.2ms"
    assert redact(line) == line

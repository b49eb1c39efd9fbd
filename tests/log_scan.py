"""A pytest plugin: every log record of the whole test run is scanned for the secrets the tests use (issue 11, item 9).

A handler on the root logger sees every record any test makes Tally (or a library inside it) write, with Tally's own
loggers at DEBUG as `tally serve -v` has them. A record holding one of the suite's tokens, client secrets, signing
secrets, secret keys or app passwords fails the run at its end, naming the test and the line. Tally's own records,
and the libraries' at INFO and above (what `tally serve` writes), are checked as they are, unredacted: nothing may
rely on the redactor there. The libraries' DEBUG records, which `tally serve` never writes (adapters.logs caps them
at INFO) but a test may turn on, are checked as the redactor would write them with no secret named to it.

Registered from tests/conftest.py (`pytest_plugins`). The secrets of tests/unit/test_logs.py, which logs tokens on
purpose to test the redactor, are not on the list.
"""

from __future__ import annotations

import logging
import os

import pytest

from adapters.logs import redact

# Every platform token, client secret, signing secret, secret key and app password the e2e, integration and
# reliability tests configure or have the fakes hand out.
KNOWN_SECRETS = (
    "8f742231b10e8888abcd99yyyzzz85a5",  # Slack signing secret (tests/e2e/slack_client.py)
    "xoxb-single-workspace-token",
    "xoxb-installed-secret-token",  # what fake Slack's oauth.v2.access hands out
    "xoxb-grid-org-wide-token",
    "xoxb-cli-token",
    "xoxb-replica-token",
    "xoxb-1234-secret-token",
    "xoxb-T0AAAAAAA-token",  # tests/reliability/test_isolation.py's two installations
    "xoxb-T0BBBBBBB-token",
    "xoxb-rotated-install-token",  # tests/reliability/test_secrets.py
    "xapp-1-socket-mode-token",
    "client-secret",  # the OAuth tests' Slack client secret (and test_serve_process's, which begins with it)
    "a-long-random-phrase-for-tests-only",  # TALLY_SECRET_KEY of the OAuth tests
    "at-rest-key-that-must-never-be-logged",
    "roi-test-key",
    "replica-test-key",
    "cli-test-key",
    "rotated-in-secret-key",  # tests/reliability/test_secrets.py
    "not-a-real-password",  # Teams app password
    "tally-outbound-token-from-the-fake-login-service",
)
SCANNED = pytest.StashKey[int]()


class SecretScan(logging.Handler):
    """Remembers the lines that hold a known secret, and how many lines it saw."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")
        self.seen = 0
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # noqa: BLE001 - a record that can't be formatted can't leak through a formatter either
            return
        self.seen += 1
        if record.levelno < logging.INFO and not record.name.startswith("tally"):
            line = redact(line)
        if hits := [secret for secret in KNOWN_SECRETS if secret in line]:
            test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
            self.leaks.append(f"{test}: {hits} in {line[:300]}")


SCAN = SecretScan()


def pytest_sessionstart(session: pytest.Session) -> None:
    logging.getLogger().addHandler(SCAN)
    logging.getLogger("tally").setLevel(logging.DEBUG)  # Tally's own debug, as `tally serve -v` writes it


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    logging.getLogger().removeHandler(SCAN)
    if SCAN.leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if SCAN.leaks:
        terminalreporter.section("secrets in the logs", sep="=", red=True)
        for leak in SCAN.leaks[:50]:
            terminalreporter.write_line(leak)
    elif SCAN.seen:
        terminalreporter.write_line(f"log scan: {SCAN.seen} log lines, no known secret in any")

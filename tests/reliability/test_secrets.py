"""Issue 11, item 9: stored platform tokens are encrypted (the database's own bytes don't hold them), no token or
secret reaches a log line, even with every logger at DEBUG, and a rotated TALLY_SECRET_KEY still opens the
installations stored under the old key, moves them to the new one, and lets the old key go.

The logs are captured the way `tally serve -v` writes them (adapters.logs.configure_logging, its redacting
formatter and the settings' secrets), with every library logger forced to DEBUG on top, which `tally serve` never
does; Tally's own records, and every record at INFO or above, are also checked as they were made, before any
redaction. The whole suite's logs are scanned too: tests/log_scan.py, whose failing is proven here.

Run: .venv/bin/python -m pytest -q tests/reliability/test_secrets.py
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from adapters.config import Settings
from adapters.logs import LIBRARY_LEVELS, REDACTED, RedactingFormatter, configure_logging
from storage.secrets import SecretKeyError, TokenCipher
from storage.slack_installations import SlackInstallations
from tests.e2e.conftest import OAUTH_SECRET_KEY, oauth_settings, start_tally
from tests.e2e.fake_connector import activity
from tests.e2e.slack_client import SIGNING_SECRET, install
from tests.e2e.test_teams_auth import (  # noqa: F401 - fixtures, found by pytest by name
    APP_PASSWORD,
    OUTBOUND_TOKEN,
    login,
    metadata_url,
    secured,
    token,
)
from tests.e2e.test_teams_auth import post as signed_teams_post

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "xoxb-installed-secret-token"  # what fake Slack's oauth.v2.access hands out
NEW_KEY = "rotated-in-secret-key"
SLACK_SECRETS = (TOKEN, "client-secret", OAUTH_SECRET_KEY, SIGNING_SECRET)


def stored_text(db_url: str, engine) -> bytes:  # type: ignore[no-untyped-def]
    """What someone holding the database holds: SQLite's files byte for byte (the write-ahead log included), or
    every row of every PostgreSQL table as PostgreSQL renders it."""
    if db_url.startswith("sqlite"):
        path = Path(make_url(db_url).database or "")
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        return "\n".join(str(r[0]) for t in tables for r in conn.execute(text(f"select t::text from {t} t"))).encode()


async def test_a_stored_installation_holds_its_token_only_encrypted(db_url, fake_slack, fixed_clock):
    running = await start_tally(oauth_settings(db_url, fake_slack), fake_slack, fixed_clock)
    try:
        assert (await install(running.url)).status == 200
        await running.slack.slash("Printer jammed", team_id="T0NEW")
        assert fake_slack.called("chat.postMessage")[0].token == TOKEN  # the stored token is the one in use
        raw = stored_text(db_url, running.engine)
        assert b"T0NEW" in raw and b"Printer jammed" in raw  # the bytes read are the database's real contents
        for secret in SLACK_SECRETS:
            assert secret.encode() not in raw, secret
        store = SlackInstallations(running.engine, TokenCipher(OAUTH_SECRET_KEY))
        assert store.find(None, "T0NEW", False)["bot_token"] == TOKEN  # and it opens with the key
        print(f"\nstored bytes scanned: {len(raw):,}; token, client secret, key and signing secret: absent")
    finally:
        await running.server.close()


# --- logs -------------------------------------------------------------------------------------------------------
class Raw(logging.Handler):
    """Records as they were made, before any formatter could redact them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self, keep) -> list[str]:  # type: ignore[no-untyped-def]
        plain = logging.Formatter("%(levelname)s %(name)s: %(message)s")
        return [plain.format(r) for r in self.records if keep(r)]


@dataclasses.dataclass
class Captured:
    written: io.StringIO  # what tally serve -v would have written
    raw: Raw

    def tallys_own_and_info_up(self) -> list[str]:
        return self.raw.lines(lambda r: r.name.startswith("tally") or r.levelno >= logging.INFO)


@pytest.fixture
def logs_of() -> Iterator:
    """`logs_of(settings)`: logging set up as `tally serve -v` sets it up, then every library at DEBUG."""
    root = logging.getLogger()
    names = ("", "tally", *LIBRARY_LEVELS, "aiohttp", "aiohttp.access", "slack_bolt", "slack_sdk", "botbuilder")
    levels = {name: logging.getLogger(name).level for name in names}
    handlers = list(root.handlers)

    def start(settings: Settings) -> Captured:
        captured = Captured(io.StringIO(), Raw())
        configure_logging(True, settings.secret_values(), stream=captured.written)
        for name in names:
            logging.getLogger(name).setLevel(logging.DEBUG)
        root.addHandler(captured.raw)
        return captured

    yield start
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_a_whole_oauth_install_and_use_logs_no_token_or_secret(db_url, fake_slack, fixed_clock, logs_of):
    settings = oauth_settings(db_url, fake_slack)
    captured = logs_of(settings)
    running = await start_tally(settings, fake_slack, fixed_clock)
    try:
        assert (await install(running.url)).status == 200
        await running.slack.slash("Printer jammed 10m", team_id="T0NEW")
        press = running.slack.payload("block_actions")
        press["team"]["id"] = press["user"]["team_id"] = "T0NEW"
        await running.slack.interact(press)
        await running.slack.slash("export csv", command="/tally", team_id="T0NEW")
        await running.slack.event(running.slack.payload("app_uninstalled"))
        assert running.count("select sum(count) from occurrence") == 2 and fake_slack.history.uploads
        assert running.count("select count(*) from slack_installation") == 0
    finally:
        await running.server.close()
    written = captured.written.getvalue()
    for secret in (*SLACK_SECRETS, "one-time-code"):
        assert secret not in written, secret
    for line in captured.tallys_own_and_info_up():
        assert not [s for s in SLACK_SECRETS if s in line], line
    # The check is not idle: the SDKs' DEBUG output did carry the token, and the redactor took it out.
    raw_debug = captured.raw.lines(lambda r: True)
    assert any(TOKEN in line for line in raw_debug) and REDACTED in written
    print(
        f"\noauth flow: {len(written.splitlines())} log lines written at DEBUG, "
        f"{sum(TOKEN in line for line in raw_debug)} SDK lines carried the token and were redacted; 0 secrets written"
    )


async def test_teams_with_credentials_logs_neither_its_password_nor_any_bearer_token(secured, logs_of):  # noqa: F811
    settings = Settings(microsoft_app_id="app", microsoft_app_password=APP_PASSWORD)
    captured = logs_of(settings)
    body = activity("message_personal", secured.connector.service_url, text="problem Printer jammed 10m")
    inbound = token(body["serviceUrl"])
    assert await signed_teams_post(secured, body, "Bearer " + inbound) in (200, 201)
    assert secured.authorizations == [f"Bearer {OUTBOUND_TOKEN}"]  # the outbound token really was in play
    written = captured.written.getvalue()
    for secret in (APP_PASSWORD, OUTBOUND_TOKEN, inbound):
        assert secret not in written
        assert not [line for line in captured.tallys_own_and_info_up() if secret in line]
    raw = stored_text(secured.engine.url.render_as_string(hide_password=False), secured.engine)
    assert b"Printer jammed" in raw  # the database's real contents were read
    for secret in (APP_PASSWORD, OUTBOUND_TOKEN, inbound):
        assert secret.encode() not in raw


# --- rotation ---------------------------------------------------------------------------------------------------
def sealed_installation(engine) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return str(conn.execute(text("select data_encrypted from slack_installation")).scalar_one())


async def serve_once(settings: Settings, fake_slack, fixed_clock, line: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Start Tally with these settings, type one line in the installed workspace, stop; returns the stored seal and
    the token Slack saw (or what Tally answered)."""
    running = await start_tally(settings, fake_slack, fixed_clock)
    try:
        posts = len(fake_slack.called("chat.postMessage"))
        status, _ = await running.slack.slash(line, team_id="T0NEW")
        assert status == 200
        sent = fake_slack.called("chat.postMessage")[posts:]
        used = sent[0].token if sent else fake_slack.responses[-1][1].get("text", "")
        return sealed_installation(running.engine), str(used)
    finally:
        await running.server.close()


async def test_a_rotated_secret_key_still_opens_old_installs_then_the_old_key_can_go(db_url, fake_slack, fixed_clock):
    old = oauth_settings(db_url, fake_slack)
    running = await start_tally(old, fake_slack, fixed_clock)
    try:
        assert (await install(running.url)).status == 200
        before = sealed_installation(running.engine)
    finally:
        await running.server.close()
    # 1. The new key in front of the old: the stored token opens, and is sealed again with the new key at start.
    both = dataclasses.replace(old, secret_key=f"{NEW_KEY},{OAUTH_SECRET_KEY}")
    after, used = await serve_once(both, fake_slack, fixed_clock, "Printer jammed")
    assert used == TOKEN and after != before
    assert TokenCipher(NEW_KEY).decrypt(after)  # sealed with the new key alone now
    with pytest.raises(SecretKeyError):
        TokenCipher(OAUTH_SECRET_KEY).decrypt(after)
    # 2. The old key dropped: still served.
    _, used = await serve_once(dataclasses.replace(old, secret_key=NEW_KEY), fake_slack, fixed_clock, "Phones down")
    assert used == TOKEN
    # 3. A key that never sealed it: not served, answered, not a crash.
    wrong = dataclasses.replace(old, secret_key="some-other-key")
    _, answered = await serve_once(wrong, fake_slack, fixed_clock, "Lift broken")
    assert answered != TOKEN
    assert "reinstall" in answered.lower() or "install" in answered.lower(), answered


# --- the whole suite's log scan ---------------------------------------------------------------------------------
LEAKY_TEST = """
import logging

def test_that_logs_a_token():
    logging.getLogger("tally.slack").info("installed with xoxb-installed-secret-token")
"""


def test_the_suites_log_scan_fails_a_run_whose_logs_hold_a_known_secret(tmp_path):
    """tests/log_scan.py is what scans the whole suite; a run in which one record holds a secret must fail."""
    (tmp_path / "test_leaky.py").write_text(LEAKY_TEST)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.log_scan", "-p", "no:cacheprovider", "test_leaky.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout[-2000:]
    assert "1 passed" in run.stdout and "secrets in the logs" in run.stdout
    assert "test_leaky.py::test_that_logs_a_token" in run.stdout


def test_each_key_of_a_rotation_is_redacted_alone():
    """TALLY_SECRET_KEY=new,old: a line holding just the old key (or just the new) is redacted too."""
    settings = Settings(secret_key=f"{NEW_KEY}, {OAUTH_SECRET_KEY}")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter(settings.secret_values()))
    record = logging.LogRecord(
        "tally.x", logging.INFO, __file__, 1, "keys %s and %s", (NEW_KEY, OAUTH_SECRET_KEY), None
    )
    handler.emit(record)
    assert NEW_KEY not in stream.getvalue() and OAUTH_SECRET_KEY not in stream.getvalue()

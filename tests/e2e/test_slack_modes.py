"""Slack beyond one token over HTTP: many workspaces through OAuth, and Socket Mode."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import text

from storage.secrets import TokenCipher
from storage.slack_installations import SlackInstallations
from tests.conftest import WORKED_EXAMPLE
from tests.e2e.conftest import OAUTH_SECRET_KEY, oauth_settings, slack_settings, start_tally
from tests.e2e.slack_client import install, load


@pytest.fixture
async def oauth_tally(db_url, fake_slack, fixed_clock):
    settings = oauth_settings(db_url, fake_slack)
    running = await start_tally(settings, fake_slack, fixed_clock)
    yield running
    await running.server.close()


async def test_oauth_install_stores_the_token_encrypted_and_uses_it(oauth_tally):
    resp = await install(oauth_tally.url)
    assert resp.status == 200
    (exchange,) = oauth_tally.fake.called("oauth.v2.access")
    assert exchange.args["code"] == "one-time-code"
    with oauth_tally.engine.connect() as conn:
        rows = conn.execute(text("select team_id, data_encrypted, installer_user_id from slack_installation")).all()
    assert [(r[0], r[2]) for r in rows] == [("T0NEW", "UINSTALLER")]
    assert oauth_tally.count("select count(*) from workspace_owner where user_id = 'UINSTALLER'") == 1
    assert "xoxb-installed-secret-token" not in repr(rows)
    store = SlackInstallations(oauth_tally.engine, TokenCipher(OAUTH_SECRET_KEY))
    assert store.find(None, "T0NEW", False)["bot_token"] == "xoxb-installed-secret-token"

    status, _ = await oauth_tally.slack.slash(WORKED_EXAMPLE, team_id="T0NEW")
    assert status == 200
    (post,) = oauth_tally.fake.called("chat.postMessage")
    assert post.token == "xoxb-installed-secret-token"
    assert "8.5 hours" in json.dumps(post.args["blocks"])


async def test_uninstalling_deletes_the_stored_token(oauth_tally):
    assert (await install(oauth_tally.url)).status == 200
    revoked_user_token = oauth_tally.slack.payload("tokens_revoked")
    status, _ = await oauth_tally.slack.event(revoked_user_token)
    assert status == 200
    assert oauth_tally.count("select count(*) from slack_installation") == 1  # only a user's token went
    revoked_bot = oauth_tally.slack.payload("tokens_revoked")
    revoked_bot["event"]["tokens"] = {"oauth": [], "bot": ["UTALLYBOT"]}
    revoked_bot["event_id"] = "Ev0REVOKED2"
    status, _ = await oauth_tally.slack.event(revoked_bot)
    assert status == 200
    assert oauth_tally.count("select count(*) from slack_installation") == 0

    assert (await install(oauth_tally.url)).status == 200  # installed again, then uninstalled
    status, _ = await oauth_tally.slack.event(oauth_tally.slack.payload("app_uninstalled"))
    assert status == 200
    assert oauth_tally.count("select count(*) from slack_installation") == 0
    status, _ = await oauth_tally.slack.slash("Printer jammed", team_id="T0NEW")
    assert oauth_tally.count("select count(*) from problem") == 0


async def test_oauth_callback_without_our_state_is_refused(oauth_tally):
    async with (
        aiohttp.ClientSession() as session,
        session.get(oauth_tally.url("/slack/oauth_redirect?code=x&state=forged")) as resp,
    ):
        assert resp.status >= 400
    assert oauth_tally.fake.called("oauth.v2.access") == []
    assert oauth_tally.count("select count(*) from slack_installation") == 0


async def test_uninstalled_workspace_is_not_served(oauth_tally):
    status, body = await oauth_tally.slack.slash("Printer jammed", team_id="T0UNKNOWN")
    assert oauth_tally.count("select count(*) from problem") == 0
    assert oauth_tally.fake.called("chat.postMessage") == []
    assert status == 200 and body == "", body
    (key, answer), *_ = oauth_tally.fake.responses  # Bolt tells the user through response_url
    assert key == "command" and "reinstall" in answer["text"]


@pytest.fixture
async def socket_tally(db_url, fake_slack, fixed_clock):
    settings = slack_settings(db_url, fake_slack, slack_app_token="xapp-1-socket-mode-token")
    running = await start_tally(settings, fake_slack, fixed_clock)
    yield running
    await running.server.close()


async def test_socket_mode_runs_the_same_listeners(socket_tally):
    fake = socket_tally.fake
    (opened,) = await fake.wait_for("apps.connections.open")
    assert opened.token == "xapp-1-socket-mode-token"
    command = {**load("slash_command", fake.url("/")), "text": WORKED_EXAMPLE}
    await fake.socket_envelopes.put(
        {"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True, "payload": command}
    )
    (post,) = await fake.wait_for("chat.postMessage")
    assert "8.5 hours" in json.dumps(post.args["blocks"])
    await fake.wait_until(lambda: any(a.get("envelope_id") == "env-1" for a in fake.socket_acks), "the envelope's ack")
    assert socket_tally.count("select sum(count) from occurrence") == 17


async def test_signed_http_still_works_beside_socket_mode(socket_tally):
    status, body = await socket_tally.slack.post(
        urlencode({**load("slash_command", socket_tally.fake.url("/")), "text": "help"}),
        "application/x-www-form-urlencoded",
    )
    answer = json.loads(body)
    assert status == 200 and answer["response_type"] == "ephemeral"
    assert "/problem again &lt;id&gt;" in answer["text"]  # the help itself, as Slack spells the commands (escaped)
    status, _ = await socket_tally.slack.post(
        urlencode({**load("slash_command", socket_tally.fake.url("/")), "text": "help"}),
        "application/x-www-form-urlencoded",
        secret="not-the-signing-secret",
    )
    assert status == 401  # Socket Mode beside it doesn't switch off verification over HTTP

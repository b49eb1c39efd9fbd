"""A .env template's blank SLACK_CLIENT_ID= and SLACK_CLIENT_SECRET= leave OAuth off, as Tally's settings say:
Bolt, which reads those variables itself, must not turn on its own OAuth and ignore the bot token."""

from __future__ import annotations

import json
import os

from tests.e2e.conftest import slack_settings, start_tally


async def test_blank_oauth_variables_leave_the_bot_token_working(db_url, fake_slack, fixed_clock, monkeypatch):
    monkeypatch.setenv("SLACK_CLIENT_ID", "")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "")
    running = await start_tally(slack_settings(db_url, fake_slack), fake_slack, fixed_clock)
    try:
        status, body = await running.slack.slash("list")
        assert status == 200
        assert json.loads(body)["text"], body  # answered, not an empty acknowledgement
        assert os.environ["SLACK_CLIENT_ID"] == ""  # the variables are left as they were
    finally:
        await running.server.close()

"""Where replies go, once each: private answers, retries, anonymity where Tally can't post, notifications
after commit, and one outbound HTTP session; over real HTTP against the fake Slack and Bot Connector."""

from __future__ import annotations

import json
import logging
import time
import uuid

import aiohttp
import pytest
from sqlalchemy import text

from adapters.server import CORE
from tests.conftest import WORKED_EXAMPLE
from tests.e2e.conftest import teams_post as post
from tests.e2e.fake_connector import activity

CHANNEL = "19:frontdesk@thread.tacv2;messageid=1700000000002"
CHANNEL_BASE = "19:frontdesk@thread.tacv2"  # what Tally keeps: never the message a thread started from
BOB = "29:1bob-teams-id"
BOB_AAD = "6a1c7e44-0000-4000-8000-000000000b0b"
ALICE_AAD = "6a1c7e44-0000-4000-8000-0000000a11ce"


def in_channel(fake, text: str, message_id: str) -> dict:  # type: ignore[no-untyped-def]
    return activity("message_channel", fake.service_url, text=f"<at>Tally</at> {text}", id=message_id)


# --- private means private ---------------------------------------------------------------------------------
async def test_in_a_teams_channel_errors_help_and_the_duplicate_question_reach_only_the_persons_chat(teams):
    fake = teams.connector
    await post(teams, in_channel(fake, "problem Users complaining they have not received a decision letter", "m1"))
    (card,) = fake.of("reply")  # the new problem's card is for the channel
    assert card.conversation_id == CHANNEL and card.card["body"][0]["text"].startswith("#1 ")
    lines = ["problem help", "problem letters x0", "problem users complain they haven't received their decision letter"]
    for i, line in enumerate(lines):
        await post(teams, in_channel(fake, line, f"m{i + 2}"))
    assert len(fake.of("reply")) == 1  # nothing more in the channel's thread
    assert all(s.conversation_id != CHANNEL for s in fake.sent if s.kind != "reply")
    creates = fake.of("create")
    assert len(creates) == 3 and all(c.activity["members"] == [{"id": BOB}] for c in creates)
    help_, error, question = (s.card for s in fake.of("send"))
    assert "problem again" in json.dumps(help_) and "/problem" not in json.dumps(help_)
    assert error["body"][0].get("color") == "Attention"
    assert "Is it the same problem?" in question["body"][0]["text"]
    for action in question["actions"]:  # its buttons remember the channel the question came from
        assert action["data"]["tally_origin"] == CHANNEL_BASE
    assert teams.count("select count(*) from problem") == 1


async def test_on_slack_help_errors_and_the_duplicate_question_are_ephemeral(tally):
    await tally.slack.slash("Users complaining they have not received a decision letter")
    for line in ("help", "letters x0", "users complain they haven't received their decision letter"):
        status, body = await tally.slack.slash(line)
        assert status == 200 and json.loads(body)["response_type"] == "ephemeral", line
    assert len(tally.fake.called("chat.postMessage")) == 1
    assert all(body.get("response_type") != "in_channel" for _, body in tally.fake.responses)


# --- answered once -----------------------------------------------------------------------------------------
async def test_a_slack_retry_is_stored_once_and_posted_once(tally):
    await tally.slack.slash(WORKED_EXAMPLE)
    trigger = tally.slack.last_trigger_id
    for n in (1, 2, 3):
        status, body = await retry(tally, WORKED_EXAMPLE, trigger, n)
        assert status == 200 and body == ""
    assert len(tally.fake.called("chat.postMessage")) == 1
    assert tally.count("select sum(count) from occurrence") == 17


async def retry(tally, text_: str, trigger: str, n: int) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    from urllib.parse import urlencode

    from tests.e2e.slack_client import load

    payload = {**load("slash_command", tally.slack.fake_url), "text": text_, "trigger_id": trigger}
    retry_headers = {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"}
    return await tally.slack.post(urlencode(payload), "application/x-www-form-urlencoded", headers=retry_headers)


async def test_a_teams_redelivery_is_stored_once_and_answered_once(teams):
    fake = teams.connector
    message = activity("message_personal", fake.service_url, text="problem " + WORKED_EXAMPLE)
    for _ in range(3):
        await post(teams, message)
    help_ = activity("message_personal", fake.service_url, text="tally help", id="help-1")
    for _ in range(2):
        await post(teams, help_)
    assert len(fake.of("reply")) == 2  # one card, one help
    assert teams.count("select sum(count) from occurrence") == 17


# --- anonymity where Tally can't post ------------------------------------------------------------------------
async def test_an_anonymous_report_in_a_private_channel_tally_is_not_in_is_refused_privately(tally):
    tally.fake.not_in_channel.add("C0FRONTDESK")
    status, body = await tally.slack.slash("Bullying on the night shift anon", user_id="U0WHISTLE")
    answer = json.loads(body)
    assert status == 200 and answer["response_type"] == "ephemeral"
    assert "not stored" in answer["text"] and "/invite @Tally" in answer["text"]
    assert tally.fake.called("chat.postMessage") == [] and tally.fake.responses == []
    assert tally.count("select count(*) from problem") + tally.count("select count(*) from occurrence") == 0
    # A named report there still gets its card, through the command's own answer.
    await tally.slack.slash("Printer jammed 10m")
    ((_, fallback),) = tally.fake.responses
    assert fallback["response_type"] == "in_channel" and "Printer jammed" in json.dumps(fallback)


async def test_a_stale_request_leaves_neither_user_nor_text_in_the_log(tally, caplog):
    caplog.set_level(logging.DEBUG)
    status, _ = await stale(tally)
    assert status == 401
    assert "U0WHISTLE" not in caplog.text and "Bullying" not in caplog.text
    assert tally.count("select count(*) from problem") == 0


async def stale(tally) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    from urllib.parse import urlencode

    from tests.e2e.slack_client import load

    payload = {**load("slash_command", tally.slack.fake_url), "text": "Bullying on the night shift anon"}
    payload["user_id"] = "U0WHISTLE"
    body = urlencode(payload)
    return await tally.slack.post(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 6 * 60)


# --- notifications after commit ------------------------------------------------------------------------------
async def test_marking_a_problem_fixed_sends_its_slack_reporter_a_direct_message(tally):
    await tally.slack.slash("Printer jammed 10m", user_id="U0ALICE")
    tally.fake.admins.add("U0LEAD")
    await tally.slack.slash("status 1 fixed", user_id="U0LEAD")
    dm = [c for c in tally.fake.called("chat.postMessage") if c.args.get("channel") == "U0ALICE"]
    assert len(dm) == 1 and "#1 Printer jammed" in dm[0].args["text"] and "fixed" in dm[0].args["text"]
    await tally.slack.slash("Bullying anon", user_id="U0WHISTLE")
    await tally.slack.slash("status 2 wontfix", user_id="U0LEAD")
    assert not [c for c in tally.fake.called("chat.postMessage") if c.args.get("channel") == "U0WHISTLE"]


async def test_marking_a_problem_fixed_sends_its_teams_reporter_a_direct_message(teams):
    fake = teams.connector
    await post(teams, activity("conversation_update", fake.service_url))  # Alice installs: an owner
    await post(teams, in_channel(fake, "problem Scanner offline in reception", "s1"))  # Bob reports
    alice = {"from": {"id": "29:1alice-teams-id", "name": "Alice Adams", "aadObjectId": ALICE_AAD}}
    await post(teams, {**activity("message_personal", fake.service_url, text="problem status 1 fixed"), **alice})
    dm = [c for c in fake.of("create") if c.activity["members"] == [{"id": BOB_AAD}]]
    assert len(dm) == 1
    (sent,) = [s for s in fake.of("send") if s.conversation_id == dm[0].conversation_id]
    assert "#1 Scanner offline in reception" in sent.card["body"][0]["text"]


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_when_the_commit_fails_nobody_is_told(tally):
    await tally.slack.slash("Printer jammed 10m", user_id="U0ALICE")
    with tally.engine.begin() as conn:  # a check the database makes only at COMMIT
        conn.execute(
            text(
                "create function refuse() returns trigger as $$ begin raise exception 'refused at commit'; end $$ "
                "language plpgsql"
            )
        )
        conn.execute(
            text(
                "create constraint trigger refuse_status after update on problem deferrable initially deferred "
                "for each row execute function refuse()"
            )
        )
    tally.fake.admins.add("U0LEAD")
    status, body = await tally.slack.slash("status 1 fixed", user_id="U0LEAD")
    assert status == 200 and "something went wrong on our side" in json.loads(body)["text"]
    assert not [c for c in tally.fake.called("chat.postMessage") if c.args.get("channel") == "U0ALICE"]
    assert tally.count("select count(*) from problem where status = 'open'") == 1


# --- one outbound HTTP session -------------------------------------------------------------------------------
async def test_fifty_captures_post_their_cards_over_one_http_session(db_url, fake_slack, fixed_clock, monkeypatch):
    from tests.e2e.conftest import slack_settings, start_tally

    async with aiohttp.ClientSession() as client_session:  # the test's own, made before counting starts
        opened: list[aiohttp.ClientSession] = []
        original = aiohttp.ClientSession.__init__

        def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            opened.append(self)
            original(self, *args, **kwargs)

        monkeypatch.setattr(aiohttp.ClientSession, "__init__", counting)
        running = await start_tally(slack_settings(db_url, fake_slack), fake_slack, fixed_clock)
        try:
            running.slack.session = client_session
            for i in range(50):
                words = f"{uuid.uuid4().hex} {uuid.uuid4().hex}"  # nothing alike: no 'same as #n?' question
                status, _ = await running.slack.slash(f"Case {words} #area-{i % 5}")
                assert status == 200
            await running.server.app[CORE].background.drain()
        finally:
            await running.server.close()
    assert len(fake_slack.called("chat.postMessage")) == 50
    assert len(opened) == 1


# --- every subscribed event answered ------------------------------------------------------------------------
@pytest.mark.parametrize("event", ["tokens_revoked", "app_uninstalled"])
async def test_subscribed_events_are_answered_200_with_one_bot_token(tally, event):
    status, _ = await tally.slack.event(tally.slack.payload(event))
    assert status == 200


async def test_app_rate_limited_is_answered_200(tally, caplog):
    notice = {
        "token": "legacy",
        "type": "app_rate_limited",
        "team_id": "T0COUNCIL",
        "minute_rate_limited": 1518467820,
        "api_app_id": "A0TALLY",
    }
    status, _ = await tally.slack.event(notice)
    assert status == 200 and "rate limited" in caplog.text


async def test_with_slack_configured_and_no_teams_credentials_teams_is_not_served(tally):
    async with (
        aiohttp.ClientSession() as session,
        session.post(tally.url("/api/messages"), json={"type": "message", "serviceUrl": "http://127.0.0.1:1/"}) as resp,
    ):
        assert resp.status == 404

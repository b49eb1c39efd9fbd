"""Slack end to end: signed requests into the real app, assertions on what fake Slack received."""

from __future__ import annotations

import json
import logging
import time

import pytest

from bot.ids import Action
from tests.conftest import WORKED_EXAMPLE


def blocks_text(blocks) -> str:  # type: ignore[no-untyped-def]
    return json.dumps(blocks)


async def test_worked_example_as_a_slash_command(tally):
    status, body = await tally.slack.slash(WORKED_EXAMPLE)
    assert status == 200 and body == ""
    (post,) = tally.fake.called("chat.postMessage")
    assert post.args["channel"] == "C0FRONTDESK"
    assert post.token == "xoxb-single-workspace-token"
    rendered = blocks_text(post.args["blocks"])
    assert "8.5 hours" in rendered and "*Service users affected this week*\\n17" in rendered
    assert Action.HAPPENED_AGAIN.value in rendered
    assert tally.count("select count(*) from problem") == 1
    assert tally.count("select sum(count) from occurrence") == 17


async def test_bolt_leaves_tallys_own_loggers_alone(tally):
    """Bolt resets the level of a logger named after the app on every request; ours must not be that logger."""
    logging.getLogger("tally").setLevel(logging.DEBUG)
    try:
        await tally.slack.slash("Printer jammed")
        assert logging.getLogger("tally").level == logging.DEBUG
    finally:
        logging.getLogger("tally").setLevel(logging.NOTSET)


async def test_typed_mentions_never_ping_the_channel(tally):
    await tally.slack.slash("&lt;!channel&gt; printer jammed &amp; smoking")  # as Slack sends what was typed
    (post,) = tally.fake.called("chat.postMessage")
    assert post.args["text"] == "#1 &lt;!channel&gt; printer jammed &amp; smoking"
    assert "<!channel>" not in json.dumps(post.args)


async def test_slash_command_without_text_opens_the_modal(tally):
    await tally.slack.slash(WORKED_EXAMPLE)  # an area exists, so the modal offers it
    status, _ = await tally.slack.slash("")
    assert status == 200
    (opened,) = tally.fake.called("views.open")
    view = opened.args["view"] if isinstance(opened.args["view"], dict) else json.loads(opened.args["view"])
    assert opened.args["trigger_id"] == tally.slack.last_trigger_id
    assert view["callback_id"] == "tally_capture_problem"
    block_ids = [b["block_id"] for b in view["blocks"]]
    assert block_ids == ["issue", "area", "new_area", "impacts", "occurrences", "effort", "users", "options"]
    assert json.loads(view["private_metadata"])["channel"] == "C0FRONTDESK"


async def test_help_and_errors_answer_ephemerally_and_store_nothing(tally):
    status, body = await tally.slack.slash("help")
    assert status == 200 and json.loads(body)["response_type"] == "ephemeral" and "/problem again" in body
    for bad in ("Letters late x0", "Letters late x1000001", "Letters 25h", "x3 +cost", "again 999", "wordy" * 800):
        status, body = await tally.slack.slash(bad)
        answer = json.loads(body)
        assert status == 200 and answer["response_type"] == "ephemeral", bad
        assert "Traceback" not in body
    assert tally.count("select count(*) from problem") == 0
    assert tally.fake.called("chat.postMessage") == []


async def test_again_updates_tally_ephemerally(tally):
    await tally.slack.slash(WORKED_EXAMPLE)
    status, body = await tally.slack.slash("again 1 x3", trigger_id="another-trigger")
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral" and "10 hours" in body
    assert tally.count("select sum(count) from occurrence") == 20


async def test_tally_help_and_unknown_subcommand(tally):
    _, body = await tally.slack.slash("help", command="/tally")
    assert "/problem" in json.loads(body)["text"]
    _, body = await tally.slack.slash("frobnicate", command="/tally")
    assert "frobnicate" in json.loads(body)["text"] and "/tally help" in json.loads(body)["text"]


async def test_valid_view_submission_posts_the_card(tally):
    status, body = await tally.slack.interact(tally.slack.payload("view_submission"))
    assert status == 200 and body == ""
    (post,) = tally.fake.called("chat.postMessage")
    assert post.args["channel"] == "C0FRONTDESK"
    assert "8.5 hours" in blocks_text(post.args["blocks"])
    assert tally.count("select count(*) from process_area") == 1


async def test_invalid_view_submission_gets_inline_errors_and_stores_nothing(tally):
    payload = tally.slack.payload("view_submission")
    values = payload["view"]["state"]["values"]
    values["issue"]["issue"]["value"] = ""
    values["occurrences"]["occurrences"]["value"] = "0"
    values["effort"]["effort"]["value"] = "30 hours"
    status, body = await tally.slack.interact(payload)
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"issue", "occurrences", "effort"}
    assert "x17" in answer["errors"]["occurrences"] or "1 to 1,000,000" in answer["errors"]["occurrences"]
    assert tally.count("select count(*) from problem") == 0
    assert tally.fake.called("chat.postMessage") == []


async def test_retried_view_submission_is_stored_once(tally):
    payload = tally.slack.payload("view_submission")
    await tally.slack.interact(payload)
    await tally.slack.interact(
        payload, retry=True, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert tally.count("select count(*) from problem") == 1
    assert tally.count("select sum(count) from occurrence") == 17


async def test_anonymous_reports_leave_no_trace_of_the_reporter_anywhere(tally):
    await tally.slack.slash("Bullying on the night shift anon", user_id="U0WHISTLE", user_name="whistle")
    await tally.slack.slash("again 1 x2 anon", user_id="U0WHISTLE", user_name="whistle", trigger_id="t.anon.2")
    payload = tally.slack.payload("view_submission")
    payload["user"] = {"id": "U0WHISTLE", "username": "whistle", "name": "whistle", "team_id": "T0COUNCIL"}
    values = payload["view"]["state"]["values"]
    values["options"]["options"]["selected_options"] = [{"value": "anon", "text": {"type": "plain_text", "text": "x"}}]
    await tally.slack.interact(payload)
    assert tally.count("select count(*) from problem where reporter_id is null") == 2
    assert tally.count("select sum(count) from occurrence where reporter_id is null") == 20
    dump = tally.dump()
    assert "U0WHISTLE" not in dump and "whistle" not in dump


async def test_happened_again_updates_the_card_in_place(tally):
    await tally.slack.slash(WORKED_EXAMPLE)
    posted = tally.fake.called("chat.postMessage")[0]
    payload = tally.slack.payload("block_actions")
    payload["container"]["message_ts"] = "1700000000.000001"
    status, _ = await tally.slack.interact(payload)
    assert status == 200
    (update,) = tally.fake.called("chat.update")
    assert update.args["channel"] == posted.args["channel"] and update.args["ts"] == "1700000000.000001"
    rendered = blocks_text(update.args["blocks"])
    assert "18 times this week" in rendered and "9 hours" in rendered
    assert tally.count("select sum(count) from occurrence") == 18
    audit = tally.count("select count(*) from audit_event where actor_id = 'U0BOB'")
    assert audit == 1


async def test_same_trigger_twice_is_stored_once(tally):
    await tally.slack.slash("Printer jammed 10m")
    await tally.slack.slash("again 1", trigger_id="retry-me")
    await tally.slack.slash("again 1", trigger_id="retry-me")
    assert tally.count("select sum(count) from occurrence") == 2


async def test_duplicate_question_then_log_as_repeat(tally):
    await tally.slack.slash("Users complaining they have not received a decision letter #decisions")
    status, body = await tally.slack.slash(
        "users complain they haven't received their decision letter #decisions x2", trigger_id="t-dup"
    )
    question = json.loads(body)
    assert question["response_type"] == "ephemeral" and "#1" in question["text"]
    assert tally.count("select count(*) from problem") == 1
    actions = next(b for b in question["blocks"] if b["type"] == "actions")
    yes = next(e for e in actions["elements"] if e["action_id"] == Action.SAME_AS.value)
    payload = tally.slack.payload("block_actions")
    payload["container"]["is_ephemeral"] = True
    payload["user"]["id"] = "U0ALICE"
    payload["actions"] = [{**payload["actions"][0], "action_id": yes["action_id"], "value": yes["value"]}]
    status, _ = await tally.slack.interact(payload)
    assert status == 200
    assert tally.count("select count(*) from problem") == 1
    assert tally.count("select sum(count) from occurrence") == 3
    replaced = [body for key, body in tally.fake.responses if key == "action"]
    assert replaced and replaced[-1]["replace_original"] is True and "3 times this week" in json.dumps(replaced[-1])


async def test_message_shortcut_opens_the_modal_prefilled(tally):
    status, _ = await tally.slack.interact(tally.slack.payload("message_action"))
    assert status == 200
    (opened,) = tally.fake.called("views.open")
    view = opened.args["view"]
    issue = next(b for b in view["blocks"] if b["block_id"] == "issue")
    assert issue["element"]["initial_value"] == "Another resident rang: still no decision letter & nobody called back"
    assert json.loads(view["private_metadata"])["response_url"].endswith("/respond/shortcut")


async def test_app_home_opened_publishes_the_home_tab(tally):
    await tally.slack.slash("Printer jammed 10m", user_id="U0ALICE")
    status, _ = await tally.slack.event(tally.slack.payload("app_home_opened"))
    assert status == 200
    (published,) = tally.fake.called("views.publish")
    assert published.args["user_id"] == "U0ALICE"
    rendered = blocks_text(published.args["view"])
    assert "Your recent problems" in rendered and "Printer jammed" in rendered and "Top problems this week" in rendered


async def test_card_falls_back_to_response_url_where_bot_is_not_a_member(tally):
    tally.fake.not_in_channel.add("C0FRONTDESK")
    await tally.slack.slash("Printer jammed 10m")
    assert [c.args.get("channel") for c in tally.fake.called("chat.postMessage")] == ["C0FRONTDESK"]
    (key, body), *_ = tally.fake.responses
    assert key == "command" and body["response_type"] == "in_channel" and "Printer jammed" in json.dumps(body)


async def test_merge_needs_a_slack_admin(tally):
    await tally.slack.slash("Printer jammed 10m")
    await tally.slack.slash("Phones down for an hour", trigger_id="t2")
    _, body = await tally.slack.slash("merge 2 into 1", trigger_id="t3")
    assert "admin" in json.loads(body)["text"]
    tally.fake.admins.add("U0LEAD")
    await tally.slack.slash("merge 2 into 1", trigger_id="t4", user_id="U0LEAD")
    assert tally.count("select count(*) from problem where status = 'merged'") == 1
    assert [c.args["user"] for c in tally.fake.called("users.info")] == ["U0ALICE", "U0LEAD"]


async def test_bad_signature_gets_401_and_stores_nothing(tally):
    status, _ = await tally.slack.post(
        "text=Printer+jammed&command=%2Fproblem&team_id=T0COUNCIL&user_id=U0EVE&channel_id=C1&trigger_id=x",
        "application/x-www-form-urlencoded",
        secret="not-the-signing-secret",
    )
    assert status == 401
    assert tally.count("select count(*) from problem") == 0
    assert tally.fake.calls == []


async def test_old_timestamp_gets_401_and_stores_nothing(tally):
    status, _ = await tally.slack.post(
        "text=Printer+jammed&command=%2Fproblem&team_id=T0COUNCIL&user_id=U0EVE&channel_id=C1&trigger_id=x",
        "application/x-www-form-urlencoded",
        timestamp=int(time.time()) - 6 * 60,
    )
    assert status == 401
    assert tally.count("select count(*) from problem") == 0


async def test_healthz(tally):
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(tally.url("/healthz")) as resp:
        assert resp.status == 200 and await resp.json() == {"status": "ok"}


@pytest.mark.postgres
async def test_healthz_says_503_when_the_database_is_gone(fake_slack, fixed_clock):
    import aiohttp
    import pytest
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql

    from tests.databases import POSTGRES_ADMIN_URL, postgres_database
    from tests.e2e.conftest import slack_settings, start_tally

    pytest.importorskip("psycopg")
    with postgres_database() as url:
        running = await start_tally(slack_settings(url, fake_slack), fake_slack, fixed_clock)
        try:
            name = url.rsplit("/", 1)[-1]
            admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sql(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()
            async with aiohttp.ClientSession() as session, session.get(running.url("/healthz")) as resp:
                assert resp.status == 503
                assert (await resp.json())["status"] == "unavailable"
        finally:
            await running.server.close()


async def test_duplicate_from_the_modal_is_asked_through_response_url(tally):
    await tally.slack.slash("Users contacting us to complain that they have not received a decision letter")
    payload = tally.slack.payload("view_submission")
    payload["view"]["state"]["values"]["new_area"]["new_area"]["value"] = ""
    status, _ = await tally.slack.interact(payload)
    assert status == 200
    (key, question), *_ = [(k, b) for k, b in tally.fake.responses if k == "modal"]
    assert question["response_type"] == "ephemeral" and "Is it the same problem?" in question["text"]
    assert tally.count("select count(*) from problem") == 1


async def test_happened_again_on_a_card_the_bot_cannot_update_replaces_it_via_response_url(tally):
    await tally.slack.slash("Printer jammed 10m")
    tally.fake.not_in_channel.add("C0FRONTDESK")
    status, _ = await tally.slack.interact(tally.slack.payload("block_actions"))
    assert status == 200
    (key, body), *_ = tally.fake.responses
    assert key == "action" and body["replace_original"] is True and "2 times this week" in json.dumps(body)


async def test_a_slack_api_failure_gets_a_polite_answer_not_a_stack_trace(tally):
    tally.fake.failing["views.open"] = "expired_trigger_id"
    status, body = await tally.slack.slash("")
    assert status == 200 and body == ""  # Slack is answered at once; the form opens after
    (key, told), *_ = tally.fake.responses
    assert told["response_type"] == "ephemeral" and "expired_trigger_id" in told["text"]
    assert "Traceback" not in json.dumps(told)

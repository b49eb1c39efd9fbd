"""Issue 11, item 2: a delivery Slack retries or Teams sends again is stored once and answered once.

Slack retries a request it got no timely answer to, up to three times, with the same body (so the same
trigger_id, view or event_id) and X-Slack-Retry-Num 1..3 with an X-Slack-Retry-Reason. For a slash
command, a button press, a view submission, a message shortcut and an event: the first delivery is acted
on, and after the three retries every table is as the first left it, and the fake Slack got nothing more
(no second card, update, modal or home view). Teams sends an activity again with the same id: a
message, a button's invoke, a form's invoke, a message-extension submission and an installation, each
sent three more times, change no table and send nothing more to the connector. On SQLite and PostgreSQL.
(tests/e2e/test_delivery.py checks the slash command's and a Teams message's totals; this adds every
other kind, and compares whole tables.)
"""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import urlencode

import pytest

from tests.conftest import WORKED_EXAMPLE
from tests.e2e.conftest import teams_post
from tests.e2e.fake_connector import activity
from tests.e2e.slack_client import new_trigger_id
from tests.reliability.test_authenticity import stored

FIGURES: Counter[str] = Counter()
REASONS = {1: "http_timeout", 2: "http_error", 3: "connection_failed"}  # reasons Slack gives, per its docs
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module", autouse=True)
def report_figures():
    yield
    print(f"\n[figures] test_redelivery: {sum(FIGURES.values())} requests: {dict(sorted(FIGURES.items()))}")


def slack_deliveries(tally) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """One body of each kind, as Slack first sends it; a retry sends these same bytes again."""
    payload = tally.slack.payload
    slash = {**payload("slash_command"), "text": "Scanner offline in reception 15m", "trigger_id": new_trigger_id()}
    button = {**payload("block_actions"), "trigger_id": new_trigger_id()}  # "Happened again" on #1
    view = {**payload("view_submission"), "trigger_id": new_trigger_id()}
    shortcut = {**payload("message_action"), "trigger_id": new_trigger_id()}
    return {
        "slash_command": (urlencode(slash), FORM),
        "block_actions": (urlencode({"payload": json.dumps(button)}), FORM),
        "view_submission": (urlencode({"payload": json.dumps(view)}), FORM),
        "message_action": (urlencode({"payload": json.dumps(shortcut)}), FORM),
        "event": (json.dumps(payload("app_home_opened")), "application/json"),
    }


def sent_to_slack(tally) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    return [c.method for c in tally.fake.calls if c.method != "auth.test"], len(tally.fake.responses)


async def test_slack_retries_are_stored_once_and_answered_once(tally):
    await tally.slack.slash(WORKED_EXAMPLE)  # problem #1, which the button presses
    for kind, (body, content_type) in slack_deliveries(tally).items():
        before_first = stored(tally), sent_to_slack(tally)
        status, first = await tally.slack.post(body, content_type)
        FIGURES[f"slack {kind} first"] += 1
        assert status == 200, (kind, first)
        after_first = stored(tally), sent_to_slack(tally)
        assert after_first != before_first, f"the first {kind} did nothing, so its retries would prove nothing"
        for n in (1, 2, 3):
            retry = {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": REASONS[n]}
            status, answer = await tally.slack.post(body, content_type, headers=retry)
            FIGURES[f"slack {kind} retry"] += 1
            assert status == 200, (kind, n, answer)
            assert (stored(tally), sent_to_slack(tally)) == after_first, (kind, n)
            assert answer in ("", first), (kind, n, answer)  # nothing new to say: empty, or the same answer
    # #1, its repeat and the scanner; the form is the worked example again, so it asked "same as #1?" instead.
    assert tally.count("select sum(count) from occurrence") == 17 + 1 + 1


def teams_deliveries(url: str) -> dict[str, dict]:
    form = activity("invoke_card_action", url, id="f:form-1")
    form["value"]["action"] = {
        "type": "Action.Execute",
        "verb": "tally_submit_form",
        "data": {
            "issue": "Lift out of order",
            "occurrences": "3",
            "effort": "10m",
            "tally_action": "tally_submit_form",
        },
    }
    return {
        "installation": activity("conversation_update", url),
        "message": activity("message_personal", url, text="problem " + WORKED_EXAMPLE, id="m-capture-1"),
        "button invoke": activity("invoke_card_action", url),  # "Happened again" on #1
        "form invoke": form,
        "message extension submit": activity("invoke_extension_submit", url),
    }


async def test_teams_activities_sent_again_are_stored_once_and_answered_once(teams):
    fake = teams.connector
    for kind, body in teams_deliveries(fake.service_url).items():
        before_first = stored(teams), len(fake.sent)
        status, first = await teams_post(teams, body)
        FIGURES[f"teams {kind} first"] += 1
        assert status in (200, 201), (kind, status, first)
        after_first = stored(teams), len(fake.sent)
        assert after_first != before_first, f"the first {kind} did nothing, so sending it again would prove nothing"
        for n in range(3):
            status, answer = await teams_post(teams, body)
            FIGURES[f"teams {kind} again"] += 1
            assert status in (200, 201), (kind, n, status, answer)
            now = stored(teams), len(fake.sent)
            assert now == after_first, (kind, n, _changed(after_first[0], now[0]), fake.sent[after_first[1] :])
    # #1, its repeat and the lift; the extension's submission is the worked example again: "same as #1?".
    assert teams.count("select sum(count) from occurrence") == 17 + 1 + 3


def _changed(before: str, after: str) -> list[str]:
    """The rows that differ, so a failure says what was stored again (or by whom, if not by the copies)."""
    old, new = set(before.splitlines()), set(after.splitlines())
    return [f"- {line}" for line in sorted(old - new)] + [f"+ {line}" for line in sorted(new - old)]

"""Fuzzing Slack form and button submissions (issue 11, item 3) through the real `tally serve` app over HTTP, on
SQLite and PostgreSQL: view_submission of the capture form and the idea form, block_actions, the 'Log as a problem'
message shortcut, and interactions missing the parts Slack always sends. Fields are missing, of the wrong type
(numbers, lists, null, nested objects), of 100 KB, unexpected; action ids are unknown; values name problems and
ideas that don't exist (tests/reliability/payloads.py).

Slack gets 200, with the form's errors shown on the form (response_action: errors) when they are about the form.
Never a 5xx, never an unhandled error in the log, and nothing half-stored: a form answered with errors stores
nothing, and every problem and idea stored is whole. Teams' cards: test_fuzz_cards.py.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from typing import Any

from hypothesis import strategies as st

from bot.ids import Action, FormField, IdeaField
from tests.reliability.fuzzing import ErrorLog, drawn, hostile_text
from tests.reliability.payloads import BUTTON_VALUES, JSON, UNKNOWN, WELL_FORMED, stored, stored_whole, too_big


def element(field: str, value: Any, kind: str) -> dict[str, Any]:
    """A Slack input element's state as Slack sends it (kind: the element type), whatever the value is."""
    if kind == "checkboxes":
        options = value if isinstance(value, list) else [value]
        return {
            "type": kind,
            "selected_options": [{"text": {"type": "plain_text", "text": "x"}, "value": v} for v in options],
        }
    if kind == "static_select":
        return {"type": kind, "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value}}
    return {"type": kind, "value": value}


@st.composite
def slack_state(draw: Any, fields: tuple[str, ...]) -> Any:
    """view.state.values: each field well formed, missing, of the wrong type or shape, or junk; extra blocks too."""
    values: dict[str, Any] = {}
    for field in (*fields, *draw(st.lists(st.sampled_from(UNKNOWN), max_size=2))):
        how = draw(st.sampled_from(["good", "good", "missing", "value", "value", "kind", "junk", "element junk"]))
        good = WELL_FORMED.get(field, "x")
        kind = "checkboxes" if isinstance(good, list) else ("static_select" if field == "area" else "plain_text_input")
        if how == "good":
            values[field] = {field: element(field, good, kind)}
        elif how == "value":
            values[field] = {field: element(field, draw(JSON), kind)}
        elif how == "kind":
            other = draw(st.sampled_from(["checkboxes", "static_select", "plain_text_input", "datepicker", None, 7]))
            values[field] = {field: element(field, draw(st.one_of(st.just(good), JSON)), other)}
        elif how == "junk":
            values[field] = draw(JSON)
        elif how == "element junk":
            values[field] = {field: draw(JSON)}
    return draw(st.sampled_from([values] * 8 + [draw(JSON)]))


@st.composite
def slack_submission(draw: Any, callback: str, fields: tuple[str, ...]) -> dict[str, Any]:
    view: dict[str, Any] = {"id": "V0FUZZ", "type": "modal", "callback_id": callback}
    view["state"] = draw(st.sampled_from(["keep"] * 6 + ["junk", "missing"]))
    if view["state"] == "keep":
        view["state"] = {"values": draw(slack_state(fields))}
    elif view["state"] == "junk":
        view["state"] = draw(JSON)
    else:
        del view["state"]
    view["private_metadata"] = draw(
        st.sampled_from(
            ['{"channel": "C0FRONTDESK", "response_url": "{FAKE}/respond/modal"}'] * 4
            + ["", "not json", "[1, 2]", '{"channel": 7, "response_url": null}', "null", '"text"', "{" * 3000]
        )
    )
    extra = draw(st.dictionaries(st.sampled_from(["hash", "blocks", "app_id", "extra", "previous_view_id"]), JSON))
    return {**extra, **view}


def fill(fake_url: str, value: Any) -> Any:
    return json.loads(json.dumps(value).replace("{FAKE}", fake_url.rstrip("/")))


CAPTURE = ("tally_capture_problem", tuple(f.value for f in FormField))
IDEA = ("tally_propose_idea", tuple(f.value for f in IdeaField))
SLACK_VIEWS = 60  # per form
SLACK_BUTTONS = 80


async def slack_views(tally) -> None:  # type: ignore[no-untyped-def]
    """The capture form and the idea form: 200, or 200 with the errors shown on the form and nothing stored."""
    slack = tally.slack
    statuses: Counter[str] = Counter()
    unchanged = ""
    with ErrorLog() as logged:
        for callback, fields in (CAPTURE, IDEA):
            for view in drawn(slack_submission(callback, fields), SLACK_VIEWS):
                payload = {**slack.payload("view_submission"), "view": fill(slack.fake_url, view)}
                before = unchanged or stored(tally)  # the last form's errors changed nothing: no need to look again
                unchanged = ""
                status, body = await slack.interact(payload)
                if too_big(payload) and status == 413:
                    statuses["over 1 MB: 413"] += 1
                    continue
                assert status == 200, (status, body[:300], json.dumps(view)[:600])
                assert not (crashes := logged.take()), (crashes, json.dumps(view)[:600])
                if body:
                    answer = json.loads(body)
                    assert answer.get("response_action") == "errors", answer
                    assert answer["errors"] and all(k in fields for k in answer["errors"]), answer
                    assert all(isinstance(v, str) and 0 < len(v) <= 2000 for v in answer["errors"].values())
                    assert stored(tally) == before, "a form answered with errors, yet something was stored"
                    unchanged = before
                    statuses["errors on the form"] += 1
                else:
                    statuses["200, answered after"] += 1
    await stored_whole(tally)
    print(f"\nfuzz forms ({tally.engine.dialect.name}), Slack view_submission: {2 * SLACK_VIEWS}, {dict(statuses)}")


@st.composite
def slack_action(draw: Any) -> dict[str, Any]:
    action: dict[str, Any] = {
        "action_id": draw(st.sampled_from([a.value for a in Action] * 3 + list(UNKNOWN))),
        "block_id": draw(st.sampled_from(["tally_actions", "x", ""])),
        "type": draw(st.sampled_from(["button", "button", "static_select", "overflow", 3])),
        "action_ts": "1700000100.000200",
    }
    if draw(st.booleans()) or True:
        action["value"] = draw(BUTTON_VALUES)
    for key in draw(st.lists(st.sampled_from(["value", "block_id", "type", "action_ts", "text"]), max_size=2)):
        action[key] = draw(st.sampled_from([None, draw(JSON)]))
    return action


async def slack_buttons(tally) -> None:  # type: ignore[no-untyped-def]
    """Buttons, Tally's and unknown ones, with values of any shape: 200, and the person is told what happened."""
    slack = tally.slack
    statuses: Counter[int] = Counter()
    with ErrorLog() as logged:
        for action in drawn(slack_action(), SLACK_BUTTONS):
            payload = copy.deepcopy(slack.payload("block_actions"))
            payload["actions"] = [action]
            calls, responses = len(tally.fake.calls), len(tally.fake.responses)
            status, body = await slack.interact(payload)
            statuses[status] += 1
            if too_big(payload) and status == 413:
                continue
            assert status == 200, (status, body[:300], json.dumps(action)[:600])
            assert not (crashes := logged.take()), (crashes, json.dumps(action)[:600])
            answered = len(tally.fake.calls) > calls or len(tally.fake.responses) > responses
            assert answered, f"nobody was told what happened to {json.dumps(action)[:300]}"
    await stored_whole(tally)
    print(
        f"\nfuzz forms ({tally.engine.dialect.name}), Slack block_actions: {SLACK_BUTTONS}, statuses {dict(statuses)}"
    )


# Payloads without the parts Slack always sends, or with them of another shape: Bolt would fail on most with a 500.
DROPPED = (  # without the parts Bolt routes an interaction by: answered 200, nothing done
    ("actions empty", lambda p: p.update(actions=[])),
    ("actions missing", lambda p: p.pop("actions")),
    ("actions an object", lambda p: p.update(actions={"action_id": "problem_happened_again"})),
    ("an action that is a string", lambda p: p.update(actions=["problem_happened_again"])),
    ("action_id missing", lambda p: p["actions"][0].pop("action_id")),
    ("action_id a number", lambda p: p["actions"][0].update(action_id=7)),
    ("action_id null", lambda p: p["actions"][0].update(action_id=None)),
    ("a view_submission without its view", lambda p: p.update(type="view_submission")),
    ("a view_submission whose view is a list", lambda p: p.update(type="view_submission", view=[1])),
    ("a message shortcut without its callback_id", lambda p: p.update(type="message_action")),
)
ODD = (  # the button press itself is whole ('Happened again' on #1): it counts, whatever else is odd
    ("container a string", lambda p: p.update(container="x")),
    ("container missing", lambda p: p.pop("container")),
    ("channel a list", lambda p: p.update(channel=[1])),
    ("user missing", lambda p: p.pop("user")),
    ("team missing", lambda p: p.pop("team")),
    ("response_url a number", lambda p: p.update(response_url=5)),
    ("trigger_id an object", lambda p: p.update(trigger_id={"a": 1})),
    ("message_ts a number", lambda p: p["container"].update(message_ts=5)),
)


async def slack_misshapen(tally) -> None:  # type: ignore[no-untyped-def]
    """Interactions without the parts Slack always sends, or with them of another shape: Bolt failed on most with a
    500 before Tally could answer."""
    slack = tally.slack
    with ErrorLog() as logged:
        for dropped, (name, change) in [(True, case) for case in DROPPED] + [(False, case) for case in ODD]:
            payload = copy.deepcopy(slack.payload("block_actions"))
            change(payload)
            before = stored(tally)
            occurrences = tally.count("select coalesce(sum(count), 0) from occurrence")
            status, body = await slack.interact(payload)
            assert status == 200, (name, status, body[:300])
            assert not (crashes := logged.take()), (name, crashes)
            if dropped:
                assert stored(tally) == before, name
            else:
                assert tally.count("select coalesce(sum(count), 0) from occurrence") == occurrences + 1, name
    total = len(DROPPED) + len(ODD)
    print(f"\nfuzz forms ({tally.engine.dialect.name}), Slack misshapen interactions: {total}, every one 200")


# --- 'Log as a problem' from a message: its text, of any shape, fills in the capture form ----------------------
MESSAGES = 30


async def slack_shortcuts(tally) -> None:  # type: ignore[no-untyped-def]
    slack = tally.slack
    with ErrorLog() as logged:
        for text in drawn(st.one_of(hostile_text(long=5000), JSON), MESSAGES):
            payload = copy.deepcopy(slack.payload("message_action"))
            payload["message"]["text"] = text
            opened = len(tally.fake.called("views.open"))
            status, body = await slack.interact(payload)
            assert status == 200, (status, body[:300], json.dumps(text)[:300])
            assert not (crashes := logged.take()), (crashes, json.dumps(text)[:300])
            assert len(tally.fake.called("views.open")) == opened + 1, "the form did not open"
    print(f"\nfuzz forms ({tally.engine.dialect.name}), Slack message shortcut: {MESSAGES} messages, every one a form")


# --- the tests: one app per platform and database, so the fuzz is not spent starting servers ------------------------
async def test_slack_forms_buttons_and_shortcuts_with_hostile_fields_get_200_and_nothing_half_stored(tally):
    await tally.slack.slash("Printer jammed in reception #front-desk x2 10m")
    await slack_views(tally)
    await slack_buttons(tally)
    await slack_shortcuts(tally)
    await slack_misshapen(tally)

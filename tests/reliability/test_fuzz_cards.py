"""Fuzzing Teams card submissions (issue 11, item 3) through the real `tally serve` app over HTTP, on SQLite and
PostgreSQL: adaptiveCard/action invokes (Action.Execute), Action.Submit messages, the message extension's form and
its 'Log as a problem' fetch, and activities missing the parts Teams always sends, with data of any shape
(tests/reliability/payloads.py).

Teams gets 200 and a polite answer (a card, or a message), never a 5xx or the apology for an unhandled error;
nothing is half-stored. Slack's forms and buttons: test_fuzz_forms.py.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from hypothesis import strategies as st

from bot.ids import Action
from tests.e2e.conftest import teams_post
from tests.e2e.fake_connector import activity
from tests.limits import card_violations
from tests.reliability.fuzzing import ErrorLog, drawn, hostile_text
from tests.reliability.payloads import BUTTON_VALUES, JSON, UNKNOWN, WELL_FORMED, stored_whole, too_big

# --------------------------------------------------------------------------------------------------------
FORM_VERBS = ("tally_submit_form", "tally_submit_idea_form")
TEAMS_INVOKES = 80
TEAMS_SUBMITS = 40
TEAMS_EXTENSION = 30
MESSAGES = 30  # "Log as a problem" from a message


@st.composite
def card_data(draw: Any) -> Any:
    """An action's data: Tally's own keys and the form's inputs, each well formed, missing, junk or huge."""
    data: dict[str, Any] = {}
    verb = draw(st.sampled_from([a.value for a in Action] + list(FORM_VERBS) * 3 + list(UNKNOWN)))
    if draw(st.integers(0, 5)):
        data["tally_action"] = verb if draw(st.integers(0, 4)) else draw(JSON)
    if draw(st.booleans()):
        data["tally_value"] = draw(BUTTON_VALUES)
    for field, good in WELL_FORMED.items():
        how = draw(st.sampled_from(["good", "good", "missing", "junk"]))
        if how == "good":
            data[field.value] = ",".join(good) if isinstance(good, list) else good
        elif how == "junk":
            data[field.value] = draw(JSON)
    for key in draw(st.lists(st.sampled_from(["tally_origin", "tally_origin_seal", "extra", "msteams"]), max_size=2)):
        data[key] = draw(JSON)
    return draw(st.sampled_from([data] * 9 + [draw(JSON)]))


def teams_envelope(body: dict) -> bool:
    """What Teams always sends: a value that is an object, any data in it an object, and for a card action an action
    object. Anything else is refused 400 before a turn (adapters/teams/adapter.py); the fuzz is of what is inside."""
    value = body.get("value")
    if value is None:
        return True
    if not isinstance(value, dict):
        return False
    action = value.get("action")
    if body.get("name") == "adaptiveCard/action" and not isinstance(action, dict):
        return False
    holders = (value, action if isinstance(action, dict) else {})
    return all(isinstance(h.get("data"), dict | None) for h in holders)


async def teams_invokes(teams) -> None:  # type: ignore[no-untyped-def]
    """Action.Execute: 200 with a card or a message, whatever the data holds."""
    fake = teams.connector
    kinds: Counter[str] = Counter()
    with ErrorLog() as logged:
        for n, data in enumerate(drawn(card_data(), TEAMS_INVOKES)):
            body = activity("invoke_card_action", fake.service_url, id=f"f:fuzz-{n}")
            if n % 2:
                body["conversation"] = {"conversationType": "personal", "id": "a:1personal-chat-with-bob"}
            verb = data.get("tally_action") if isinstance(data, dict) else None
            body["value"] = {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}
            if n % 7 == 3:
                body["value"] = {"action": data} if n % 2 else data
            status, text = await teams_post(teams, body)
            if too_big(body) and status == 413:
                kinds["over 1 MB: 413"] += 1
                continue
            if not teams_envelope(body):
                assert status == 400, (status, text[:300])
                kinds["not Teams' envelope: 400"] += 1
                continue
            assert status == 200, (status, text[:300], json.dumps(data)[:600])
            assert not (crashes := logged.take()), (crashes, json.dumps(data)[:600])
            answer = json.loads(text)
            assert answer["statusCode"] == 200 and answer["value"], answer
            if isinstance(answer["value"], dict):  # a card in place of the one acted on
                assert not (problems := card_violations(answer["value"])), problems
            kinds[answer["type"].rsplit(".", 1)[-1]] += 1
    await stored_whole(teams)
    print(f"\nfuzz forms ({teams.engine.dialect.name}), Teams adaptiveCard/action: {TEAMS_INVOKES}, {dict(kinds)}")


async def teams_submits(teams) -> None:  # type: ignore[no-untyped-def]
    """Action.Submit (a message whose value is the data) and the message extension's form."""
    fake = teams.connector
    statuses: Counter[int] = Counter()
    with ErrorLog() as logged:
        for n, data in enumerate(drawn(card_data(), TEAMS_SUBMITS + TEAMS_EXTENSION)):
            if n < TEAMS_SUBMITS:  # Action.Submit: a message whose value is the data
                body = activity("message_personal", fake.service_url, id=f"fuzz-submit-{n}", text="", value=data)
                body["replyToId"] = "1700000000999"
            else:
                body = activity("invoke_extension_submit", fake.service_url, id=f"f:fuzz-ext-{n}")
                body["value"] = {**body["value"], "data": data} if n % 5 else data
            sent = len(fake.sent)
            status, text = await teams_post(teams, body)
            statuses[status] += 1
            if too_big(body) and status == 413:
                continue
            if not teams_envelope(body):
                assert status == 400, (status, text[:300])
                continue
            assert status in (200, 201), (status, text[:300], json.dumps(data)[:600])
            assert not (crashes := logged.take()), (crashes, json.dumps(data)[:600])
            if n < TEAMS_SUBMITS:
                assert len(fake.sent) > sent, f"no answer to {json.dumps(data)[:300]}"
    await stored_whole(teams)
    total = TEAMS_SUBMITS + TEAMS_EXTENSION
    print(f"\nfuzz forms ({teams.engine.dialect.name}), Teams Action.Submit + extension: {total}, {dict(statuses)}")


async def teams_fetches(teams) -> None:  # type: ignore[no-untyped-def]
    fake = teams.connector
    payloads = drawn(st.one_of(hostile_text(long=5000), JSON), MESSAGES)
    with ErrorLog() as logged:
        for n, content in enumerate(payloads):
            body = activity("invoke_extension_fetch", fake.service_url, id=f"f:fuzz-fetch-{n}")
            if n % 3:
                body["value"]["messagePayload"]["body"]["content"] = content
            else:  # the payload's shape itself is wrong
                body["value"]["messagePayload"] = content if n % 2 else {"body": content}
            status, text = await teams_post(teams, body)
            assert status == 200, (status, text[:300], json.dumps(content)[:300])
            assert not (crashes := logged.take()), (crashes, json.dumps(content)[:300])
            task = json.loads(text)["task"]
            assert task["type"] == "continue" and not card_violations(task["value"]["card"]["content"])
    print(f"\nfuzz forms ({teams.engine.dialect.name}), Teams Log as a problem: {MESSAGES} messages, every one a form")


ORIGIN_ONLY = {"action": {"type": "Action.Execute", "data": {"tally_action": "problem_happened_again",
                                                              "tally_value": "1", "tally_origin": "19:x"}}}  # fmt: skip
TEAMS_MISSHAPEN = (  # parts of a card action that Teams always sends, missing or of another shape
    ("value missing", lambda b: b.pop("value")),
    ("value a string", lambda b: b.update(value="x")),
    ("value a list", lambda b: b.update(value=[1])),
    ("action a string", lambda b: b["value"].update(action="x")),
    ("data a string", lambda b: b["value"]["action"].update(data="x")),
    ("data null", lambda b: b["value"]["action"].update(data=None)),
    ("from missing", lambda b: b.pop("from")),
    ("from without an id", lambda b: b.update({"from": {"name": "x"}})),
    (
        "from missing, an origin given",
        lambda b: (b.pop("from"), b.update(value=ORIGIN_ONLY)),
    ),
    ("conversation missing", lambda b: b.pop("conversation")),
    ("conversation id a number", lambda b: b.update(conversation={"id": 5, "conversationType": "personal"})),
    ("conversationType unknown", lambda b: b["conversation"].update(conversationType="???")),
    ("replyToId a number", lambda b: b.update(replyToId=5)),
    ("channelData a list", lambda b: b.update(channelData=[1])),
    ("channelData's tenant a string", lambda b: b.update(channelData={"tenant": "x"})),
    ("recipient missing", lambda b: b.pop("recipient")),
)


async def teams_misshapen(teams) -> None:  # type: ignore[no-untyped-def]
    """Each change to an Action.Execute invoke, and (from 'from missing' on) to a typed message: refused 400 when
    it breaks what Teams always sends (adapters/teams/adapter.py), else answered politely; never a crash."""
    fake = teams.connector
    sent = 0
    refused: Counter[bool] = Counter()
    with ErrorLog() as logged:
        for n, (name, change) in enumerate(TEAMS_MISSHAPEN):
            body = activity("invoke_card_action", fake.service_url, id=f"f:misshapen-{n}")
            change(body)
            status, text = await teams_post(teams, body)
            refused[status == 400] += 1
            assert status == 400 or json.loads(text)["statusCode"] == 200, (name, status, text[:300])
            assert status in (200, 400) and not (crashes := logged.take()), (name, status, crashes)
            sent += 1
        for n, (name, change) in enumerate(TEAMS_MISSHAPEN[6:]):
            body = activity("message_personal", fake.service_url, id=f"misshapen-{n}", text="problem show 1")
            change(body)
            status, text = await teams_post(teams, body)
            refused[status == 400] += 1
            assert status in (200, 201, 400), (name, status, text[:300])
            assert not (crashes := logged.take()), (name, crashes)
            sent += 1
    print(
        f"\nfuzz forms ({teams.engine.dialect.name}), Teams misshapen activities: {sent}: "
        f"{refused[True]} refused 400 (not Teams' envelope), {refused[False]} answered 200"
    )


async def test_teams_card_actions_submits_and_extension_with_hostile_data_get_a_polite_200(teams):
    fake = teams.connector
    await teams_post(teams, activity("message_personal", fake.service_url, text="problem Printer jammed x2", id="s1"))
    await teams_invokes(teams)
    await teams_submits(teams)
    await teams_fetches(teams)
    await teams_misshapen(teams)

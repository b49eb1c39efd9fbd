"""Teams flows end to end: the duplicate question asked in a channel and answered from the 1:1 chat, turns
that fail where the bot doesn't handle it (on_turn_error), and the installer's right to merge.

Bot Framework activities go into the real app over HTTP (Emulator mode: no token checks); assertions are
on what the fake connector received and what the database holds.
"""

from __future__ import annotations

import json

from aiohttp import web
from sqlalchemy import text as sql

from adapters.teams.bot import TURN_FAILED
from bot.ids import Action
from tests.e2e.conftest import teams_post as post
from tests.e2e.fake_connector import activity

TENANT = "72f988bf-0000-4000-8000-00000c0unc11"
ALICE = {"id": "29:1alice-teams-id", "name": "Alice Adams", "aadObjectId": "6a1c7e44-0000-4000-8000-0000000a11ce"}
BOB = {"id": "29:1bob-teams-id", "name": "Bob Brown", "aadObjectId": "6a1c7e44-0000-4000-8000-000000000b0b"}
SIMILAR_FIRST = "Users complaining they have not received a decision letter #decisions"
SIMILAR_SECOND = "users complain they haven't received their decision letter #decisions x2"
THREAD = "19:frontdesk@thread.tacv2"  # the channel the near-copy was typed in (never the message's own id)
BOBS_CHAT = "a:1on1-29:1bob-teams-id"  # as the fake connector names the 1:1 chat it creates


def card_text(card: dict) -> str:
    return json.dumps(card, ensure_ascii=False)


def channel_message(fake, text: str, message_id: str, user: dict = BOB) -> dict:  # type: ignore[no-untyped-def]
    body = activity("message_channel", fake.service_url, text=f"<at>Tally</at> problem {text}", id=message_id)
    body["from"] = user
    body["conversation"] = {**body["conversation"], "id": f"19:frontdesk@thread.tacv2;messageid={message_id}"}
    return body


def personal_message(fake, text: str, message_id: str, user: dict) -> dict:  # type: ignore[no-untyped-def]
    body = activity("message_personal", fake.service_url, text=text, id=message_id)
    body["from"] = user
    body["conversation"] = {**body["conversation"], "id": f"a:1personal-chat-with-{user['name'].split()[0].lower()}"}
    return body


# --- 8. the duplicate question in a channel goes to the 1:1 chat ---------------------------------------------


async def test_duplicate_question_in_a_channel_is_asked_in_the_1on1_and_no_posts_the_card_to_the_channel(teams):
    fake = teams.connector
    await post(teams, channel_message(fake, SIMILAR_FIRST, "1700000000002"))
    (first_card,) = fake.of("reply")
    assert first_card.card["body"][0]["text"].startswith("#1 ")

    status, _ = await post(teams, channel_message(fake, SIMILAR_SECOND, "1700000000003"))
    assert status in (200, 201)
    assert [s.kind for s in fake.sent] == ["reply", "create", "send"]  # nothing more in the channel thread
    assert [s.conversation_id for s in fake.sent if s.conversation_id.startswith("19:")] == [first_card.conversation_id]
    (created,) = fake.of("create")
    assert created.activity["members"] == [{"id": BOB["id"]}] and created.activity["isGroup"] is False
    (asked,) = fake.of("send")
    assert asked.conversation_id == created.conversation_id == BOBS_CHAT
    assert "Is it the same problem?" in card_text(asked.card)
    assert teams.count("select count(*) from problem") == 1

    no = next(a for a in asked.card["actions"] if a["data"]["tally_action"] == Action.NOT_SAME.value)
    assert no["data"]["tally_origin"] == THREAD
    press = activity("invoke_card_action", fake.service_url, id="f:invoke-not-same-1", replyToId="sent-2")
    press["from"] = BOB
    press["conversation"] = {"conversationType": "personal", "tenantId": TENANT, "id": BOBS_CHAT}
    press["value"]["action"] = {"type": "Action.Execute", "title": no["title"], "verb": no["verb"], "data": no["data"]}
    status, text = await post(teams, press)
    assert status == 200
    answer = json.loads(text)
    assert answer["statusCode"] == 200 and answer["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Logged as a new problem, #2." in card_text(answer["value"])

    new_card = fake.of("send")[-1]
    assert len(fake.of("send")) == 2 and new_card.conversation_id == THREAD
    assert new_card.card["body"][0]["text"].startswith("#2 users complain they haven't received")
    assert fake.of("update") == [] and len(fake.of("reply")) == 1
    assert teams.count("select count(*) from problem") == 2
    two = "select sum(o.count) from occurrence o join problem p on p.id = o.problem_id where p.number = 2"
    assert teams.count(two) == 2


# --- 9. on_turn_error ------------------------------------------------------------------------------------------


def failing(fake, monkeypatch, kinds: set[str], only_cards: bool = False) -> list[dict]:  # type: ignore[no-untyped-def]
    """The fake connector answers 500 to these kinds of request (only to cards, if asked); returns what failed."""
    record = fake._record
    refused: list[dict] = []

    async def _record(request: web.Request, kind: str) -> web.Response:
        body = await request.json()
        if kind in kinds and (not only_cards or body.get("attachments")):
            refused.append(body)
            return web.json_response({"error": {"code": "ServiceError", "message": "Internal error"}}, status=500)
        return await record(request, kind)

    monkeypatch.setattr(fake, "_record", _record)
    return refused


async def test_a_message_turn_that_fails_gets_a_polite_apology(teams, monkeypatch):
    fake = teams.connector
    refused = failing(fake, monkeypatch, {"reply"}, only_cards=True)
    status, text = await post(teams, personal_message(fake, "tally help", "1700000000101", ALICE))
    assert status in (200, 201)
    assert len(refused) == 1  # the help card was tried, and the connector refused it
    (apology,) = fake.of("reply")
    assert apology.conversation_id == "a:1personal-chat-with-alice"
    assert apology.activity["text"] == TURN_FAILED
    for body in [*(s.activity for s in fake.sent), *refused]:
        assert "Traceback" not in json.dumps(body) and "ConnectorError" not in json.dumps(body)
    assert "Traceback" not in text


async def test_a_message_turn_whose_apology_fails_too_is_still_not_a_500(teams, monkeypatch):
    fake = teams.connector
    refused = failing(fake, monkeypatch, {"reply"})
    status, text = await post(teams, personal_message(fake, "tally help", "1700000000102", ALICE))
    assert status in (200, 201), text
    assert len(refused) == 2  # the card, then the apology
    assert refused[1]["text"] == TURN_FAILED
    assert all("Traceback" not in json.dumps(body) for body in refused)


async def test_an_invoke_whose_update_for_everyone_fails_still_answers_the_person_who_pressed(teams, monkeypatch):
    fake = teams.connector
    await post(teams, channel_message(fake, "Printer jammed in reception 10m", "1700000000002"))
    refused = failing(fake, monkeypatch, {"update"})
    status, text = await post(teams, activity("invoke_card_action", fake.service_url))
    assert status == 200
    assert len(refused) == 1  # the card in the channel could not be updated
    answer = json.loads(text)
    assert answer["statusCode"] == 200 and answer["type"] == "application/vnd.microsoft.card.adaptive"
    assert "2 times this week" in json.dumps(answer["value"])
    assert "Traceback" not in text and "ConnectorError" not in text
    assert all("Traceback" not in json.dumps(s.activity) for s in fake.sent)


async def test_the_apology_after_a_failed_update_does_not_say_nothing_was_stored_when_it_was(teams, monkeypatch):
    fake = teams.connector
    await post(teams, channel_message(fake, "Printer jammed in reception 10m", "1700000000002"))
    before = teams.count("select sum(count) from occurrence")
    failing(fake, monkeypatch, {"update"})
    _, text = await post(teams, activity("invoke_card_action", fake.service_url))
    told_nothing_stored = "nothing was stored" in json.loads(text)["value"]
    stored_anyway = teams.count("select sum(count) from occurrence") != before
    assert not (told_nothing_stored and stored_anyway)


# --- 10. the installer's merge ----------------------------------------------------------------------------------


async def test_the_installer_may_merge_and_someone_else_may_not(teams):
    fake = teams.connector
    status, _ = await post(teams, activity("conversation_update", fake.service_url, **{"from": ALICE}))
    assert status in (200, 201)
    await post(teams, personal_message(fake, "problem Printer jammed 10m", "1700000000201", ALICE))
    await post(teams, personal_message(fake, "problem Phones down for an hour", "1700000000202", BOB))
    assert teams.count("select count(*) from problem") == 2

    await post(teams, personal_message(fake, "problem merge 2 into 1", "1700000000203", BOB))
    refused = fake.of("reply")[-1]
    assert refused.conversation_id == "a:1personal-chat-with-bob"
    assert "Only a workspace admin or Tally owner can merge problems." in card_text(refused.card)
    assert teams.count("select count(*) from problem where status = 'merged'") == 0

    await post(teams, personal_message(fake, "problem merge 2 into 1", "1700000000204", ALICE))
    merged = fake.of("reply")[-1]
    assert merged.conversation_id == "a:1personal-chat-with-alice"
    assert "Merged #2 into #1" in card_text(merged.card)
    assert teams.count("select count(*) from problem where status = 'merged' and number = 2") == 1
    one = "select sum(o.count) from occurrence o join problem p on p.id = o.problem_id where p.number = 1"
    assert teams.count(one) == 2
    owners = (
        "select user_id from workspace_owner o join workspace w on w.id = o.workspace_id "
        f"where w.external_id = '{TENANT}'"
    )
    with teams.engine.connect() as conn:
        assert [r[0] for r in conn.execute(sql(owners))] == [ALICE["aadObjectId"]]


async def test_a_tampered_origin_on_a_1on1_card_posts_nowhere_but_the_1on1(teams):
    """The origin a 1:1 card carries is sealed: changing it can't make Tally post into another conversation."""
    fake = teams.connector
    await post(teams, channel_message(fake, SIMILAR_FIRST, "1700000000002"))
    await post(teams, channel_message(fake, SIMILAR_SECOND, "1700000000003"))
    (asked,) = fake.of("send")
    no = next(a for a in asked.card["actions"] if a["data"]["tally_action"] == Action.NOT_SAME.value)
    forged = {**no["data"], "tally_origin": "19:someone-elses-private-channel@thread.tacv2"}
    press = activity("invoke_card_action", fake.service_url, id="f:invoke-forged-1", replyToId="sent-2")
    press["from"] = BOB
    press["conversation"] = {"conversationType": "personal", "tenantId": TENANT, "id": BOBS_CHAT}
    press["value"]["action"] = {"type": "Action.Execute", "title": no["title"], "verb": no["verb"], "data": forged}
    status, _ = await post(teams, press)
    assert status == 200
    assert all("someone-elses" not in s.conversation_id for s in fake.sent)
    assert fake.of("send")[-1].conversation_id == BOBS_CHAT  # the card stays in Bob's own chat

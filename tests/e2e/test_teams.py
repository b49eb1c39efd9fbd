"""Teams end to end: Bot Framework activities over HTTP, assertions on what the fake connector received."""

from __future__ import annotations

import hashlib
import json

import aiohttp

from bot import commands as c
from bot.replies import Reply
from storage.model import Platform
from tests.conftest import WORKED_EXAMPLE
from tests.e2e.conftest import teams_post as post
from tests.e2e.fake_connector import activity

TENANT = "72f988bf-0000-4000-8000-00000c0unc11"


def facts(card: dict) -> dict[str, str]:
    factset = next(b for b in card["body"] if b["type"] == "FactSet")
    return {f["title"]: f["value"] for f in factset["facts"]}


async def test_worked_example_in_a_personal_chat(teams):
    fake = teams.connector
    status, _ = await post(teams, activity("message_personal", fake.service_url, text="problem " + WORKED_EXAMPLE))
    assert status in (200, 201)
    (sent,) = fake.of("reply")
    assert sent.conversation_id == "a:1personal-chat-with-alice" and sent.activity_id == "1700000000001"
    card = sent.card
    assert card["version"] == "1.5" and card["type"] == "AdaptiveCard"
    assert facts(card)["Staff time this week"] == "8.5 hours"
    assert facts(card)["Service users affected this week"] == "17"
    again, propose = card["actions"]
    assert propose["verb"] == "problem_propose_fix"
    assert again["type"] == "Action.Execute" and again["verb"] == "problem_happened_again"
    assert again["fallback"]["type"] == "Action.Submit"
    assert teams.count(f"select count(*) from workspace where platform = 'teams' and external_id = '{TENANT}'") == 1
    reporter = "select count(*) from problem where reporter_id = '6a1c7e44-0000-4000-8000-0000000a11ce'"
    assert teams.count(reporter) == 1


async def test_channel_message_has_the_mention_removed(teams):
    fake = teams.connector
    text = "<at>Tally</at> problem Scanner offline in reception x2 15m"
    status, _ = await post(teams, activity("message_channel", fake.service_url, text=text))
    assert status in (200, 201)
    (sent,) = fake.of("reply")
    assert sent.conversation_id == "19:frontdesk@thread.tacv2;messageid=1700000000002"
    assert sent.card["body"][0]["text"] == "#1 Scanner offline in reception"


async def test_bad_input_is_answered_and_stores_nothing(teams):
    fake = teams.connector
    for i, text in enumerate(["problem letters x0", "problem again 99", "problem letters on 2030-01-01", "frobnicate"]):
        await post(teams, activity("message_personal", fake.service_url, text=text, id=f"bad-{i}"))
    assert len(fake.of("reply")) == 4
    for sent in fake.of("reply"):
        assert sent.card["body"][0]["color"] == "Attention"
        assert "Traceback" not in json.dumps(sent.card)
    assert teams.count("select count(*) from problem") == 0


async def test_redelivered_activity_is_stored_once(teams):
    fake = teams.connector
    message = activity("message_personal", fake.service_url, text="problem " + WORKED_EXAMPLE)
    await post(teams, message)
    await post(teams, message)
    assert teams.count("select count(*) from problem") == 1
    assert teams.count("select sum(count) from occurrence") == 17


async def test_problem_alone_sends_the_capture_form(teams):
    fake = teams.connector
    await post(teams, activity("message_personal", fake.service_url, text="problem"))
    card = fake.of("reply")[0].card
    ids = [b.get("id") for b in card["body"] if b.get("id")]
    assert ids == ["issue", "new_area", "impacts", "occurrences", "effort", "users", "options"]
    (submit,) = card["actions"]
    assert submit["type"] == "Action.Execute" and submit["verb"] == "tally_submit_form"


def form_invoke(fake, data: dict, invoke_id: str) -> dict:  # type: ignore[no-untyped-def]
    body = activity("invoke_card_action", fake.service_url, id=invoke_id)
    body["value"]["action"] = {"type": "Action.Execute", "verb": "tally_submit_form", "data": data}
    return body


async def test_form_submission_with_errors_returns_the_same_card_with_errors(teams):
    fake = teams.connector
    data = {"issue": "", "occurrences": "0", "effort": "30 hours", "tally_action": "tally_submit_form"}
    status, text = await post(teams, form_invoke(fake, data, "form-1"))
    assert status == 200
    body = json.loads(text)
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    errors = [b["text"] for b in body["value"]["body"] if b.get("color") == "Attention"]
    assert len(errors) == 4  # the banner, and issue, occurrences, effort
    assert teams.count("select count(*) from problem") == 0


async def test_form_submission_creates_the_problem_and_swaps_in_its_card(teams):
    fake = teams.connector
    data = {
        "issue": "Users contacting us to complain that they have not received a decision letter",
        "new_area": "Communicating decision on application",
        "impacts": "quality,delivery,cost",
        "occurrences": "17",
        "effort": "20m+10m",
        "options": "fd",
        "tally_action": "tally_submit_form",
    }
    status, text = await post(teams, form_invoke(fake, data, "form-2"))
    assert status == 200
    card = json.loads(text)["value"]
    assert facts(card)["Staff time this week"] == "8.5 hours"
    assert teams.count("select count(*) from problem where failure_demand") == 1


async def test_happened_again_invoke_answers_with_the_refreshed_card(teams):
    fake = teams.connector
    await post(teams, activity("message_channel", fake.service_url, text="<at>Tally</at> problem " + WORKED_EXAMPLE))
    status, text = await post(teams, activity("invoke_card_action", fake.service_url))
    assert status == 200
    body = json.loads(text)
    assert body["statusCode"] == 200
    assert facts(body["value"])["Tally"] == "18 times this week · 18 times in all"
    assert facts(body["value"])["Staff time this week"] == "9 hours"
    # The same invoke delivered again is stored once.
    await post(teams, activity("invoke_card_action", fake.service_url))
    assert teams.count("select sum(count) from occurrence") == 18


async def test_happened_again_on_an_unknown_problem_is_a_message_not_a_500(teams):
    fake = teams.connector
    status, text = await post(teams, activity("invoke_card_action", fake.service_url))
    assert status == 200
    body = json.loads(text)
    assert body["type"] == "application/vnd.microsoft.activity.message" and "no problem #1" in body["value"]


async def test_action_submit_fallback_updates_the_card_in_place(teams):
    fake = teams.connector
    await post(teams, activity("message_personal", fake.service_url, text="problem Printer jammed 10m"))
    submit = activity(
        "message_personal",
        fake.service_url,
        id="submit-1",
        text="",
        replyToId="sent-1",
        value={"tally_action": "problem_happened_again", "tally_value": "1"},
    )
    await post(teams, submit)
    (update,) = fake.of("update")
    assert update.activity_id == "sent-1"
    assert facts(update.card)["Tally"].startswith("2 times this week")


async def test_message_extension_fetch_opens_the_prefilled_form(teams):
    fake = teams.connector
    status, text = await post(teams, activity("invoke_extension_fetch", fake.service_url))
    assert status == 200
    task = json.loads(text)["task"]
    assert task["type"] == "continue"
    card = task["value"]["card"]["content"]
    issue = next(b for b in card["body"] if b.get("id") == "issue")
    assert issue["value"] == "Another resident rang: still no decision letter & nobody called back"
    assert card["actions"][0]["type"] == "Action.Submit"


async def test_message_extension_submit_posts_the_card(teams):
    fake = teams.connector
    status, text = await post(teams, activity("invoke_extension_submit", fake.service_url))
    assert status == 200 and json.loads(text) == {}
    (sent,) = fake.of("reply")
    assert facts(sent.card)["Staff time this week"] == "8.5 hours"
    assert facts(sent.card)["Service users affected this week"] == "17"


async def test_message_extension_submit_with_errors_keeps_the_dialog_open(teams):
    fake = teams.connector
    body = activity("invoke_extension_submit", fake.service_url)
    body["value"]["data"]["occurrences"] = "x-1"
    status, text = await post(teams, body)
    assert status == 200
    card = json.loads(text)["task"]["value"]["card"]["content"]
    assert any(b.get("color") == "Attention" for b in card["body"])
    assert teams.count("select count(*) from problem") == 0
    assert fake.sent == []


async def test_conversation_update_stores_the_reference_and_proactive_posts_work(teams):
    fake = teams.connector
    status, _ = await post(teams, activity("conversation_update", fake.service_url))
    assert status in (200, 201)
    assert teams.count("select count(*) from conversation_ref") == 1
    installer = "select count(*) from workspace_owner where user_id = '6a1c7e44-0000-4000-8000-0000000a11ce'"
    assert teams.count(installer) == 1  # whoever adds Tally first may merge problems
    (welcome,) = fake.of("send")  # a welcome into the channel it was added to
    assert welcome.conversation_id == "19:frontdesk@thread.tacv2" and "Tally" in welcome.activity["text"]

    from adapters.teams.routes import TEAMS

    notifier = teams.server.app[TEAMS].notifier
    ws = c.WorkspaceRef(Platform.TEAMS, TENANT)
    await notifier.post(ws, "19:frontdesk@thread.tacv2", Reply(text="Weekly digest: 3 problems"))
    proactive = fake.sent[-1]  # botbuilder's continuation posts into the conversation, not as a reply to a user
    assert len(fake.sent) == 2 and proactive.activity["from"]["id"] == "28:tally-bot-app-id"
    assert proactive.conversation_id == "19:frontdesk@thread.tacv2"
    assert proactive.card["body"][0]["text"] == "Weekly digest: 3 problems"


async def test_anonymous_reports_leave_no_trace_of_the_reporter_anywhere(teams):
    fake = teams.connector
    alice = {"from": {"id": "29:1alice-teams-id", "name": "Alice Adams", "aadObjectId": "6a1c7e44-alice"}}
    personal = activity("message_personal", fake.service_url, text="problem Bullying on the night shift anon", **alice)
    await post(teams, personal)
    again = activity("message_personal", fake.service_url, id="1700000000077", text="problem again 1 x2 anon", **alice)
    await post(teams, again)
    form = {"issue": "Rota changed without notice", "options": "anon", "tally_action": "tally_submit_form"}
    personal = {"conversationType": "personal", "tenantId": TENANT, "id": "a:1personal-chat-with-alice"}
    await post(teams, {**form_invoke(fake, form, "1700000000078"), **alice, "conversation": personal})
    assert teams.count("select count(*) from problem where reporter_id is null") == 2
    assert teams.count("select sum(count) from occurrence where reporter_id is null") == 4
    dump = teams.dump()
    for trace in ("29:1alice-teams-id", "Alice Adams", "6a1c7e44-alice", "1700000000001", "1700000000077"):
        assert trace not in dump, trace
    # Someone holding only the database can't rebuild a delivery id from the personal chat and a message time.
    guessed = hashlib.sha256(b"a:1personal-chat-with-alice|1700000000001").hexdigest()[:40]
    assert teams.count("select count(*) from occurrence where delivery_id is not null") == 3
    assert guessed not in dump


async def test_every_message_refreshes_the_reference(teams):
    fake = teams.connector
    await post(teams, activity("message_personal", fake.service_url, text="tally help"))
    await post(teams, activity("message_channel", fake.service_url))
    assert teams.count("select count(*) from conversation_ref") == 2


async def test_unknown_invoke_is_answered_and_ignored_never_a_5xx(teams):
    fake = teams.connector
    body = activity("invoke_card_action", fake.service_url, name="something/else")
    status, _ = await post(teams, body)
    assert status == 200
    assert teams.count("select count(*) from audit_event") == 0  # nothing done
    assert fake.sent == []  # nothing sent


async def test_not_json_is_refused(teams):
    async with (
        aiohttp.ClientSession() as session,
        session.post(teams.url("/api/messages"), data=b"hello", headers={"Content-Type": "text/plain"}) as resp,
    ):
        assert resp.status == 415


async def test_group_chat_mention_works_like_a_channel(teams):
    fake = teams.connector
    body = activity("message_channel", fake.service_url, text="<at>Tally</at> problem top", id="group-1")
    body["conversation"] = {"isGroup": True, "conversationType": "groupChat", "id": "19:group-chat@thread.v2"}
    status, _ = await post(teams, body)
    assert status in (200, 201)
    assert fake.of("reply") == []  # a list is for the person who asked: not the group
    (created,) = fake.of("create")
    assert created.activity["members"] == [{"id": "29:1bob-teams-id"}] and created.activity["isGroup"] is False
    (sent,) = fake.of("send")
    assert sent.conversation_id == created.conversation_id == "a:1on1-29:1bob-teams-id"
    assert sent.card["body"][0]["text"] == "Nothing has been logged this week yet."
    assert teams.count("select count(*) from conversation_ref where conversation_type = 'groupChat'") == 1


async def test_form_submitted_through_the_fallback_shows_its_errors_in_place(teams):
    fake = teams.connector
    await post(teams, activity("message_personal", fake.service_url, text="problem"))
    submit = activity(
        "message_personal",
        fake.service_url,
        id="fallback-form-1",
        text="",
        replyToId="sent-1",
        value={"tally_action": "tally_submit_form", "issue": "Scanner offline", "occurrences": "0"},
    )
    await post(teams, submit)
    (update,) = fake.of("update")
    inputs = {b["id"]: b for b in update.card["body"] if "id" in b}
    assert inputs["issue"]["value"] == "Scanner offline"  # what was typed is kept
    assert any(b.get("color") == "Attention" and "x17" in b["text"] for b in update.card["body"])
    assert teams.count("select count(*) from problem") == 0


async def test_an_anonymous_report_typed_in_a_channel_is_refused_and_leaves_no_message_id(teams):
    """In a channel the card would answer the message typed under the reporter's name: not anonymous at all."""
    fake = teams.connector
    body = activity("message_channel", fake.service_url, text="<at>Tally</at> problem Bullying on the night shift anon")
    await post(teams, body)
    assert teams.count("select count(*) from problem") == 0
    assert fake.of("reply") == []  # nothing in the thread
    (told,) = fake.of("send")  # the reporter is told in their 1:1 chat
    assert "personal chat" in told.card["body"][0]["text"] and "not stored" in told.card["body"][0]["text"]
    assert "1700000000002" not in teams.dump()  # the thread's root message (its author's, and its time)
    assert teams.count("select count(*) from conversation_ref where conversation_id = '19:frontdesk@thread.tacv2'") == 1


async def test_emulator_mode_only_answers_an_emulator_on_this_machine(teams):
    """No credentials means no token checks: a serviceUrl elsewhere would make Tally post wherever it's told."""
    body = activity("message_personal", "https://attacker.example.com", text="problem Printer jammed")
    status, _ = await post(teams, body)
    assert status == 401
    assert teams.count("select count(*) from problem") == 0 and teams.connector.sent == []

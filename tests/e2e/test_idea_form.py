"""The idea form end to end: 'Propose a fix' on a problem's card opens it with that problem in it (a Slack modal,
a Teams card), a submission proposes the idea linked to the problem and posts its card, and bad answers come
back per field with nothing stored. Signed Slack payloads and Bot Framework activities over real HTTP, on
SQLite and PostgreSQL (the fixtures parametrise the database)."""

from __future__ import annotations

import json
from typing import Any

from bot.ids import Action
from tests.e2e.conftest import teams_post as post
from tests.e2e.fake_connector import activity

ISSUE = "Users contacting us to complain that they have not received a decision letter"
IDEA = "Email the decision letter as well as posting it"
LINKED = (
    "select count(*) from idea_problem join problem on problem.id = idea_problem.problem_id where problem.number = 1"
)


def as_dict(view: Any) -> dict[str, Any]:
    return view if isinstance(view, dict) else json.loads(view)


# --- Slack ---------------------------------------------------------------------------------------------------
async def press_propose_fix(tally, trigger_id: str = "propose-trigger", user: str = "U0BOB") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Press 'Propose a fix' on #1's card; returns the modal Slack was asked to open."""
    (post_,) = tally.fake.called("chat.postMessage")
    card_actions = next(b for b in post_.args["blocks"] if b["type"] == "actions")
    button = next(e for e in card_actions["elements"] if e["action_id"] == Action.PROPOSE_FIX.value)
    payload = tally.slack.payload("block_actions")
    payload["trigger_id"] = trigger_id
    payload["user"]["id"] = user
    payload["actions"] = [{**payload["actions"][0], "action_id": button["action_id"], "value": button["value"]}]
    status, body = await tally.slack.interact(payload, retry=True)  # keep this trigger_id: views.open must use it
    assert status == 200 and body == ""
    (opened,) = tally.fake.called("views.open")
    assert opened.args["trigger_id"] == trigger_id
    return as_dict(opened.args["view"])


def idea_submission(
    tally, view: dict[str, Any], text: str, fixes: str, anon: bool = False, user: str = "U0BOB"
) -> dict:  # type: ignore[no-untyped-def]
    """The modal as Slack submits it, answered as given."""
    payload = tally.slack.payload("view_submission")
    payload["user"] = {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0COUNCIL"}
    chosen = [{"value": "anon", "text": {"type": "plain_text", "text": "Propose anonymously"}}] if anon else []
    payload["view"] = {
        **payload["view"],
        "id": "V0IDEA1",
        "callback_id": view["callback_id"],
        "private_metadata": view["private_metadata"],
        "state": {
            "values": {
                "idea_text": {"idea_text": {"type": "plain_text_input", "value": text}},
                "idea_fixes": {"idea_fixes": {"type": "plain_text_input", "value": fixes}},
                "idea_options": {"idea_options": {"type": "checkboxes", "selected_options": chosen}},
            }
        },
    }
    return payload


async def test_propose_a_fix_opens_the_idea_modal_with_the_problem_in_it(tally):
    await tally.slack.slash(ISSUE)
    view = await press_propose_fix(tally)
    assert view["callback_id"] == "tally_propose_idea" and view["title"]["text"] == "Propose a fix"
    fields = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(fields) == ["idea_text", "idea_fixes", "idea_options"]
    assert fields["idea_fixes"]["element"]["initial_value"] == "#1"
    assert "initial_value" not in fields["idea_text"]["element"]
    metadata = json.loads(view["private_metadata"])
    assert metadata == {"channel": "C0FRONTDESK", "response_url": tally.fake.url("/respond/action")}
    assert tally.count("select count(*) from idea") == 0


async def test_the_submitted_modal_proposes_the_idea_linked_to_the_problem_and_posts_its_card(tally):
    await tally.slack.slash(ISSUE)
    view = await press_propose_fix(tally)
    status, body = await tally.slack.interact(idea_submission(tally, view, IDEA, "#1"))
    assert status == 200 and body == ""
    posts = tally.fake.called("chat.postMessage")
    assert len(posts) == 2 and posts[-1].args["channel"] == "C0FRONTDESK"
    card = json.dumps(posts[-1].args["blocks"])
    assert f"I1 {IDEA}" in card and "#1 Users contacting us" in card and Action.VOTE.value in card
    assert tally.count("select count(*) from idea where proposer_id = 'U0BOB'") == 1
    assert tally.count(LINKED) == 1


async def test_bad_answers_come_back_per_field_and_store_nothing(tally):
    await tally.slack.slash(ISSUE)
    view = await press_propose_fix(tally)
    status, body = await tally.slack.interact(idea_submission(tally, view, " ", "#1 soon"))
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"idea_text", "idea_fixes"}
    assert "'soon' isn't a problem number" in answer["errors"]["idea_fixes"]
    # A number that isn't a problem is shown on the field that names it.
    status, body = await tally.slack.interact(idea_submission(tally, view, IDEA, "#1 #9"))
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and "no problem #9" in answer["errors"]["idea_fixes"]
    assert tally.count("select count(*) from idea") == 0 and tally.count("select count(*) from idea_problem") == 0
    assert len(tally.fake.called("chat.postMessage")) == 1  # the problem's card only


async def test_a_retried_submission_is_stored_once(tally):
    await tally.slack.slash(ISSUE)
    view = await press_propose_fix(tally)
    payload = idea_submission(tally, view, IDEA, "#1")
    await tally.slack.interact(payload)
    await tally.slack.interact(
        payload, retry=True, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert tally.count("select count(*) from idea") == 1
    assert len(tally.fake.called("chat.postMessage")) == 2


async def test_an_anonymous_idea_leaves_no_trace_of_its_proposer(tally):
    await tally.slack.slash(ISSUE)
    view = await press_propose_fix(tally, user="U0WHISTLE")
    await tally.slack.interact(
        idea_submission(tally, view, "Stop changing the rota without notice", "#1", anon=True, user="U0WHISTLE")
    )
    assert tally.count("select count(*) from idea where proposer_id is null") == 1
    assert tally.count(LINKED) == 1
    assert "nobody can be told" in json.dumps(tally.fake.called("chat.postMessage")[-1].args["blocks"])
    dump = tally.dump()
    assert "U0WHISTLE" not in dump and "whistle" not in dump


async def test_an_anonymous_idea_where_tally_cannot_post_is_refused_on_the_form(tally):
    await tally.slack.slash(ISSUE)
    view = await press_propose_fix(tally)
    tally.fake.not_in_channel.add("C0FRONTDESK")
    status, body = await tally.slack.interact(idea_submission(tally, view, "Stop the rota changes", "#1", anon=True))
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors"
    assert "anonymous idea was not stored" in answer["errors"]["idea_options"]
    assert tally.count("select count(*) from idea") == 0


# --- Teams ---------------------------------------------------------------------------------------------------
def invoke(fake, verb: str, data: dict[str, Any], invoke_id: str, reply_to: str, **changes: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = activity("invoke_card_action", fake.service_url, id=invoke_id, replyToId=reply_to, **changes)
    body["value"]["action"] = {"type": "Action.Execute", "verb": verb, "data": {"tally_action": verb, **data}}
    return body


async def open_idea_form_in_channel(teams) -> tuple[dict[str, Any], str]:  # type: ignore[no-untyped-def]
    """#1 logged in the channel, then 'Propose a fix' pressed on its card: the form goes to the person's
    1:1 chat, never the channel. Returns the form card and the 1:1 chat's id."""
    fake = teams.connector
    await post(teams, activity("message_channel", fake.service_url, text="<at>Tally</at> problem " + ISSUE))
    (problem_card,) = fake.of("reply")
    propose = next(a for a in problem_card.card["actions"] if a["verb"] == Action.PROPOSE_FIX.value)
    status, text = await post(
        teams, invoke(fake, propose["verb"], {"tally_value": propose["data"]["tally_value"]}, "i-1", "sent-1")
    )
    assert status == 200
    answer = json.loads(text)
    assert answer["type"] == "application/vnd.microsoft.activity.message" and "your chat with Tally" in answer["value"]
    assert fake.of("update") == [] and len(fake.of("reply")) == 1  # nothing more in the channel
    (created,) = fake.of("create")
    (form,) = fake.of("send")
    assert form.conversation_id == created.conversation_id
    return form.card, created.conversation_id


def in_1on1(body: dict[str, Any], chat: str) -> dict[str, Any]:
    """The same press, from the person's 1:1 chat with Tally, where the form was sent."""
    body["conversation"] = {"conversationType": "personal", "tenantId": body["conversation"]["tenantId"], "id": chat}
    return body


async def test_teams_propose_a_fix_sends_the_idea_form_with_the_problem_in_it(teams):
    card, _ = await open_idea_form_in_channel(teams)
    assert card["version"] == "1.5" and card["body"][0]["text"] == "Propose a fix"
    inputs = {b["id"]: b for b in card["body"] if "id" in b}
    assert list(inputs) == ["idea_text", "idea_fixes", "idea_options"] and inputs["idea_fixes"]["value"] == "#1"
    (submit,) = card["actions"]
    assert submit["type"] == "Action.Execute" and submit["verb"] == "tally_submit_idea_form"
    assert submit["fallback"]["type"] == "Action.Submit"
    assert teams.count("select count(*) from idea") == 0


async def test_teams_submitted_idea_form_becomes_the_ideas_card(teams):
    fake = teams.connector
    form, chat = await open_idea_form_in_channel(teams)
    data = {k: v for k, v in form["actions"][0]["data"].items() if k.startswith("tally_origin")}  # sealed origin
    data |= {"idea_text": IDEA, "idea_fixes": "#1"}
    status, text = await post(teams, in_1on1(invoke(fake, "tally_submit_idea_form", data, "i-2", "sent-2"), chat))
    assert status == 200
    answer = json.loads(text)
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"  # the form in the 1:1 becomes the card
    assert answer["value"]["body"][0]["text"] == f"I1 {IDEA}"
    posted = fake.of("send")[-1]  # and the idea's card goes to the channel the problem was in
    assert posted.conversation_id == "19:frontdesk@thread.tacv2" and posted.card["body"][0]["text"] == f"I1 {IDEA}"
    assert teams.count("select count(*) from idea where proposer_id = '6a1c7e44-0000-4000-8000-000000000b0b'") == 1
    assert teams.count(LINKED) == 1


async def test_teams_idea_form_errors_come_back_on_the_same_card(teams):
    fake = teams.connector
    _, chat = await open_idea_form_in_channel(teams)
    data = {"idea_text": "", "idea_fixes": "#1 soon"}
    status, text = await post(teams, in_1on1(invoke(fake, "tally_submit_idea_form", data, "i-3", "sent-2"), chat))
    assert status == 200
    card = json.loads(text)["value"]
    inputs = {b["id"]: b for b in card["body"] if "id" in b}
    assert inputs["idea_fixes"]["value"] == "#1 soon"  # what was typed is kept
    errors = [b["text"] for b in card["body"] if b.get("color") == "Attention"]
    assert len(errors) == 3 and any("'soon' isn't a problem number" in e for e in errors)  # the banner, text, fixes
    assert teams.count("select count(*) from idea") == 0 and fake.of("update") == []


async def test_teams_anonymous_idea_from_a_channel_is_refused(teams):
    fake = teams.connector
    form, chat = await open_idea_form_in_channel(teams)
    data = {k: v for k, v in form["actions"][0]["data"].items() if k.startswith("tally_origin")}
    data |= {"idea_text": "Stop the rota changes", "idea_fixes": "#1", "idea_options": "anon"}
    status, text = await post(teams, in_1on1(invoke(fake, "tally_submit_idea_form", data, "i-4", "sent-2"), chat))
    answer = json.loads(text)
    assert status == 200 and answer["type"] == "application/vnd.microsoft.activity.message"
    assert "anonymous idea was not stored" in answer["value"] and "personal chat" in answer["value"]
    assert teams.count("select count(*) from idea") == 0 and fake.of("update") == []


async def test_teams_anonymous_idea_in_a_personal_chat_keeps_no_proposer(teams):
    fake = teams.connector
    alice = {"from": {"id": "29:1alice-teams-id", "name": "Alice Adams", "aadObjectId": "6a1c7e44-alice"}}
    await post(teams, activity("message_personal", fake.service_url, text="problem " + ISSUE))
    personal = {
        "conversationType": "personal",
        "tenantId": "72f988bf-0000-4000-8000-00000c0unc11",
        "id": "a:1personal-chat-with-alice",
    }
    press = invoke(
        fake, Action.PROPOSE_FIX.value, {"tally_value": "1"}, "i-5", "sent-1", conversation=personal, **alice
    )
    await post(teams, press)
    form = fake.of("reply")[-1]
    assert form.conversation_id == "a:1personal-chat-with-alice" and form.card["body"][0]["text"] == "Propose a fix"
    data = {"idea_text": "Stop changing the rota without notice", "idea_fixes": "#1", "idea_options": "anon"}
    submit = invoke(fake, "tally_submit_idea_form", data, "i-6", "sent-2", conversation=personal, **alice)
    status, text = await post(teams, submit)
    assert status == 200 and "nobody can be told" in json.dumps(json.loads(text)["value"])
    assert teams.count("select count(*) from idea where proposer_id is null") == 1 and teams.count(LINKED) == 1
    dump = teams.dump()
    for trace in ("Alice Adams", "6a1c7e44-alice", "29:1alice-teams-id"):
        assert trace not in dump, trace


async def test_teams_action_submit_fallback_sends_the_form_and_replaces_it_with_the_idea(teams):
    fake = teams.connector
    await post(teams, activity("message_personal", fake.service_url, text="problem " + ISSUE))
    press = activity(
        "message_personal",
        fake.service_url,
        id="fallback-propose",
        text="",
        replyToId="sent-1",
        value={"tally_action": Action.PROPOSE_FIX.value, "tally_value": "1"},
    )
    await post(teams, press)
    assert fake.of("update") == []  # the problem's card is left as it was
    form = fake.of("reply")[-1]
    assert {b["id"]: b for b in form.card["body"] if "id" in b}["idea_fixes"]["value"] == "#1"
    submit = activity(
        "message_personal",
        fake.service_url,
        id="fallback-idea",
        text="",
        replyToId="sent-2",
        value={"tally_action": "tally_submit_idea_form", "idea_text": IDEA, "idea_fixes": "#1"},
    )
    await post(teams, submit)
    (update,) = fake.of("update")
    assert update.activity_id == "sent-2" and update.card["body"][0]["text"] == f"I1 {IDEA}"
    assert teams.count(LINKED) == 1

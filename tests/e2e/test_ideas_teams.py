"""Ideas in Teams end to end: `idea …` answered with the idea's card, a vote pressed in a channel that answers
with the refreshed card and updates the message for everyone, the voter told privately in their 1:1 chat, and a
decision that reaches the proposer's and voters' 1:1 chats by their Entra object ids.

Bot Framework activities go into the real app over HTTP (Emulator mode: no token checks); assertions are on what
the fake connector received and what the database holds.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text as sql

from bot.ids import Action
from tests.e2e.conftest import teams_post as post
from tests.e2e.fake_connector import Sent, activity

TENANT = "72f988bf-0000-4000-8000-00000c0unc11"
THREAD = "19:frontdesk@thread.tacv2"
ALICE = {"id": "29:1alice-teams-id", "name": "Alice Adams", "aadObjectId": "6a1c7e44-0000-4000-8000-0000000a11ce"}
BOB = {"id": "29:1bob-teams-id", "name": "Bob Brown", "aadObjectId": "6a1c7e44-0000-4000-8000-000000000b0b"}
CAROL = {"id": "29:1carol-teams-id", "name": "Carol Cole", "aadObjectId": "6a1c7e44-0000-4000-8000-00000000ca01"}
DAN = {"id": "29:1dan-teams-id", "name": "Dan Dale", "aadObjectId": "6a1c7e44-0000-4000-8000-000000000da0"}
EMAIL_IDEA = "Email the decision letter as well as posting it"


def card_text(card: dict) -> str:
    return json.dumps(card, ensure_ascii=False)


def facts(card: dict) -> dict[str, str]:
    return {f["title"]: f["value"] for b in card["body"] if b["type"] == "FactSet" for f in b["facts"]}


def channel_message(fake, line: str, message_id: str, user: dict) -> dict:  # type: ignore[no-untyped-def]
    body = activity("message_channel", fake.service_url, text=f"<at>Tally</at> {line}", id=message_id)
    body["from"] = user
    body["conversation"] = {**body["conversation"], "id": f"{THREAD};messageid={message_id}"}
    return body


def personal_message(fake, line: str, message_id: str, user: dict) -> dict:  # type: ignore[no-untyped-def]
    body = activity("message_personal", fake.service_url, text=line, id=message_id)
    body["from"] = user
    body["conversation"] = {**body["conversation"], "id": f"a:1personal-chat-with-{user['name'].split()[0].lower()}"}
    return body


def vote_invoke(fake, user: dict, reply_to: str, invoke_id: str, action: Action = Action.VOTE) -> dict:  # type: ignore[no-untyped-def]
    """Action.Execute on the idea's card in the channel, as Teams sends it."""
    press = activity("invoke_card_action", fake.service_url, id=invoke_id, replyToId=reply_to)
    press["from"] = user
    press["value"]["action"] = {
        "type": "Action.Execute",
        "title": "Vote" if action is Action.VOTE else "Unvote",
        "verb": action.value,
        "data": {"tally_action": action.value, "tally_value": "1"},
    }
    return press


def sent_id(fake, sent: Sent) -> str:  # type: ignore[no-untyped-def]
    """The activity id the fake connector gave a reply, send or update (it numbers them in order)."""
    numbered = [s for s in fake.sent if s.kind != "create"]
    return f"sent-{numbered.index(sent) + 1}"


def votes_stored(teams) -> int:  # type: ignore[no-untyped-def]
    return teams.count("select count(*) from idea_vote")


def chats_of(fake, member_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Cards sent into the 1:1 chats Tally opened with this member id."""
    opened = {c.conversation_id for c in fake.of("create") if c.activity["members"] == [{"id": member_id}]}
    return [s.activity for s in fake.of("send") if s.conversation_id in opened]


async def install_and_propose_in_channel(teams) -> tuple[Sent, str]:  # type: ignore[no-untyped-def]
    """Alice adds Tally to the channel (its first owner); Bob proposes I1 there. Returns its card and id."""
    fake = teams.connector
    status, _ = await post(teams, activity("conversation_update", fake.service_url, **{"from": ALICE}))
    assert status in (200, 201)
    await post(teams, channel_message(fake, f"idea {EMAIL_IDEA}", "1700000000002", BOB))
    cards = [s for s in fake.of("reply") if s.activity.get("attachments")]
    (card,) = [s for s in cards if s.card["body"][0]["text"].startswith("I1 ")]
    return card, sent_id(fake, card)


# --- the card ---------------------------------------------------------------------------------------------------


async def test_idea_in_a_personal_chat_replies_with_the_ideas_card(teams):
    fake = teams.connector
    status, _ = await post(teams, personal_message(fake, f"idea {EMAIL_IDEA}", "1700000000301", BOB))
    assert status in (200, 201)
    (reply,) = fake.of("reply")
    assert reply.conversation_id == "a:1personal-chat-with-bob"
    card = reply.card
    assert card["body"][0]["text"] == f"I1 {EMAIL_IDEA}"
    assert facts(card)["Votes"] == "0" and facts(card)["Stage"].startswith("Information")
    vote = next(a for a in card["actions"] if a["verb"] == Action.VOTE.value)
    assert vote["type"] == "Action.Execute" and vote["data"] == {"tally_action": "idea_vote", "tally_value": "1"}
    assert {a["verb"] for a in card["actions"]} == {Action.VOTE.value, Action.UNVOTE.value, Action.ADD_EVIDENCE.value}
    with teams.engine.connect() as conn:
        assert conn.execute(sql("select proposer_id from idea where number = 1")).scalar() == BOB["aadObjectId"]


# --- a vote in a channel --------------------------------------------------------------------------------------


async def test_a_vote_in_a_channel_answers_with_the_refreshed_card_and_updates_it_for_everyone(teams):
    fake = teams.connector
    card, card_id = await install_and_propose_in_channel(teams)
    assert card.conversation_id.startswith(THREAD) and facts(card.card)["Votes"] == "0"

    status, body = await post(teams, vote_invoke(fake, CAROL, card_id, "f:invoke-vote-1"))
    assert status == 200
    answer = json.loads(body)
    assert answer["statusCode"] == 200 and answer["type"] == "application/vnd.microsoft.card.adaptive"
    assert answer["value"]["body"][0]["text"] == f"I1 {EMAIL_IDEA}" and facts(answer["value"])["Votes"] == "1"
    (update,) = fake.of("update")
    assert update.activity_id == card_id and update.conversation_id.startswith(THREAD)
    assert facts(update.card)["Votes"] == "1"
    assert votes_stored(teams) == 1
    with teams.engine.connect() as conn:
        assert [r[0] for r in conn.execute(sql("select user_id from idea_vote"))] == [CAROL["aadObjectId"]]

    # Pressed again (a new press, not a redelivery): still one vote. Unvote takes it back, for everyone too.
    await post(teams, vote_invoke(fake, CAROL, card_id, "f:invoke-vote-2"))
    assert votes_stored(teams) == 1
    status, body = await post(teams, vote_invoke(fake, CAROL, card_id, "f:invoke-unvote-1", Action.UNVOTE))
    assert status == 200 and facts(json.loads(body)["value"])["Votes"] == "0"
    assert fake.of("update")[-1].activity_id == card_id and facts(fake.of("update")[-1].card)["Votes"] == "0"
    assert votes_stored(teams) == 0
    assert all(s.conversation_id.startswith(THREAD) for s in fake.of("reply"))  # nothing private in the thread


async def test_the_voter_in_a_channel_is_told_in_their_1on1_chat_that_their_vote_counted(teams):
    fake = teams.connector
    _, card_id = await install_and_propose_in_channel(teams)
    status, _ = await post(teams, vote_invoke(fake, CAROL, card_id, "f:invoke-vote-1"))
    assert status == 200
    (created,) = [c for c in fake.of("create") if c.activity["members"] == [{"id": CAROL["id"]}]]
    assert created.activity["isGroup"] is False
    (note,) = [s for s in fake.of("send") if s.conversation_id == created.conversation_id]
    assert "Your vote for I1 counted." in card_text(note.activity)
    assert all("Your vote" not in card_text(s.activity) for s in fake.sent if s.conversation_id.startswith(THREAD))


# --- deciding ---------------------------------------------------------------------------------------------------


async def test_a_non_owners_decision_is_refused_in_their_chat_and_changes_nothing(teams):
    fake = teams.connector
    await install_and_propose_in_channel(teams)
    await post(teams, personal_message(fake, "idea decide I1 approve Cheap and quick", "1700000000401", DAN))
    refused = fake.of("reply")[-1]
    assert refused.conversation_id == "a:1personal-chat-with-dan"
    shown = card_text(refused.card)
    assert "Only the forum's owners can decide ideas" in shown and ALICE["aadObjectId"] in shown
    refusals = f"select count(*) from audit_event where action = 'refused' and actor_id = '{DAN['aadObjectId']}'"
    assert teams.count(refusals) == 1
    assert teams.count("select count(*) from idea where decision is not null") == 0
    assert teams.count("select count(*) from idea_change") == 0
    assert fake.of("create") == []


async def test_a_decision_reaches_the_proposers_and_voters_1on1_chats_by_their_entra_ids(teams):
    fake = teams.connector
    _, card_id = await install_and_propose_in_channel(teams)
    for n, voter in enumerate((CAROL, DAN, ALICE)):
        status, _ = await post(teams, vote_invoke(fake, voter, card_id, f"f:invoke-vote-{n}"))
        assert status == 200
    assert votes_stored(teams) == 3
    before = len(fake.of("create"))

    reason = "Cheap and quick to try, and callers asked for it"
    await post(teams, personal_message(fake, "idea decide I1 approve", "1700000000501", ALICE))
    assert "needs a reason" in card_text(fake.of("reply")[-1].card)
    assert teams.count("select count(*) from idea where decision is not null") == 0

    await post(teams, personal_message(fake, f"idea decide I1 approve {reason}", "1700000000502", ALICE))
    decided = fake.of("reply")[-1]
    assert decided.conversation_id == "a:1personal-chat-with-alice"
    assert "Proposer and voters told" in card_text(decided.card)
    assert teams.count("select count(*) from idea where decision = 'approve'") == 1

    opened = fake.of("create")[before:]
    assert sorted(c.activity["members"][0]["id"] for c in opened) == sorted(
        [BOB["aadObjectId"], CAROL["aadObjectId"], DAN["aadObjectId"]]
    )
    assert all(c.activity["tenantId"] == TENANT and c.activity["isGroup"] is False for c in opened)
    for person, role in ((BOB, "you proposed"), (CAROL, "you voted for"), (DAN, "you voted for")):
        (told,) = chats_of(fake, person["aadObjectId"])
        shown = card_text(told)
        assert "I1 " in shown and "approved" in shown and reason in shown and role in shown, shown
    assert chats_of(fake, ALICE["aadObjectId"]) == []  # the owner who decided is not told their own decision

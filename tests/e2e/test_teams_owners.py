"""Owners in Teams: '@Someone' in `tally owners add` is found by their Entra object id, as Tally knows people."""

from __future__ import annotations

from tests.e2e.conftest import teams_post as post
from tests.e2e.fake_connector import activity

ALICE = {"id": "29:1alice-teams-id", "name": "Alice Adams", "aadObjectId": "6a1c7e44-0000-4000-8000-0000000a11ce"}
BOB = {"id": "29:1bob-teams-id", "name": "Bob Brown", "aadObjectId": "6a1c7e44-0000-4000-8000-000000000b0b"}


def personal(fake, text: str, message_id: str, user: dict, entities: list | None = None) -> dict:  # type: ignore[no-untyped-def]
    body = activity("message_personal", fake.service_url, text=text, id=message_id)
    body["from"] = user
    if entities:
        body["entities"] = entities
    return body


async def test_an_owner_adds_someone_by_mentioning_them(teams):
    fake = teams.connector
    fake.object_ids[BOB["id"]] = BOB["aadObjectId"]
    await post(teams, activity("conversation_update", fake.service_url, **{"from": ALICE}))  # Alice installs: owner
    mention = {"type": "mention", "text": "<at>Bob Brown</at>", "mentioned": {"id": BOB["id"], "name": "Bob Brown"}}
    await post(teams, personal(fake, "tally owners add <at>Bob Brown</at>", "o1", ALICE, [mention]))
    owner = f"select count(*) from workspace_owner where user_id = '{BOB['aadObjectId']}'"
    assert teams.count(owner) == 1
    await post(teams, personal(fake, "problem Printer jammed", "o2", ALICE))
    await post(teams, personal(fake, "problem Toner spilled everywhere", "o3", ALICE))
    await post(teams, personal(fake, "problem merge 2 into 1", "o4", BOB))  # Bob may merge now
    assert teams.count("select count(*) from problem where status = 'merged'") == 1


async def test_a_mention_nobody_can_look_up_is_answered_not_guessed(teams):
    fake = teams.connector
    await post(teams, activity("conversation_update", fake.service_url, **{"from": ALICE}))
    mention = {"type": "mention", "text": "<at>Carol</at>", "mentioned": {"id": "29:1carol", "name": "Carol"}}
    await post(teams, personal(fake, "tally owners add <at>Carol</at>", "o5", ALICE, [mention]))
    assert teams.count("select count(*) from workspace_owner") == 1  # only Alice
    assert "Carol" not in repr(teams.dump().split("workspace_owner")[1][:200])

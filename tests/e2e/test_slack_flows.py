"""Slack flows end to end: button errors, the 'same as #n?' question both ways, core errors on the modal,
admin checks when Slack can't answer, an Enterprise Grid org-wide install, and picking an existing area.

Signed requests go into the real app over HTTP; assertions are on what fake Slack received and what the
database holds.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest

from adapters.slack.app import BOT_SCOPES
from bot.ids import Action
from tests.e2e.conftest import oauth_settings, start_tally
from tests.e2e.fake_slack import BOT_USER
from tests.e2e.slack_client import install

SIMILAR_FIRST = "Users complaining they have not received a decision letter #decisions"
SIMILAR_SECOND = "users complain they haven't received their decision letter #decisions x2"


def rendered(value) -> str:  # type: ignore[no-untyped-def]
    return json.dumps(value, ensure_ascii=False)


def press(tally, action_id: str, value: str, *, ephemeral: bool = False, user: str = "U0BOB") -> dict:  # type: ignore[no-untyped-def]
    """A block_actions payload for one button of one of Tally's messages."""
    payload = tally.slack.payload("block_actions")
    payload["container"]["is_ephemeral"] = ephemeral
    payload["user"]["id"] = user
    payload["actions"] = [{**payload["actions"][0], "action_id": action_id, "value": value}]
    return payload


def responses(tally, key: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [body for k, body in tally.fake.responses if k == key]


def stored(tally) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    return (
        tally.count("select count(*) from problem"),
        tally.count("select coalesce(sum(count), 0) from occurrence"),
        tally.count("select count(*) from audit_event"),
    )


async def ask_the_duplicate_question(tally) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    """#1 exists; a near-copy of it gets the question. Returns the two buttons (yes, no)."""
    await tally.slack.slash(SIMILAR_FIRST)
    status, body = await tally.slack.slash(SIMILAR_SECOND)
    assert status == 200
    question = json.loads(body)
    assert question["response_type"] == "ephemeral" and "Is it the same problem?" in question["text"]
    buttons = [e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"]]
    yes = next(e for e in buttons if e["action_id"] == Action.SAME_AS.value)
    no = next(e for e in buttons if e["action_id"] == Action.NOT_SAME.value)
    return yes, no


# --- 1. a button press that gets an error -----------------------------------------------------------------


async def test_happened_again_on_a_problem_that_does_not_exist_is_answered_privately(tally):
    status, body = await tally.slack.interact(press(tally, Action.HAPPENED_AGAIN.value, "99"))
    assert status == 200 and body == ""
    (answer,) = responses(tally, "action")
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert "no problem #99" in answer["text"]
    assert "Traceback" not in rendered(answer)
    assert tally.fake.called("chat.update") == [] and tally.fake.called("chat.postMessage") == []
    assert stored(tally) == (0, 0, 0)


@pytest.mark.parametrize("action", [Action.SAME_AS, Action.NOT_SAME])
async def test_a_tampered_question_button_is_answered_privately_and_stores_nothing(tally, action):
    await tally.slack.slash("Printer jammed in reception 10m")
    before = stored(tally)
    status, body = await tally.slack.interact(press(tally, action.value, "{not json", ephemeral=True))
    assert status == 200 and body == ""
    (answer,) = responses(tally, "action")
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert "damaged" in answer["text"] and "nothing was stored" in answer["text"]
    assert "Traceback" not in rendered(answer) and "JSONDecodeError" not in rendered(answer)
    assert tally.fake.called("chat.update") == []
    assert len(tally.fake.called("chat.postMessage")) == 1  # only #1's own card, from the slash command
    assert stored(tally) == before


# --- 2. the "same as #n?" question ------------------------------------------------------------------------


async def test_no_its_a_new_problem_replaces_the_question_and_posts_the_new_card(tally):
    _, no = await ask_the_duplicate_question(tally)
    assert stored(tally)[0] == 1
    status, _ = await tally.slack.interact(press(tally, no["action_id"], no["value"], ephemeral=True, user="U0ALICE"))
    assert status == 200
    (notice,) = responses(tally, "action")
    assert notice["replace_original"] is True and "#2" in notice["text"]
    assert tally.fake.called("chat.update") == []  # an ephemeral question can only change through response_url
    first, second = tally.fake.called("chat.postMessage")
    assert second.args["channel"] == "C0FRONTDESK"
    assert second.args["text"].startswith("#2 users complain they haven't received their decision letter")
    again = [e for b in second.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(e["action_id"], e["value"]) for e in again] == [
        (Action.HAPPENED_AGAIN.value, "2"),
        (Action.PROPOSE_FIX.value, "2"),
    ]
    assert tally.count("select count(*) from problem") == 2
    two = "select sum(o.count) from occurrence o join problem p on p.id = o.problem_id where p.number = 2"
    assert tally.count(two) == 2
    same_area = "select count(distinct area_id) from problem"
    assert tally.count(same_area) == 1


async def test_yes_logs_a_repeat_on_the_match_and_replaces_the_question_with_its_card(tally):
    yes, _ = await ask_the_duplicate_question(tally)
    status, _ = await tally.slack.interact(press(tally, yes["action_id"], yes["value"], ephemeral=True, user="U0ALICE"))
    assert status == 200
    (card,) = responses(tally, "action")
    assert card["replace_original"] is True
    assert card["text"].startswith("#1 Users complaining they have not received a decision letter")
    assert "3 times this week" in rendered(card["blocks"])
    assert len(tally.fake.called("chat.postMessage")) == 1  # #1's card only: no new problem was posted
    assert tally.fake.called("chat.update") == []
    assert tally.count("select count(*) from problem") == 1
    assert tally.count("select sum(count) from occurrence") == 3


# --- 3. an error from the core on modal submit -------------------------------------------------------------


async def test_anonymous_form_from_a_channel_tally_cannot_post_in_is_refused_on_the_form(tally):
    tally.fake.not_in_channel.add("C0FRONTDESK")
    payload = tally.slack.payload("view_submission")
    payload["view"]["state"]["values"]["options"]["options"]["selected_options"] = [
        {"text": {"type": "plain_text", "text": "Anonymous"}, "value": "anon"}
    ]
    status, body = await tally.slack.interact(payload)
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"issue"}
    assert "anonymous report was not stored" in answer["errors"]["issue"]
    assert "can't post here" in answer["errors"]["issue"] and "/invite @Tally" in answer["errors"]["issue"]
    assert len(answer["errors"]["issue"]) <= 150  # Slack's limit for an error under a block
    assert "Traceback" not in body
    assert stored(tally) == (0, 0, 0)
    assert tally.fake.called("chat.postMessage") == [] and tally.fake.responses == []


async def test_the_core_error_on_the_form_says_how_to_put_it_right_within_slacks_limit(tally):
    tally.fake.not_in_channel.add("C0FRONTDESK")
    payload = tally.slack.payload("view_submission")
    payload["view"]["state"]["values"]["options"]["options"]["selected_options"] = [
        {"text": {"type": "plain_text", "text": "Anonymous"}, "value": "anon"}
    ]
    _, body = await tally.slack.interact(payload)
    shown = json.loads(body)["errors"]["issue"]
    assert len(shown) <= 150
    assert "invite" in shown.lower(), shown


# --- 4. users.info failing -----------------------------------------------------------------------------------


async def test_merge_when_slack_cannot_say_who_is_an_admin_then_when_it_can(tally, caplog):
    caplog.set_level(logging.WARNING)
    await tally.slack.slash("Printer jammed 10m")
    await tally.slack.slash("Phones down for an hour")
    tally.fake.admins.add("U0LEAD")
    tally.fake.failing["users.info"] = "ratelimited"
    status, body = await tally.slack.slash("merge 2 into 1", user_id="U0LEAD")
    assert status == 200
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Only a workspace admin")
    assert "Traceback" not in body and "ratelimited" not in body
    assert [r for r in caplog.records if r.exc_info] == []
    assert tally.count("select count(*) from problem where status = 'merged'") == 0

    del tally.fake.failing["users.info"]  # Slack answers again: the failure was not remembered as 'not an admin'
    status, body = await tally.slack.slash("merge 2 into 1", user_id="U0LEAD")
    assert status == 200 and body == ""
    assert tally.count("select count(*) from problem where status = 'merged' and number = 2") == 1
    assert (
        tally.count("select sum(o.count) from occurrence o join problem p on p.id = o.problem_id where p.number = 1")
        == 2
    )
    merged = tally.fake.called("chat.postMessage")[-1]
    assert "Merged #2 into #1" in rendered(merged.args["blocks"])
    assert [c.args["user"] for c in tally.fake.called("users.info")] == ["U0LEAD", "U0LEAD"]


# --- 5. an Enterprise Grid org-wide install ------------------------------------------------------------------

GRID = "E0GRIDORG"
GRID_TOKEN = "xoxb-grid-org-wide-token"


@pytest.fixture
async def grid_tally(db_url, fake_slack, fixed_clock, monkeypatch):
    """Multi-workspace Tally; fake Slack answers the OAuth exchange as for an org-wide install."""
    plain = fake_slack.answer

    def answer(method: str, args: dict) -> dict:
        if method == "oauth.v2.access":
            return {
                "ok": True,
                "access_token": GRID_TOKEN,
                "token_type": "bot",
                "scope": ",".join(BOT_SCOPES),
                "bot_user_id": BOT_USER,
                "app_id": "A0TALLY",
                "team": None,
                "enterprise": {"id": GRID, "name": "Grid council"},
                "is_enterprise_install": True,
                "authed_user": {"id": "W0GRIDADMIN"},
            }
        if method == "auth.test":  # what an org-level bot token says about itself
            return {
                "ok": True,
                "url": "https://grid-council.enterprise.slack.com/",
                "team": "Grid council",
                "user": "tally",
                "team_id": GRID,
                "user_id": BOT_USER,
                "bot_id": "BTALLY",
                "enterprise_id": GRID,
                "is_enterprise_install": True,
            }
        return plain(method, args)

    monkeypatch.setattr(fake_slack, "answer", answer)
    settings = oauth_settings(db_url, fake_slack)
    running = await start_tally(settings, fake_slack, fixed_clock)
    yield running
    await running.server.close()


async def test_org_wide_install_serves_a_team_inside_the_org_under_the_orgs_workspace(grid_tally):
    resp = await install(grid_tally.url)
    assert resp.status == 200
    rows = grid_tally.count(
        f"select count(*) from slack_installation where enterprise_id = '{GRID}' and team_id = '' "
        "and is_enterprise_install"
    )
    assert rows == 1
    owner = (
        "select count(*) from workspace_owner o join workspace w on w.id = o.workspace_id "
        f"where w.external_id = '{GRID}' and o.user_id = 'W0GRIDADMIN'"
    )
    assert grid_tally.count(owner) == 1

    payload = {**grid_tally.slack.payload("slash_command_grid"), "text": "Housing repairs portal times out x3 10m"}
    status, body = await grid_tally.slack.post(urlencode(payload), "application/x-www-form-urlencoded")
    assert status == 200 and "reinstall" not in body
    (post,) = grid_tally.fake.called("chat.postMessage")
    assert post.token == GRID_TOKEN and post.args["channel"] == "C0HOUSING"
    assert "Housing repairs portal times out" in post.args["text"]
    in_org = (
        "select count(*) from problem p join workspace w on w.id = p.workspace_id "
        f"where w.platform = 'slack' and w.external_id = '{GRID}'"
    )
    assert grid_tally.count(in_org) == 1
    assert grid_tally.count("select count(*) from workspace where external_id = 'T0INSIDE'") == 0
    assert grid_tally.count("select sum(count) from occurrence") == 3
    assert grid_tally.count("select count(*) from workspace") == 1


# --- 6. picking an existing area in the capture form ---------------------------------------------------------


async def test_picking_an_existing_area_in_the_form_files_the_problem_there(tally):
    await tally.slack.slash('Printer jammed again 10m #"Reception &amp; Front Desk"')  # as Slack escapes it
    assert tally.count("select count(*) from process_area") == 1
    await tally.slack.slash("")  # the form, offering the area made above
    (opened,) = tally.fake.called("views.open")
    area_block = next(b for b in opened.args["view"]["blocks"] if b["block_id"] == "area")
    (option,) = area_block["element"]["options"]
    assert option["value"] == "reception-front-desk"

    payload = tally.slack.payload("view_submission_area_picked")
    payload["view"]["state"]["values"]["area"]["area"]["selected_option"] = option
    status, body = await tally.slack.interact(payload)
    assert status == 200 and body == ""
    assert tally.count("select count(*) from process_area") == 1  # no new area row
    same = "select count(*) from problem a join problem b on a.area_id = b.area_id where a.number = 1 and b.number = 2"
    assert tally.count(same) == 1
    card = tally.fake.called("chat.postMessage")[-1]
    assert card.args["text"].startswith("#2 Scanner in reception offline")
    assert "Reception & Front Desk" in rendered(card.args["blocks"]) or "Reception &amp; Front Desk" in rendered(
        card.args["blocks"]
    )

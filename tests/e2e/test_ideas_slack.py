"""Ideas in Slack end to end: the idea's card, votes that update it for everyone, a hundred votes at once,
the forum's owners deciding with a reason and everyone who proposed or voted told, the agenda ranked by return
then votes, and the seed's worked example of an idea's return.

Signed requests go into the real app over HTTP; assertions are on what fake Slack received and what the database
holds. The clock is fixed at Saturday 21 November 2026: the last 12 complete weeks run from Monday 24 August to
Sunday 15 November.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from bot.ids import Action
from storage.model import WorkspaceDefaults
from tests.e2e.conftest import slack_settings, start_tally
from tests.e2e.slack_client import press_all

CHANNEL = "C0FRONTDESK"
ADMIN = "U0LEAD"  # a Slack workspace admin: users.info says so, which makes them one of the forum's owners
LETTERS = "Users contacting us to complain that they have not received a decision letter 30m"
EMAIL_IDEA = "Email the decision letter as well as posting it"
BASELINE_MONDAYS = [date(2026, 8, 24) + timedelta(weeks=n) for n in range(12)]  # up to Monday 9 November


def rendered(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@pytest.fixture
def answers(tally, monkeypatch) -> list[tuple[str, dict, dict]]:  # type: ignore[no-untyped-def]
    """Every (method, args, answer) of fake Slack, so a test knows the ts Slack gave each message."""
    seen: list[tuple[str, dict, dict]] = []
    plain = tally.fake.answer

    def answer(method: str, args: dict) -> dict:
        given = plain(method, args)
        seen.append((method, args, given))
        return given

    monkeypatch.setattr(tally.fake, "answer", answer)
    return seen


def posted_card(tally, answers, number: int) -> tuple[dict, str]:  # type: ignore[no-untyped-def]
    """The idea's card as first posted to the channel, and the ts Slack gave it."""
    found, *_ = [
        (args, given["ts"])
        for method, args, given in answers
        if method == "chat.postMessage" and args.get("channel") == CHANNEL and args["text"].startswith(f"I{number} ")
    ]
    return found


def votes_shown(blocks: list[dict]) -> int:
    match = re.search(r"\*Votes\*\\n([\d,]+)", rendered(blocks))
    assert match, rendered(blocks)
    return int(match.group(1).replace(",", ""))


def buttons(blocks: list[dict]) -> dict[str, str]:
    return {e["action_id"]: e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]}


def press(tally, action: Action, value: str, user: str, ts: str) -> dict:  # type: ignore[no-untyped-def]
    """A block_actions payload for one button on the idea's card in the channel."""
    payload = tally.slack.payload("block_actions")
    payload["user"] = {**payload["user"], "id": user, "username": user.lower(), "name": user.lower()}
    payload["container"] = {"type": "message", "message_ts": ts, "channel_id": CHANNEL, "is_ephemeral": False}
    payload["message"] = {**payload["message"], "ts": ts, "text": f"I{value}"}
    button = {**payload["actions"][0], "action_id": action.value, "value": value, "block_id": "tally_actions"}
    payload["actions"] = [button]
    return payload


def votes_stored(tally, number: int = 1) -> int:  # type: ignore[no-untyped-def]
    return tally.count(f"select count(*) from idea_vote v join idea i on i.id = v.idea_id where i.number = {number}")


def notes(tally) -> list[str]:  # type: ignore[no-untyped-def]
    """What the people who pressed buttons were told privately (through the press's response_url)."""
    return [body["text"] for key, body in tally.fake.responses if key == "action"]


def dms(tally, user: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [c.args for c in tally.fake.called("chat.postMessage") if c.args.get("channel") == user]


async def slash(tally, text: str, user: str, command: str = "/idea") -> dict:  # type: ignore[no-untyped-def]
    status, body = await tally.slack.slash(text, command=command, user_id=user)
    assert status == 200, (status, body)
    return json.loads(body) if body else {}


async def propose_letters_idea(tally) -> None:  # type: ignore[no-untyped-def]
    await slash(tally, LETTERS, "U0ALICE", command="/problem")
    assert await slash(tally, f"{EMAIL_IDEA} for #1", "U0ALICE") == {}  # the card is posted, not answered
    assert tally.count("select count(*) from idea") == 1


# --- 1. the card, and votes that update it in place ------------------------------------------------------------


async def test_an_idea_for_a_problem_posts_its_card_with_vote_buttons_to_the_channel(tally, answers):
    await propose_letters_idea(tally)
    card, _ = posted_card(tally, answers, 1)
    assert card["text"] == f"I1 {EMAIL_IDEA}"
    assert buttons(card["blocks"]) == {Action.VOTE.value: "1", Action.UNVOTE.value: "1", Action.ADD_EVIDENCE.value: "1"}
    assert votes_shown(card["blocks"]) == 0
    shown = rendered(card["blocks"])
    assert "<@U0ALICE>" in shown and "#1 Users contacting us" in shown  # proposer, and the linked problem
    linked = "select count(*) from idea_problem l join problem p on p.id = l.problem_id where p.number = 1"
    assert tally.count(linked) == 1


async def test_vote_updates_the_card_for_everyone_and_tells_the_voter_privately(tally, answers):
    await propose_letters_idea(tally)
    _, ts = posted_card(tally, answers, 1)

    status, body = await tally.slack.interact(press(tally, Action.VOTE, "1", "U0BOB", ts))
    assert (status, body) == (200, "")
    (update,) = tally.fake.called("chat.update")
    assert update.args["channel"] == CHANNEL and update.args["ts"] == ts
    assert votes_shown(update.args["blocks"]) == 1
    assert update.args["text"].startswith("I1 ")
    (note,) = [body for key, body in tally.fake.responses if key == "action"]
    assert note["response_type"] == "ephemeral" and note["replace_original"] is False
    assert note["text"] == "Your vote for I1 counted."
    assert votes_stored(tally) == 1
    assert tally.count("select count(*) from audit_event where action = 'idea.vote' and actor_id = 'U0BOB'") == 1


async def test_voting_twice_counts_once_and_unvote_takes_it_back(tally, answers):
    await propose_letters_idea(tally)
    _, ts = posted_card(tally, answers, 1)
    await tally.slack.interact(press(tally, Action.VOTE, "1", "U0BOB", ts))
    await tally.slack.interact(press(tally, Action.VOTE, "1", "U0BOB", ts))
    assert votes_stored(tally) == 1
    assert notes(tally) == ["Your vote for I1 counted.", "You had already voted for I1."]
    assert [votes_shown(u.args["blocks"]) for u in tally.fake.called("chat.update")] in ([1], [1, 1])

    await tally.slack.interact(press(tally, Action.VOTE, "1", "U0CAROL", ts))
    assert votes_stored(tally) == 2 and votes_shown(tally.fake.called("chat.update")[-1].args["blocks"]) == 2

    status, _ = await tally.slack.interact(press(tally, Action.UNVOTE, "1", "U0BOB", ts))
    assert status == 200
    last = tally.fake.called("chat.update")[-1]
    assert last.args["ts"] == ts and votes_shown(last.args["blocks"]) == 1
    assert notes(tally)[-1] == "Your vote for I1 was taken back."
    assert votes_stored(tally) == 1
    with tally.engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("select user_id from idea_vote"))] == ["U0CAROL"]

    await tally.slack.interact(press(tally, Action.UNVOTE, "1", "U0BOB", ts))  # nothing left to take back
    assert votes_stored(tally) == 1
    assert notes(tally)[-1] == "You hadn't voted for I1."


# --- 2. a hundred votes at once ---------------------------------------------------------------------------------


async def test_a_hundred_people_voting_at_once_give_exactly_a_hundred_votes(tally, answers):
    await propose_letters_idea(tally)
    _, ts = posted_card(tally, answers, 1)
    voters = [f"U0VOTER{n:03d}" for n in range(100)]
    results = await press_all(tally, [press(tally, Action.VOTE, "1", user, ts) for user in voters])
    assert [status for status, _ in results] == [200] * 100, results
    assert votes_stored(tally) == 100
    assert tally.count("select count(distinct user_id) from idea_vote") == 100
    assert sorted(notes(tally)) == ["Your vote for I1 counted."] * 100, set(notes(tally))
    assert tally.count("select count(*) from audit_event where action = 'idea.vote'") == 100
    updates = tally.fake.called("chat.update")
    assert 1 <= len(updates) <= 100 and all(u.args["ts"] == ts for u in updates)
    shown = [votes_shown(u.args["blocks"]) for u in updates]
    assert shown == sorted(shown) and shown[-1] == 100  # never an older count after a newer: the card ends right


async def test_one_person_pressing_vote_twice_at_once_counts_once(tally, answers):
    await propose_letters_idea(tally)
    _, ts = posted_card(tally, answers, 1)
    results = await press_all(tally, [press(tally, Action.VOTE, "1", "U0BOB", ts) for _ in range(2)])
    assert [status for status, _ in results] == [200, 200]
    assert votes_stored(tally) == 1
    assert sorted(notes(tally)) == ["You had already voted for I1.", "Your vote for I1 counted."]
    assert tally.count("select count(*) from audit_event where action = 'idea.vote'") == 1


# --- 3. the forum's owners decide, with a reason, and everyone is told --------------------------------------


async def voted_idea(tally, answers) -> str:  # type: ignore[no-untyped-def]
    """I1, proposed by Alice, with votes from Bob, Carol and the admin who will decide it."""
    await propose_letters_idea(tally)
    _, ts = posted_card(tally, answers, 1)
    for user in ("U0BOB", "U0CAROL", ADMIN):
        await tally.slack.interact(press(tally, Action.VOTE, "1", user, ts))
    assert votes_stored(tally) == 3
    return ts


def decision_of(tally, number: int = 1) -> tuple[str | None, str]:  # type: ignore[no-untyped-def]
    with tally.engine.connect() as conn:
        row = conn.execute(text(f"select decision, decision_reason from idea where number = {number}")).one()
    return row[0], row[1]


async def test_a_non_owners_decision_is_refused_saying_who_can_audited_and_changes_nothing(tally, answers):
    await voted_idea(tally, answers)
    tally.fake.admins.add(ADMIN)
    added = await slash(tally, "owners add <@U0OWEN|owen>", ADMIN, command="/tally")
    assert "U0OWEN is now a Tally owner" in added["text"]
    before_posts = len(tally.fake.called("chat.postMessage"))

    answer = await slash(tally, "decide I1 approve Cheap and quick to try", "U0BOB")
    assert answer["response_type"] == "ephemeral"
    assert "Only the forum's owners can decide ideas" in answer["text"]
    assert "U0OWEN" in answer["text"] and "workspace admin" in answer["text"]
    refused = "select count(*) from audit_event where action = 'refused' and actor_id = 'U0BOB'"
    assert tally.count(refused) == 1
    assert decision_of(tally) == (None, "")
    assert tally.count("select count(*) from idea_change") == 0
    assert tally.count("select count(*) from audit_event where action = 'idea.decided'") == 0
    assert len(tally.fake.called("chat.postMessage")) == before_posts  # no card, and nobody told anything
    assert votes_stored(tally) == 3  # voting stays open


async def test_a_decision_without_a_reason_is_refused_and_nothing_changes(tally, answers):
    await voted_idea(tally, answers)
    tally.fake.admins.add(ADMIN)
    before_posts = len(tally.fake.called("chat.postMessage"))
    answer = await slash(tally, "decide I1 approve", ADMIN)
    assert answer["response_type"] == "ephemeral"
    assert "needs a reason" in answer["text"]
    assert "/idea decide" in answer["text"]  # and how to write it
    assert decision_of(tally) == (None, "")
    assert tally.count("select count(*) from idea_change") == 0
    assert len(tally.fake.called("chat.postMessage")) == before_posts


async def test_an_owners_decision_reaches_the_proposer_and_each_voter_but_not_the_owner(tally, answers):
    await voted_idea(tally, answers)
    tally.fake.admins.add(ADMIN)
    reason = "Cheap and quick to try, and callers asked for it"
    status, body = await tally.slack.slash(f"decide I1 approve {reason}", command="/idea", user_id=ADMIN)
    assert status == 200 and body == ""  # the decided card goes to the channel
    assert decision_of(tally) == ("approve", reason)
    (decided,) = [c for c in tally.fake.called("chat.postMessage") if c.args["channel"] == CHANNEL][-1:]
    assert "Proposer and voters told" in rendered(decided.args["blocks"])
    for user in ("U0ALICE", "U0BOB", "U0CAROL"):
        (dm,) = dms(tally, user)
        assert "I1 " in dm["text"] and "approved" in dm["text"] and reason in dm["text"], dm["text"]
    assert dms(tally, ADMIN) == []
    assert "you proposed" in dms(tally, "U0ALICE")[0]["text"]
    assert "you voted for" in dms(tally, "U0BOB")[0]["text"]
    assert tally.count("select count(*) from idea_change where after = 'approve'") == 1

    # Voting has closed on a decided idea: a press is answered, and stores nothing.
    _, ts = posted_card(tally, answers, 1)
    await tally.slack.interact(press(tally, Action.VOTE, "1", "U0DAN", ts))
    assert votes_stored(tally) == 3
    assert "closed" in notes(tally)[-1]


async def test_an_anonymous_proposers_idea_decided_tells_only_its_voters(tally, answers):
    rota = "Publish the night shift rota a month ahead anon"
    status, _ = await tally.slack.slash(rota, command="/idea", user_id="U0WHISTLE")
    assert status == 200
    card, ts = posted_card(tally, answers, 1)
    assert "Proposed anonymously" in rendered(card["blocks"]) and "U0WHISTLE" not in rendered(card)
    await tally.slack.interact(press(tally, Action.VOTE, "1", "U0ERIN", ts))
    tally.fake.admins.add(ADMIN)
    await tally.slack.slash("decide I1 reject Rotas depend on the agency's own notice", command="/idea", user_id=ADMIN)
    assert decision_of(tally)[0] == "reject"
    (dm,) = dms(tally, "U0ERIN")
    assert "rejected" in dm["text"] and "agency's own notice" in dm["text"]
    assert dms(tally, "U0WHISTLE") == [] and dms(tally, ADMIN) == []
    direct = [c.args["channel"] for c in tally.fake.called("chat.postMessage") if c.args["channel"] != CHANNEL]
    assert direct == ["U0ERIN"]
    assert "U0WHISTLE" not in tally.dump()


# --- 5. the agenda, and the seed's worked example of an idea's return ---------------------------------------


@pytest.fixture
async def costed(db_url, fake_slack, fixed_clock):
    """Tally with an hourly cost of £30, as in the seed's example."""
    settings = slack_settings(db_url, fake_slack, defaults=WorkspaceDefaults(hourly_cost=Decimal(30)))  # type: ignore[arg-type]
    running = await start_tally(settings, fake_slack, fixed_clock)
    yield running
    await running.server.close()


async def seed_problem(tally) -> None:  # type: ignore[no-untyped-def]
    """17 occurrences of 30 minutes in each of the last 12 complete weeks (and the one logged today)."""
    await slash(tally, LETTERS, "U0ALICE", command="/problem")
    for monday in BASELINE_MONDAYS:
        answer = await slash(tally, f"again 1 x17 on {monday.isoformat()}", "U0ALICE", command="/problem")
        assert "Traceback" not in rendered(answer)
    in_baseline = "select sum(count) from occurrence where occurred_on between '2026-08-24' and '2026-11-15'"
    assert tally.count(in_baseline) == 17 * 12


async def test_the_seed_example_shows_its_saving_roi_and_payback_on_the_ideas_card(costed):
    tally = costed
    await seed_problem(tally)
    tally.fake.admins.add(ADMIN)
    await slash(tally, f"{EMAIL_IDEA} for #1", "U0ALICE")
    estimated = await slash(tally, "estimate I1 reduction=50% cost=2000", ADMIN)
    shown = rendered(estimated)
    for expected in ("£6,630.00", "2.3 (231%)", "16 weeks"):
        assert expected in shown, shown
    assert "£13,260.00 a year" in shown  # the linked problem's annualised cost
    assert tally.count("select count(*) from idea where reduction_pct = 50 and cost = 2000") == 1

    again = await slash(tally, "show I1", "U0BOB")
    for expected in ("£6,630.00", "2.3 (231%)", "16 weeks"):
        assert expected in rendered(again)


async def test_the_agenda_ranks_ideas_at_improve_by_roi_then_votes(costed, monkeypatch):
    tally = costed
    await seed_problem(tally)
    tally.fake.admins.add(ADMIN)
    ideas = [
        ("Email the decision letter as well as posting it for #1", "reduction=50% cost=2000"),  # I1: 2.315, 1 vote
        ("Text residents when the envelope leaves the post room for #1", "reduction=50% cost=4000"),  # I2: 0.66
        # I3: 2.315, as I1, with 2 votes to I1's 1
        ("Publish expected decision dates on the planning portal for #1", "reduction=25% cost=1000"),
        ("Hire a temporary clerk for the backlog", ""),  # I4: at improve, no estimate
        ("Replace the franking machine in the basement for #1", "reduction=90% cost=10"),  # I5: still at insight
        ("Courier every letter by hand for #1", "reduction=90% cost=20"),  # I6: decided, off the agenda
    ]
    for n, (text_, estimate) in enumerate(ideas, start=1):
        await slash(tally, text_, "U0ALICE")
        assert tally.count("select count(*) from idea") == n, f"I{n} was not stored: {text_}"
        if estimate:
            await slash(tally, f"estimate I{n} {estimate}", ADMIN)
        await slash(tally, f"move I{n} {'insight' if n == 5 else 'improve'}", ADMIN)
    for number, users in ((1, ["U0BOB"]), (3, ["U0BOB", "U0CAROL"]), (2, ["U0BOB", "U0CAROL", "U0DAN"])):
        for user in users:
            await slash(tally, f"vote I{number}", user)
    await slash(tally, "decide I6 reject Too dear to run every day", ADMIN)
    await slash(tally, "insight I1 Letters go second class and sit in the post room for days", ADMIN)
    await slash(tally, "evidence I1 Six callers today asked for the letter by email", "U0BOB")

    agenda = await slash(tally, "agenda", "U0BOB", command="/tally")
    assert agenda["response_type"] == "ephemeral"
    headings = [b["text"]["text"] for b in agenda["blocks"] if b["type"] == "header"]
    assert [re.match(r"(\d+)\. (I\d+) ", h).groups() for h in headings] == [  # type: ignore[union-attr]
        ("1", "I3"),
        ("2", "I1"),
        ("3", "I2"),
        ("4", "I4"),
    ], headings
    assert "2 votes" in headings[0] and "ROI 2.3 (231%)" in headings[0]
    assert "1 vote" in headings[1] and "ROI 2.3 (231%)" in headings[1]
    assert "ROI 0.7 (65%)" in headings[2]
    assert "ROI" not in headings[3]
    shown = rendered(agenda["blocks"])
    assert "Problem 1: Users contacting us" in shown
    assert "Root cause: Letters go second class" in shown and "Evidence: Six callers today" in shown

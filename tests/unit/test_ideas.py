"""Ideas through the '3 I' forum, on in-memory fakes: proposing, voting, deciding, telling people why."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot import commands as c
from bot import inputs
from bot.bus import MessageBus
from bot.core import Core
from bot.ids import Action
from bot.notify import Dispatcher
from bot.replies import Reply, ReplyKind, Target
from storage.model import Platform, WorkspaceDefaults
from storage.secrets import delivery_hasher
from tests.conftest import FIXED_NOW
from tests.unit.conftest import ALICE, WS
from tests.unit.fakes import FakeData, FakeUnitOfWorkFactory

LEAD = c.Actor("lead", is_admin=True)
BOB = c.Actor("bob")


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Reply] = []

    async def send(self, workspace: c.WorkspaceRef, reply: Reply) -> None:
        self.sent.append(reply)


@pytest.fixture
def told() -> Recorder:
    return Recorder()


@pytest.fixture
def forum(data, fixed_clock, told) -> Core:
    bus = MessageBus(FakeUnitOfWorkFactory(data), clock=fixed_clock)
    return Core(bus, delivery_hasher("k"), Dispatcher({Platform.CONSOLE: told}))


async def say(core: Core, line: str, actor: c.Actor = ALICE, delivery: str | None = None) -> tuple[Reply, ...]:
    replies = (await core.handle(inputs.Typed(WS, actor, delivery, text=line))).replies
    await core.background.drain()
    return replies


def field(reply: Reply, label: str) -> str:
    return next(f.value for f in reply.fields if f.label == label)


async def test_a_proposed_idea_gets_a_card_with_its_linked_problem(forum, data):
    await say(forum, "problem Letters not received x17 30m")
    (card,) = await say(forum, "idea Email the decision letter as well as posting it for #1")
    assert card.text == "I1 Email the decision letter as well as posting it" and card.to is Target.CONVERSATION
    assert field(card, "Stage") == "Information (1 of 3)" and field(card, "Votes") == "0"
    assert card.lines[0].startswith("#1 Letters not received:")
    assert [b.action for b in card.buttons] == [Action.VOTE, Action.UNVOTE, Action.ADD_EVIDENCE]
    assert data.ideas[0].proposer_id == "alice"


async def test_an_unknown_problem_stores_no_idea(forum, data):
    (reply,) = await say(forum, "idea Email the letter for #9")
    assert reply.kind is ReplyKind.ERROR and "no problem #9" in reply.text and data.ideas == []


async def test_an_anonymous_idea_keeps_no_proposer_and_says_nobody_can_be_told(forum, data):
    (card,) = await say(forum, "idea Stop the night shift rota changes anon", actor=c.Actor("whistle"))
    assert data.ideas[0].proposer_id is None and "nobody can be told" in card.footer
    assert "whistle" not in repr(data.__dict__)


async def test_a_near_copy_offers_a_vote_instead(forum, data):
    await say(forum, "idea Email the decision letter as well as posting it")
    (question,) = await say(forum, "idea email decision letters as well as posting them", actor=BOB, delivery="q1")
    assert question.kind is ReplyKind.QUESTION and "Vote for it instead?" in question.text
    assert len(data.ideas) == 1
    yes = next(b for b in question.buttons if b.action is Action.VOTE_INSTEAD)
    (card,) = (await forum.handle(inputs.Pressed(WS, BOB, "p1", action=yes.action, value=yes.value))).replies
    assert card.to is Target.REPLACE and field(card, "Votes") == "1" and len(data.ideas) == 1
    no = next(b for b in question.buttons if b.action is Action.NEW_IDEA)
    notice, new = (await forum.handle(inputs.Pressed(WS, BOB, "p2", action=no.action, value=no.value))).replies
    assert notice.to is Target.REPLACE and "I2" in notice.text and new.to is Target.CONVERSATION


async def test_one_vote_per_person_and_unvote_takes_it_back(forum, data):
    await say(forum, "idea Email the decision letter")
    (card,) = await say(forum, "idea vote I1", actor=BOB)
    assert field(card, "Votes") == "1" and "counted" in card.footer
    (card,) = await say(forum, "idea vote I1", actor=BOB)
    assert field(card, "Votes") == "1" and "already voted" in card.footer
    (card,) = await say(forum, "idea unvote I1", actor=BOB)
    assert field(card, "Votes") == "0"


async def test_a_vote_on_the_card_replaces_it_and_tells_the_voter(forum):
    (card,) = await say(forum, "idea Email the decision letter")
    vote = next(b for b in card.buttons if b.action is Action.VOTE)
    replaced, note = (await forum.handle(inputs.Pressed(WS, BOB, "v1", action=vote.action, value=vote.value))).replies
    assert replaced.to is Target.REPLACE and field(replaced, "Votes") == "1"
    assert note.to is Target.PRIVATE and "Your vote for I1 counted" in note.text


async def test_a_non_owner_cannot_decide_and_the_attempt_is_audited(forum, data):
    await say(forum, "idea Email the decision letter")
    (refused,) = await say(forum, "idea decide I1 approve Cheap and quick", actor=BOB)
    assert refused.kind is ReplyKind.ERROR and "Only the forum's owners can decide ideas" in refused.text
    assert data.ideas[0].decision is None
    assert any(e.action == "refused" and e.actor_id == "bob" for e in data.audit)


async def test_a_decision_tells_the_proposer_and_voters_why(forum, data, told):
    await say(forum, "idea Email the decision letter")
    await say(forum, "idea vote I1", actor=BOB)
    await say(forum, "idea vote I1", actor=c.Actor("carol"))
    (card,) = await say(forum, "idea decide I1 approve Cheap and quick", actor=LEAD)
    assert "approved" in field(card, "Decision") and "Cheap and quick" in field(card, "Decision")
    assert sorted(r.recipient for r in told.sent) == ["alice", "bob", "carol"]
    assert all("approved" in r.text and "Why: Cheap and quick" in r.text for r in told.sent)
    (closed,) = await say(forum, "idea vote I1", actor=c.Actor("dave"))
    assert closed.kind is ReplyKind.ERROR and "Voting on I1 has closed" in closed.text


async def test_an_anonymous_proposer_is_told_nothing(forum, told):
    await say(forum, "idea Stop the rota changes anon", actor=c.Actor("whistle"))
    await say(forum, "idea move I1 insight", actor=LEAD)
    assert told.sent == []


async def test_stages_parking_and_bringing_back_reopen_votes(forum, data, told):
    await say(forum, "idea Email the decision letter")
    (refused,) = await say(forum, "idea insight I1 Letters go second class")
    assert refused.kind is ReplyKind.ERROR and "recorded at insight" in refused.text
    await say(forum, "idea move I1 insight", actor=LEAD)
    await say(forum, "idea insight I1 Letters go second class")
    await say(forum, "idea decide I1 park Not this quarter", actor=LEAD)
    assert (await say(forum, "idea vote I1", actor=BOB))[0].kind is ReplyKind.ERROR
    await say(forum, "idea move I1 improve", actor=LEAD)
    assert field((await say(forum, "idea vote I1", actor=BOB))[0], "Votes") == "1"
    assert [(h.before, h.after) for h in data.idea_changes] == [
        ("information", "insight"),
        ("insight", "park"),
        ("park", "improve"),
    ]
    assert [r.text.split(", which")[0] for r in told.sent] == ["I1 Email the decision letter"] * 3


async def test_an_experiment_gets_a_review_date_and_done_needs_an_approval(forum, data):
    await say(forum, "idea Email the decision letter")
    (early,) = await say(forum, "idea decide I1 done It worked", actor=LEAD)
    assert early.kind is ReplyKind.ERROR and "hasn't been approved" in early.text
    (card,) = await say(forum, "idea decide I1 experiment Try it for a month", actor=LEAD)
    assert data.ideas[0].review_on == FIXED_NOW.date() + timedelta(days=28)
    assert "review on 2026-12-19" in field(card, "Decision")
    (card,) = await say(forum, "idea decide I1 done Complaints halved", actor=LEAD)
    assert field(card, "What it achieved") == "Complaints halved"


async def test_merging_moves_votes_one_per_person_and_tells_the_voters(forum, data, told):
    await say(forum, "idea Email the decision letter")
    await say(forum, "idea Text people when their decision is posted", actor=BOB)
    await say(forum, "idea vote I1", actor=c.Actor("carol"))
    await say(forum, "idea vote I2", actor=c.Actor("carol"))
    await say(forum, "idea vote I2", actor=c.Actor("dave"))
    (card,) = await say(forum, "idea merge I2 into I1", actor=LEAD)
    assert field(card, "Votes") == "2"
    assert sorted(r.recipient for r in told.sent) == ["bob", "carol", "dave"]
    assert all("merged into I1" in r.text for r in told.sent)
    (closed,) = await say(forum, "idea vote I2", actor=c.Actor("erin"))
    assert closed.kind is ReplyKind.ERROR and "merged into I1" in closed.text


async def test_the_seed_example_shows_its_return_on_the_card():
    """£30 an hour; 17 occurrences of 30 minutes in each of the last 12 complete weeks; 50% and £2,000."""
    data = FakeData()
    bus = MessageBus(FakeUnitOfWorkFactory(data), WorkspaceDefaults(hourly_cost=Decimal(30)), clock=lambda: FIXED_NOW)
    core = Core(bus, delivery_hasher("k"))
    await say(core, "problem Users not received a decision letter 30m on 2026-08-24")
    monday = date(2026, 8, 24)
    for week in range(1, 12):
        await say(core, f"problem again 1 x17 on {(monday + timedelta(weeks=week)).isoformat()}")
    await say(core, "problem again 1 x16 on 2026-08-25")  # the first week's other 16
    await say(core, "idea Email the decision letter for #1")
    (card,) = await say(core, "idea estimate I1 reduction=50% cost=2000")
    estimate = field(card, "Estimate")
    assert "saves £6,630.00 a year" in estimate and "ROI 2.3 (231%)" in estimate and "16 weeks" in estimate
    assert "£13,260.00 a year" in card.lines[0] and "8.5 hours a week" in card.lines[0]


async def test_the_agenda_ranks_by_return_then_votes(forum):
    await say(forum, "problem Letters not received x17 30m on 2026-11-10")
    for title in ("Email the letter", "Phone people back", "Print in house", "Fix the template"):
        await say(forum, f"idea {title} for #1")
    for number in (1, 2, 3, 4):
        await say(forum, f"idea move I{number} improve", actor=LEAD)
    await say(forum, "idea estimate I1 reduction=10% cost=100")
    await say(forum, "idea estimate I2 reduction=90% cost=100")
    await say(forum, "idea vote I3", actor=BOB)  # no estimate: after those with one, by votes
    (agenda,) = await say(forum, "tally agenda")
    order = [s.heading.split(". ", 1)[1].split(" ")[0] for s in agenda.sections]
    assert order == ["I2", "I1", "I3", "I4"]
    assert any(line.startswith("Problem 1:") for line in agenda.sections[0].lines)


async def test_owners_are_added_and_removed_only_by_owners(forum, data):
    (refused,) = await say(forum, "tally owners add U0BOB", actor=BOB)
    assert refused.kind is ReplyKind.ERROR and "Only the forum's owners" in refused.text
    assert any(e.action == "refused" for e in data.audit) and data.owners.get(1, set()) == set()
    await say(forum, "tally owners add bob", actor=LEAD)
    (decided,) = await say(forum, "idea decide I9 approve x", actor=BOB)
    assert "no idea I9" in decided.text  # bob is an owner now: refused for the missing idea, not for who he is
    (last,) = await say(forum, "tally owners remove bob", actor=LEAD)
    assert last.kind is ReplyKind.ERROR and "last Tally owner" in last.text and data.owners[1] == {"bob"}
    await say(forum, "tally owners add carol", actor=LEAD)
    await say(forum, "tally owners remove bob", actor=LEAD)
    assert data.owners[1] == {"carol"}


def test_fixed_now_is_a_saturday():
    assert datetime(2026, 11, 21, 10, 30, tzinfo=UTC) == FIXED_NOW and FIXED_NOW.weekday() == 5


async def test_an_experiment_due_for_review_reminds_the_owners_once(data, told):
    now = [FIXED_NOW]
    bus = MessageBus(FakeUnitOfWorkFactory(data), clock=lambda: now[0])
    core = Core(bus, delivery_hasher("k"), Dispatcher({Platform.CONSOLE: told}))
    await say(core, "tally owners add owner1", actor=LEAD)
    await say(core, "idea Email the decision letter")
    await say(core, "idea decide I1 experiment Try it for a month review=2026-12-01", actor=LEAD)
    told.sent.clear()
    await core.run_job(c.RemindReviews(ws=c.SYSTEM, actor=c.TALLY))
    await core.background.drain()
    assert told.sent == []  # not due yet
    now[0] = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    for _ in range(2):  # a second run (another replica, a restart) sends nothing more
        await core.run_job(c.RemindReviews(ws=c.SYSTEM, actor=c.TALLY))
        await core.background.drain()
    assert sorted(r.recipient for r in told.sent) == ["lead", "owner1"]  # the owners, and whoever decided it
    reminder = told.sent[0]
    assert "I1 Email the decision letter" in reminder.text
    assert "due for review on 2026-12-01" in reminder.text and "/idea" not in reminder.text  # console spelling


async def test_anon_before_the_problems_still_keeps_the_proposer_out(forum, data):
    await say(forum, "problem Letters not received")
    (card,) = await say(forum, "idea Email the decision letter anon for #1", actor=c.Actor("whistle"))
    assert data.ideas[0].proposer_id is None and "nobody can be told" in card.footer
    assert "whistle" not in repr(data.__dict__)


async def test_votes_cannot_be_merged_into_a_decided_idea(forum, data):
    await say(forum, "idea Email the decision letter")
    await say(forum, "idea Text people when the decision is posted")
    await say(forum, "idea decide I1 reject Too costly", actor=LEAD)
    (refused,) = await say(forum, "idea merge I2 into I1", actor=LEAD)
    assert refused.kind is ReplyKind.ERROR and "was rejected" in refused.text
    assert data.ideas[1].merged_into_id is None


async def test_a_move_carries_its_reason_to_the_voters(forum, told):
    await say(forum, "idea Email the decision letter")
    await say(forum, "idea vote I1", actor=BOB)
    await say(forum, "idea move I1 insight The evidence is in", actor=LEAD)
    assert [r.text for r in told.sent if r.recipient == "bob"] == [
        "I1 Email the decision letter, which you voted for, was moved to insight. Why: The evidence is in"
    ]


async def test_an_estimate_with_a_tiny_number_is_kept_to_the_penny_not_a_crash(forum, data):
    await say(forum, "idea Email the decision letter")
    (card,) = await say(forum, "idea estimate I1 reduction=1e-1000000 cost=0.001")
    assert card.kind is ReplyKind.CARD and data.ideas[0].cost == Decimal("0.00")
    (refused,) = await say(forum, "idea estimate I1 cost=1e400")
    assert refused.kind is ReplyKind.ERROR


async def test_a_reminder_with_nobody_to_tell_waits_and_goes_to_whoever_decided(data, told):
    now = [FIXED_NOW]
    bus = MessageBus(FakeUnitOfWorkFactory(data), clock=lambda: now[0])
    core = Core(bus, delivery_hasher("k"), Dispatcher({Platform.CONSOLE: told}))
    await say(core, "idea Email the decision letter")
    await say(core, "idea decide I1 experiment Try it review=2026-12-01", actor=LEAD)  # an admin, not in the table
    told.sent.clear()
    now[0] = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    await core.run_job(c.RemindReviews(ws=c.SYSTEM, actor=c.TALLY))
    await core.background.drain()
    assert [r.recipient for r in told.sent] == ["lead"]


async def test_owners_change_the_workspaces_settings_and_cards_follow(forum, data):
    (shown,) = await say(forum, "tally settings")
    assert "£25.00" in shown.text and "Europe/London" in shown.text
    (refused,) = await say(forum, "tally settings hourly-cost 30", actor=BOB)
    assert refused.kind is ReplyKind.ERROR and any(e.action == "refused" for e in data.audit)
    (changed,) = await say(forum, "tally settings hourly-cost 30", actor=LEAD)
    assert "from 25.00 to 30.00" in changed.text and data.workspaces[0].hourly_cost == Decimal(30)
    await say(forum, "tally settings currency eur", actor=LEAD)
    (card,) = await say(forum, "problem Long queue x2 30m")
    assert field(card, "Cost this week") == "€30.00"
    assert [e.action for e in data.audit if e.action == "settings.changed"] == ["settings.changed"] * 2


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("tally settings hourly-cost lots", "isn't an hourly cost"),
        ("tally settings hourly-cost -5", "isn't an hourly cost"),
        ("tally settings currency pounds", "isn't a currency code"),
        ("tally settings timezone Mars/Olympus", "isn't a timezone"),
        ("tally settings colour blue", "isn't a setting"),
    ],
)
async def test_a_bad_setting_says_how_to_write_it_and_changes_nothing(forum, data, line, says):
    (reply,) = await say(forum, line, actor=LEAD)
    assert reply.kind is ReplyKind.ERROR and says in reply.text
    assert not [e for e in data.audit if e.action == "settings.changed"]


async def test_demand_is_recorded_per_area_and_week_and_a_second_record_replaces_it(forum, data):
    (first,) = await say(forum, "tally demand #benefits 1,200")
    assert first.text == "Recorded 1,200 contacts or cases in Benefits for the week of 2026-11-16 (2026-W47)."
    (second,) = await say(forum, "tally demand #benefits 1300 2026-W47", actor=BOB)
    assert second.text.endswith("It replaces 1,200.")
    await say(forum, "tally demand #benefits 900 2026-W46")
    assert sorted(data.demand.values()) == [900, 1300]
    assert [e.actor_id for e in data.audit if e.action == "demand.recorded"] == ["alice", "bob", "alice"]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("tally demand benefits 100", "isn't quite right"),
        ("tally demand #benefits lots", "isn't a number of contacts"),
        ("tally demand #benefits -4", "isn't a number of contacts"),
        ("tally demand #benefits 100 week47", "isn't a week I understand"),
        ("tally demand #benefits 100 2026-W60", "isn't a week I understand"),
        ("tally demand #benefits 100 2026-W48", "hasn't started yet"),
    ],
)
async def test_bad_demand_says_how_to_write_it_and_stores_nothing(forum, data, line, says):
    (reply,) = await say(forum, line)
    assert reply.kind is ReplyKind.ERROR and says in reply.text and data.demand == {}

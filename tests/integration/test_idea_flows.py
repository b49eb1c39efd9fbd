"""Idea flows through the real message bus on SQLite and PostgreSQL: proposing, voting and unvoting, the forum's
owners deciding with a reason (and who is told), merging with votes moved one per person, the agenda ranked by
return then votes, and the seed's worked example of an idea's return.

The clock is fixed at Saturday 21 November 2026 (tests/conftest.py): the last 12 complete weeks run from Monday
24 August to Sunday 15 November.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from bot import commands as c
from bot.bus import MessageBus, Result
from bot.errors import BadInput
from bot.events import IdeaChanged
from bot.grammar import parse_line
from bot.ids import Action
from bot.notify import notifications
from bot.replies import Reply, ReplyKind, Target
from storage.model import Platform, WorkspaceDefaults
from storage.uow import SqlUnitOfWorkFactory

WS = c.WorkspaceRef(Platform.SLACK, "T0IDEAS")
ADMIN = c.Actor("U0LEAD", is_admin=True)  # a workspace admin: one of the forum's owners
ALICE, BOB, CAROL, DAN = (c.Actor(u) for u in ("U0ALICE", "U0BOB", "U0CAROL", "U0DAN"))
LETTERS = "problem Users contacting us to complain that they have not received a decision letter 30m"
EMAIL_IDEA = "Email the decision letter as well as posting it"
BASELINE_MONDAYS = [date(2026, 8, 24) + timedelta(weeks=n) for n in range(12)]


def run(bus, line: str, actor: c.Actor = ALICE) -> Result:  # type: ignore[no-untyped-def]
    """One line as a person types it, through the grammar and the bus."""
    return bus.run(parse_line(line, WS, actor))


def press(bus, action: Action, number: int, actor: c.Actor) -> Result:  # type: ignore[no-untyped-def]
    return bus.run(c.PressButton(ws=WS, actor=actor, action=action.value, value=str(number)))


def scalar(engine, sql: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def voters(engine, number: int) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        rows = conn.execute(
            text(f"select v.user_id from idea_vote v join idea i on i.id = v.idea_id where i.number = {number}")
        )
        return sorted(r[0] for r in rows)


def field(reply: Reply, label: str) -> str:
    return next(f.value for f in reply.fields if f.label == label)


def everything(reply: Reply) -> str:
    parts = [reply.text, reply.footer, *reply.lines, *(f"{f.label}: {f.value}" for f in reply.fields)]
    parts += [line for s in reply.sections for line in (s.heading, *s.lines)]
    return "\n".join(parts)


def told(result: Result) -> dict[str, str]:
    """Who the committed change's events tell, and what."""
    return {r.recipient: r.text for e in result.events for r in notifications(e) if r.recipient}  # type: ignore[misc]


def propose(bus, line: str = f"idea {EMAIL_IDEA} for #1", actor: c.Actor = ALICE) -> Reply:  # type: ignore[no-untyped-def]
    (card,) = run(bus, line, actor).replies
    assert card.kind is ReplyKind.CARD, card.text
    return card


# --- proposing and voting ----------------------------------------------------------------------------------------


def test_an_idea_for_a_problem_is_stored_linked_and_shown_as_a_card_for_the_conversation(bus, engine):
    run(bus, LETTERS)
    card = propose(bus)
    assert card.text == f"I1 {EMAIL_IDEA}" and card.to is Target.CONVERSATION
    assert field(card, "Votes") == "0" and field(card, "Stage").startswith("Information")
    assert [b.action for b in card.buttons] == [Action.VOTE, Action.UNVOTE, Action.ADD_EVIDENCE]
    assert "#1 Users contacting us" in card.lines[0]
    assert scalar(engine, "select count(*) from idea where proposer_id = 'U0ALICE' and number = 1") == 1
    assert scalar(engine, "select count(*) from idea_problem") == 1
    assert scalar(engine, "select count(*) from audit_event where action = 'idea.proposed'") == 1


def test_voting_twice_counts_once_and_unvote_takes_it_back(bus, engine):
    propose(bus, f"idea {EMAIL_IDEA}")
    first = run(bus, "idea vote I1", BOB).reply
    assert "Your vote for I1 counted." in first.footer and field(first, "Votes") == "1"
    again = run(bus, "idea vote I1", BOB).reply
    assert "You had already voted for I1." in again.footer and field(again, "Votes") == "1"
    run(bus, "idea vote I1", CAROL)
    assert voters(engine, 1) == ["U0BOB", "U0CAROL"]

    back = run(bus, "idea unvote I1", BOB).reply
    assert "Your vote for I1 was taken back." in back.footer and field(back, "Votes") == "1"
    assert voters(engine, 1) == ["U0CAROL"]
    assert "You hadn't voted for I1." in run(bus, "idea unvote I1", BOB).reply.footer
    assert voters(engine, 1) == ["U0CAROL"]
    assert scalar(engine, "select count(*) from audit_event where action in ('idea.vote', 'idea.unvote')") == 3


def test_the_vote_button_replaces_the_card_for_everyone_and_tells_the_voter(bus, engine):
    propose(bus, f"idea {EMAIL_IDEA}")
    card, note = press(bus, Action.VOTE, 1, BOB).replies
    assert card.to is Target.REPLACE and card.kind is ReplyKind.CARD and field(card, "Votes") == "1"
    assert note.to is Target.PRIVATE and note.text == "Your vote for I1 counted."
    card, note = press(bus, Action.VOTE, 1, BOB).replies
    assert field(card, "Votes") == "1" and note.text == "You had already voted for I1."
    card, note = press(bus, Action.UNVOTE, 1, BOB).replies
    assert field(card, "Votes") == "0" and note.text == "Your vote for I1 was taken back."
    assert voters(engine, 1) == []


# --- deciding ------------------------------------------------------------------------------------------------------


def voted(bus) -> None:  # type: ignore[no-untyped-def]
    """I1 by Alice, with votes from Bob, Carol and the admin who will decide it."""
    run(bus, LETTERS)
    propose(bus)
    for voter in (BOB, CAROL, ADMIN):
        run(bus, "idea vote I1", voter)


def test_a_non_owners_decision_is_refused_saying_who_can_audited_and_changes_nothing(bus, engine):
    voted(bus)
    assert "U0OWEN is now a Tally owner" in run(bus, "tally owners add U0OWEN", ADMIN).reply.text
    result = run(bus, "idea decide I1 approve Cheap and quick", BOB)
    (refused,) = result.replies
    assert refused.kind is ReplyKind.ERROR
    assert "Only the forum's owners can decide ideas" in refused.text and "U0OWEN" in refused.text
    assert result.events == ()
    assert scalar(engine, "select count(*) from audit_event where action = 'refused' and actor_id = 'U0BOB'") == 1
    assert scalar(engine, "select count(*) from idea where decision is not null") == 0
    assert scalar(engine, "select count(*) from idea_change") == 0


def test_a_decision_without_a_reason_is_refused_before_anything_runs(bus, engine):
    voted(bus)
    with pytest.raises(BadInput) as refused:
        parse_line("idea decide I1 approve", WS, ADMIN)
    assert "needs a reason" in refused.value.message and "/idea decide" in refused.value.how
    assert scalar(engine, "select count(*) from idea where decision is not null") == 0


def test_an_owner_decides_with_a_reason_and_the_proposer_and_voters_are_told_it(bus, engine):
    voted(bus)
    run(bus, "tally owners add U0OWEN", ADMIN)
    reason = "Cheap and quick to try, and callers asked for it"
    result = run(bus, f"idea decide I1 approve {reason}", c.Actor("U0OWEN"))  # an owner, not a workspace admin
    assert "Proposer and voters told" in result.reply.footer and result.reply.to is Target.CONVERSATION
    assert field(result.reply, "Decision").startswith("approved on 2026-11-21: Cheap and quick")
    assert result.reply.buttons == ()  # voting has closed
    told_ = told(result)
    assert set(told_) == {"U0ALICE", "U0BOB", "U0CAROL", "U0LEAD"}
    assert all("approved" in t and reason in t for t in told_.values())
    assert "you proposed" in told_["U0ALICE"] and "you voted for" in told_["U0BOB"]
    with engine.connect() as conn:
        row = conn.execute(text("select decision, decision_reason, decided_by from idea where number = 1")).one()
        change = conn.execute(text("select actor_id, after, reason from idea_change")).one()
    assert tuple(row) == ("approve", reason, "U0OWEN") and tuple(change) == ("U0OWEN", "approve", reason)

    closed = run(bus, "idea vote I1", DAN).reply
    assert closed.kind is ReplyKind.ERROR and "closed" in closed.text
    assert voters(engine, 1) == ["U0BOB", "U0CAROL", "U0LEAD"]


def test_the_owner_who_decides_is_not_told_their_own_decision(bus):
    voted(bus)
    result = run(bus, "idea decide I1 park Waiting for the new print contract", ADMIN)
    (event,) = result.events
    assert isinstance(event, IdeaChanged) and "U0LEAD" in event.voters
    assert set(told(result)) == {"U0ALICE", "U0BOB", "U0CAROL"}


def test_an_anonymous_proposers_idea_decided_tells_only_its_voters(bus, engine):
    card = propose(bus, "idea Publish the night shift rota a month ahead anon", c.Actor("U0WHISTLE"))
    assert "Proposed anonymously" in card.footer and card.anonymous
    run(bus, "idea vote I1", BOB)
    result = run(bus, "idea decide I1 reject Rotas depend on the agency's own notice", ADMIN)
    assert set(told(result)) == {"U0BOB"}
    assert "rejected" in told(result)["U0BOB"] and "agency's own notice" in told(result)["U0BOB"]
    assert scalar(engine, "select count(*) from idea where proposer_id is null") == 1
    with engine.connect() as conn:
        audit = repr(conn.execute(text("select * from audit_event")).all())
    assert "U0WHISTLE" not in audit


# --- merging ---------------------------------------------------------------------------------------------------


def test_merging_moves_votes_one_per_person_and_tells_the_merged_ideas_people(bus, engine):
    run(bus, LETTERS)
    run(bus, "problem Phones ring out at lunchtime in the contact centre 10m")
    propose(bus, f"idea {EMAIL_IDEA} for #1")
    propose(bus, "idea Send residents a text message when the envelope leaves the post room for #2", DAN)
    for number, voter in ((1, BOB), (1, CAROL), (2, CAROL), (2, ALICE), (2, c.Actor("U0ERIN"))):
        run(bus, f"idea vote I{number}", voter)

    refused = run(bus, "idea merge I2 into I1", BOB).reply
    assert refused.kind is ReplyKind.ERROR and "Only the forum's owners can merge ideas" in refused.text
    assert voters(engine, 2) == ["U0ALICE", "U0CAROL", "U0ERIN"]

    result = run(bus, "idea merge I2 into I1", ADMIN)
    assert "Merged I2 into I1" in result.reply.footer
    assert voters(engine, 1) == ["U0ALICE", "U0BOB", "U0CAROL", "U0ERIN"]  # Carol voted for both: one vote
    assert voters(engine, 2) == []
    assert field(result.reply, "Votes") == "4"
    linked = "select count(*) from idea_problem l join idea i on i.id = l.idea_id where i.number = 1"
    assert scalar(engine, linked) == 2  # the merged idea's problem now counts on the idea kept
    assert scalar(engine, "select count(*) from idea i join idea t on t.id = i.merged_into_id where i.number = 2") == 1

    told_ = told(result)
    assert set(told_) == {"U0DAN", "U0CAROL", "U0ALICE", "U0ERIN"}
    assert all("merged into I1" in t for t in told_.values())

    # The merged idea is read-only, and says where its votes went.
    again = run(bus, "idea vote I2", c.Actor("U0FRED")).reply
    assert again.kind is ReplyKind.ERROR and "merged into I1" in again.text
    shown = run(bus, "idea show I2", BOB).reply
    assert "Merged into I1" in shown.footer and shown.buttons == ()
    assert voters(engine, 2) == []


# --- the agenda and the return of an idea -------------------------------------------------------------------------


@pytest.fixture
def costed_bus(engine, fixed_clock):
    """The bus with an hourly cost of £30, as in the seed's example."""
    return MessageBus(SqlUnitOfWorkFactory(engine), WorkspaceDefaults(hourly_cost=Decimal(30)), clock=fixed_clock)


def seed_problem(bus, engine) -> None:  # type: ignore[no-untyped-def]
    """17 occurrences of 30 minutes in each of the last 12 complete weeks."""
    run(bus, LETTERS)
    for monday in BASELINE_MONDAYS:
        assert run(bus, f"problem again 1 x17 on {monday.isoformat()}").reply.kind is ReplyKind.CARD
    baseline = "select sum(count) from occurrence where occurred_on between '2026-08-24' and '2026-11-15'"
    assert scalar(engine, baseline) == 17 * 12


def test_the_seed_example_saves_6630_a_year_with_an_roi_of_2_3_and_pays_back_in_16_weeks(costed_bus, engine):
    seed_problem(costed_bus, engine)
    propose(costed_bus)
    card = run(costed_bus, "idea estimate I1 reduction=50% cost=2000", ADMIN).reply
    estimate = field(card, "Estimate")
    assert "saves £6,630.00 a year" in estimate, estimate
    assert "ROI 2.3 (231%)" in estimate and "pays back in 16 weeks" in estimate
    assert "£13,260.00 a year" in card.lines[0]


def test_the_agenda_ranks_ideas_at_improve_by_roi_then_votes(costed_bus, engine):
    bus = costed_bus
    seed_problem(bus, engine)
    ideas = [
        ("Email the decision letter as well as posting it for #1", "reduction=50% cost=2000", "improve"),  # 2.315
        ("Send a text message when the envelope leaves the post room for #1", "reduction=50% cost=4000", "improve"),
        ("Publish expected decision dates on the planning portal for #1", "reduction=25% cost=1000", "improve"),
        ("Hire a temporary clerk for the backlog", "", "improve"),  # no estimate: last
        ("Replace the franking machine in the basement for #1", "reduction=90% cost=10", "insight"),  # not ready
    ]
    for n, (words, estimate, stage) in enumerate(ideas, start=1):
        assert propose(bus, f"idea {words}").text.startswith(f"I{n} ")
        if estimate:
            run(bus, f"idea estimate I{n} {estimate}", ADMIN)
        assert run(bus, f"idea move I{n} {stage}", ADMIN).reply.kind is ReplyKind.CARD
    for number, voter in ((1, BOB), (3, BOB), (3, CAROL), (2, BOB), (2, CAROL), (2, DAN)):
        run(bus, f"idea vote I{number}", voter)

    agenda = run(bus, "tally agenda", BOB).reply
    order = [s.heading.split(" ")[1] for s in agenda.sections]
    assert order == ["I3", "I1", "I2", "I4"], [s.heading for s in agenda.sections]
    assert "2 votes, ROI 2.3 (231%)" in agenda.sections[0].heading
    assert "1 vote, ROI 2.3 (231%)" in agenda.sections[1].heading
    assert "3 votes, ROI 0.7 (65%)" in agenda.sections[2].heading

    # Decided ideas leave the agenda; one parked and brought back to improve returns to it.
    run(bus, "idea decide I3 park Waiting for the portal upgrade", ADMIN)
    assert [s.heading.split(" ")[1] for s in run(bus, "tally agenda", BOB).reply.sections] == ["I1", "I2", "I4"]
    run(bus, "idea move I3 improve", ADMIN)
    assert [s.heading.split(" ")[1] for s in run(bus, "tally agenda", BOB).reply.sections] == ["I3", "I1", "I2", "I4"]


def test_settings_are_kept_and_used_on_both_databases(bus):
    from bot import commands as commands_
    from bot.grammar import parse_line
    from storage.model import Platform

    ws = commands_.WorkspaceRef(Platform.CONSOLE, "settings")
    lead = commands_.Actor("lead", is_admin=True)
    for line in ("tally settings hourly-cost 31.50", "tally settings timezone Pacific/Auckland"):
        assert bus.handle(parse_line(line, ws, lead)).kind.value != "error"
    shown = bus.handle(parse_line("tally settings", ws, lead)).text
    assert "£31.50" in shown and "Pacific/Auckland" in shown


def test_demand_is_kept_per_area_and_week_on_both_databases(bus, engine):
    from datetime import date as day

    from bot import commands as commands_
    from bot.grammar import parse_line
    from storage.model import Platform
    from storage.uow import SqlUnitOfWorkFactory

    ws = commands_.WorkspaceRef(Platform.CONSOLE, "demand")
    alice = commands_.Actor("alice")
    for line in (
        "tally demand #benefits 1200 2026-W46",
        "tally demand #benefits 1300 2026-W46",
        "tally demand #housing 40",
    ):
        assert bus.handle(parse_line(line, ws, alice)).kind.value != "error"
    with SqlUnitOfWorkFactory(engine)(write=False) as uow:
        workspace_id = uow.workspaces.find(Platform.CONSOLE, "demand").id  # type: ignore[union-attr]
        totals = uow.demand.totals(workspace_id, day(2026, 11, 9), day(2026, 11, 16))
        names = {a.id: a.slug for a in uow.areas.list(workspace_id)}
    assert {names[area]: total for area, total in totals.items()} == {"benefits": 1300, "housing": 40}

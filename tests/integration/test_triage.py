"""The weekly idea triage on SQLite and PostgreSQL: ideas ready to move on and ideas gone quiet are put in front of
the owners once a week; after a forum meeting its undecided agenda is carried over, and the proposers and voters
are told, once each.

The clock is Saturday 21 November 2026; the forum meets on the third Tuesday, 17 November: four days ago."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from bot import commands as c
from bot.events import AgendaCarriedOver, IdeasNeedOwners
from bot.grammar import parse_line
from bot.notify import notifications
from storage.model import Platform
from tests.conftest import FIXED_NOW

WS = c.WorkspaceRef(Platform.SLACK, "T0TRIAGE")
LEAD = c.Actor("U0LEAD", is_admin=True)


def run(bus, line: str, user: str = "U0ALICE"):  # type: ignore[no-untyped-def]
    actor = LEAD if user == LEAD.user_id else c.Actor(user)
    result = bus.run(parse_line(line, WS, actor))
    assert result.replies and result.replies[-1].kind.value != "error", result.replies[-1].text
    return result


def triage(bus, week: str = "2026-W47") -> tuple:  # type: ignore[no-untyped-def]
    return bus.run(c.TriageIdeas(ws=WS, actor=c.TALLY, period=week)).events


def ideas_of_all_kinds(bus, engine) -> None:  # type: ignore[no-untyped-def]
    run(bus, "tally owners add U0OWEN", LEAD.user_id)
    run(bus, "idea Email decision letters as well as posting them")  # I1: three votes
    for voter in ("U0B", "U0C", "U0D"):
        run(bus, "idea vote I1", voter)
    run(bus, "idea Print letters in large type")  # I2: evidence
    run(bus, "idea evidence I2 Six complaints about small print last month")
    run(bus, "idea A second printer at reception")  # I3: quiet for 40 days
    run(bus, "idea Ring people back within a day")  # I4: at improve, on the agenda, undecided
    run(bus, "idea vote I4", "U0B")
    run(bus, "idea move I4 insight", LEAD.user_id)
    run(bus, "idea move I4 improve", LEAD.user_id)
    run(bus, "idea A quiet idea with one vote")  # I5: nothing to say about it
    with engine.begin() as conn:
        old = FIXED_NOW - timedelta(days=40)
        conn.execute(text("update idea set created_at = :at"), {"at": FIXED_NOW - timedelta(days=10)})
        conn.execute(text("update idea set created_at = :at where number = 3"), {"at": old})
        conn.execute(text("update idea_change set at = :at"), {"at": FIXED_NOW - timedelta(days=9)})
        conn.execute(text("update idea_evidence set at = :at"), {"at": FIXED_NOW - timedelta(days=9)})
        conn.execute(text("update forum set meets = 'third-tue'"))


def test_owners_hear_of_ready_and_quiet_ideas_once_a_week(bus, engine):
    ideas_of_all_kinds(bus, engine)
    events = triage(bus)
    [owners] = [e for e in events if isinstance(e, IdeasNeedOwners)]
    assert owners.owners == ("U0OWEN",)
    assert [r.split(" (")[0] for r in owners.ready] == [
        "I1 Email decision letters as well as posting them",
        "I2 Print letters in large type",
    ]
    assert "3 votes" in owners.ready[0] and "evidence" in owners.ready[1]
    assert [q.split(" (")[0] for q in owners.quiet] == ["I3 A second printer at reception"]
    assert "40 days" in owners.quiet[0]
    replies = notifications(owners)
    assert [r.recipient for r in replies] == ["U0OWEN"]
    assert "/idea move I1 insight" in "\n".join(replies[0].sections[0].lines)
    assert not [e for e in triage(bus) if isinstance(e, IdeasNeedOwners)]  # the same week: told once
    assert [e for e in triage(bus, "2026-W48") if isinstance(e, IdeasNeedOwners)]  # next week: again


def test_the_meetings_undecided_agenda_is_carried_over_and_its_people_told_once(bus, engine):
    ideas_of_all_kinds(bus, engine)
    [carried] = [e for e in triage(bus) if isinstance(e, AgendaCarriedOver)]
    assert carried.met_on.isoformat() == "2026-11-17" and carried.next_on.isoformat() == "2026-12-15"
    assert carried.ideas == (("I4 Ring people back within a day", ("U0ALICE", "U0B")),)
    told = notifications(carried)
    assert sorted(r.recipient for r in told) == ["U0ALICE", "U0B"]
    assert "stays on the agenda" in told[0].text and "15 December" in told[0].text
    assert not [e for e in triage(bus, "2026-W48") if isinstance(e, AgendaCarriedOver)]  # that meeting: once


def test_nothing_to_say_says_nothing(bus, engine):
    run(bus, "tally owners add U0OWEN", LEAD.user_id)
    run(bus, "idea A fresh idea")
    assert triage(bus) == ()

"""Ideas, votes and forums on real SQLite and PostgreSQL: numbering, one vote per person under a burst of
voters, merging votes, links, history, evidence, "my ideas", the default forum, and migration 0005."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from storage.migrate import alembic_config, downgrade, upgrade
from storage.model import (
    Decision,
    Evidence,
    Forum,
    Idea,
    IdeaChange,
    Platform,
    Problem,
    Stage,
    WorkspaceDefaults,
)
from storage.uow import SqlUnitOfWorkFactory
from tests.databases import dump_tables

IDEA_TABLES = {"forum", "idea", "idea_problem", "idea_vote", "idea_evidence", "idea_change"}


def workspace(units, name: str = "here") -> int:  # type: ignore[no-untyped-def]
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.CONSOLE, name, WorkspaceDefaults()).id
        uow.commit()
    return ws


def new_idea(units, ws: int, title: str = "Send letters by text", **fields) -> Idea:  # type: ignore[no-untyped-def]
    with units() as uow:
        idea = uow.ideas.add(Idea(ws, uow.ideas.next_number(ws), title, **fields))
        uow.commit()
    return idea


# Numbering and records ------------------------------------------------------------------------


def test_ideas_are_numbered_per_workspace_apart_from_problems(engine):
    units = SqlUnitOfWorkFactory(engine)
    here, there = workspace(units), workspace(units, "there")
    with units() as uow:
        assert uow.workspaces.next_problem_number(here) == 1
        assert [uow.ideas.next_number(here) for _ in range(3)] == [1, 2, 3]
        assert uow.ideas.next_number(there) == 1
        assert uow.workspaces.next_problem_number(here) == 2
        uow.commit()
    with units() as uow:
        assert uow.ideas.next_number(here) == 4


def test_an_idea_is_stored_whole_and_saved_back(engine):
    units = SqlUnitOfWorkFactory(engine)
    ws = workspace(units)
    idea = new_idea(units, ws, description="Text people when the letter is posted", proposer_id="U1")
    assert idea.id is not None and idea.number == 1 and idea.created_at is not None
    with units(write=False) as uow:
        stored = uow.ideas.get(ws, 1)
        assert stored == idea
        assert uow.ideas.get_by_id(ws, idea.id) == idea
        assert stored.stage is Stage.INFORMATION and stored.decision is None

    decided_at = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
    with units() as uow:
        idea.stage = Stage.IMPROVE
        idea.decision = Decision.EXPERIMENT
        idea.decision_reason = "Try it on one team first"
        idea.decided_by = "U-LEAD"
        idea.decided_at = decided_at
        idea.review_on = date(2027, 1, 5)
        idea.root_cause = "Letters are posted second class"
        idea.reduction_pct = Decimal("40")
        idea.cost = Decimal("2000.005")  # kept to the penny, as NUMERIC(12, 2) does
        idea.outcome = "Complaints halved"
        idea.number = 99  # not changed by save
        uow.ideas.save(idea)
        uow.commit()
    with units(write=False) as uow:
        stored = uow.ideas.get(ws, 1)
    assert stored is not None and stored.number == 1
    assert (stored.stage, stored.decision, stored.decided_by) == (Stage.IMPROVE, Decision.EXPERIMENT, "U-LEAD")
    assert stored.decided_at == decided_at and stored.review_on == date(2027, 1, 5)
    assert stored.reduction_pct == Decimal("40.00") and stored.cost == Decimal("2000.01")
    assert (stored.root_cause, stored.outcome) == ("Letters are posted second class", "Complaints halved")


def test_ideas_are_scoped_by_workspace(engine):
    units = SqlUnitOfWorkFactory(engine)
    here, there = workspace(units), workspace(units, "there")
    idea = new_idea(units, here)
    with units() as uow:
        assert uow.ideas.get(there, 1) is None
        assert uow.ideas.get_by_id(there, idea.id) is None
        with pytest.raises(LookupError):
            uow.ideas.save(Idea(there, 1, "hijack", id=idea.id))
        assert uow.ideas.vote(there, idea.id, "U1") is False  # another workspace's idea takes no votes
        assert uow.ideas.list(there) == [] and uow.ideas.open_ideas(there) == []


def test_the_longest_texts_fit(engine):
    """PostgreSQL enforces column lengths."""
    units = SqlUnitOfWorkFactory(engine)
    ws = workspace(units)
    long = "x" * 4000
    idea = new_idea(units, ws, "t" * 200, description=long, root_cause=long, outcome=long, decision_reason=long)
    with units() as uow:
        uow.ideas.add_evidence(Evidence(ws, idea.id, long, "U" * 128))
        uow.ideas.add_change(IdeaChange(ws, idea.id, "U" * 128, "information", "insight", long))
        idea.reduction_pct, idea.cost = Decimal("100"), Decimal("9999999999.99")
        uow.ideas.save(idea)
        uow.commit()


def test_an_anonymous_idea_keeps_no_proposer(engine):
    units = SqlUnitOfWorkFactory(engine)
    ws = workspace(units)
    idea = new_idea(units, ws, proposer_id=None)
    with units() as uow:
        assert uow.ideas.get(ws, idea.number).proposer_id is None
        assert uow.ideas.for_user(ws, "U-ANON") == []
    with engine.connect() as conn:
        assert conn.execute(text("select proposer_id from idea")).scalar() is None


# Lists ----------------------------------------------------------------------------------------


def test_lists_filter_by_stage_and_decision_newest_first_without_merged_ideas(engine):
    units = SqlUnitOfWorkFactory(engine)
    ws, other = workspace(units), workspace(units, "there")
    rows = [
        (Stage.INFORMATION, None),  # 1
        (Stage.INSIGHT, None),  # 2
        (Stage.IMPROVE, Decision.APPROVE),  # 3
        (Stage.INSIGHT, Decision.PARK),  # 4
        (Stage.INFORMATION, Decision.REJECT),  # 5
        (Stage.INFORMATION, None),  # 6, merged into 1 below
        (Stage.IMPROVE, Decision.DONE),  # 7
    ]
    with units() as uow:
        for stage, decision in rows:
            uow.ideas.add(Idea(ws, uow.ideas.next_number(ws), "idea", stage=stage, decision=decision))
        uow.ideas.add(Idea(other, uow.ideas.next_number(other), "elsewhere"))
        merged = uow.ideas.get(ws, 6)
        merged.merged_into_id = uow.ideas.get(ws, 1).id
        uow.ideas.save(merged)
        uow.commit()

    def numbers(ideas: list[Idea]) -> list[int]:
        return [i.number for i in ideas]

    with units(write=False) as uow:
        assert numbers(uow.ideas.list(ws)) == [7, 5, 4, 3, 2, 1]
        assert numbers(uow.ideas.list(ws, limit=2)) == [7, 5]
        assert numbers(uow.ideas.list(ws, stages=[Stage.INSIGHT])) == [4, 2]
        assert numbers(uow.ideas.list(ws, stages=[Stage.INFORMATION, Stage.IMPROVE])) == [7, 5, 3, 1]
        assert numbers(uow.ideas.list(ws, stages=[])) == []
        assert numbers(uow.ideas.list(ws, decided=True)) == [7, 5, 4, 3]
        assert numbers(uow.ideas.list(ws, decided=False)) == [2, 1]
        assert numbers(uow.ideas.list(ws, stages=[Stage.INSIGHT], decided=False)) == [2]
        assert numbers(uow.ideas.open_ideas(ws)) == [4, 2, 1]
        assert numbers(uow.ideas.open_ideas(ws, limit=1)) == [4]
        assert uow.ideas.get(ws, 6) is not None  # still found by number, to say where it went


def test_for_user_lists_what_they_proposed_or_voted_for(engine):
    units = SqlUnitOfWorkFactory(engine)
    ws, other = workspace(units), workspace(units, "there")
    mine = new_idea(units, ws, proposer_id="U1")  # 1
    voted = new_idea(units, ws, proposer_id="U2")  # 2
    new_idea(units, ws, proposer_id="U2")  # 3: neither
    anonymous = new_idea(units, ws, proposer_id=None)  # 4: theirs, but nobody can tell
    both = new_idea(units, ws, proposer_id="U1")  # 5
    merged = new_idea(units, ws, proposer_id="U1")  # 6
    elsewhere = new_idea(units, other, proposer_id="U1")
    with units() as uow:
        for idea in (voted, both, merged):
            uow.ideas.vote(ws, idea.id, "U1")
        uow.ideas.vote(ws, anonymous.id, "U3")
        uow.ideas.vote(other, elsewhere.id, "U1")
        merged.merged_into_id = mine.id
        uow.ideas.save(merged)
        uow.commit()
    with units(write=False) as uow:
        assert [i.number for i in uow.ideas.for_user(ws, "U1")] == [5, 2, 1]
        assert [i.number for i in uow.ideas.for_user(ws, "U1", limit=1)] == [5]
        assert [i.number for i in uow.ideas.for_user(ws, "U3")] == [4]
        assert [i.number for i in uow.ideas.for_user(other, "U1")] == [1]
        assert uow.ideas.for_user(ws, "U9") == []


# Votes ----------------------------------------------------------------------------------------


def test_vote_unvote_has_voted_counts_and_voters(engine):
    units = SqlUnitOfWorkFactory(engine)
    ws = workspace(units)
    one, two, quiet = new_idea(units, ws), new_idea(units, ws), new_idea(units, ws)
    with units() as uow:
        assert uow.ideas.vote(ws, one.id, "U1") is True
        assert uow.ideas.vote(ws, one.id, "U1") is False
        assert uow.ideas.vote(ws, one.id, "U2") is True
        assert uow.ideas.vote(ws, two.id, "U1") is True
        uow.commit()
    with units() as uow:
        assert uow.ideas.has_voted(ws, one.id, "U1") is True
        assert uow.ideas.has_voted(ws, one.id, "U3") is False
        assert uow.ideas.vote_counts(ws, [one.id, two.id, quiet.id]) == {one.id: 2, two.id: 1, quiet.id: 0}
        assert uow.ideas.vote_counts(ws, []) == {}
        assert uow.ideas.voters(ws, one.id) == ["U1", "U2"]
        assert uow.ideas.unvote(ws, one.id, "U1") is True
        assert uow.ideas.unvote(ws, one.id, "U1") is False
        assert uow.ideas.unvote(ws, quiet.id, "U1") is False
        assert uow.ideas.has_voted(ws, one.id, "U1") is False
        assert uow.ideas.vote(ws, one.id, "U1") is True  # may vote again after taking it back
        assert uow.ideas.voters(ws, one.id) == ["U2", "U1"]
        uow.commit()


def test_a_vote_for_an_idea_added_in_the_same_unit_of_work(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.CONSOLE, "new", WorkspaceDefaults()).id
        idea = uow.ideas.add(Idea(ws, uow.ideas.next_number(ws), "first"))
        assert uow.ideas.vote(ws, idea.id, "U1") is True
        uow.commit()
    with units(write=False) as uow:
        assert uow.ideas.vote_counts(ws, [idea.id]) == {idea.id: 1}


@pytest.mark.parametrize("times", [1, 2])
def test_a_hundred_people_voting_at_once_make_a_hundred_votes(engine, times):
    """One unit of work per vote, all at once; voting twice (both at once too) still counts once."""
    units = SqlUnitOfWorkFactory(engine)
    ws = workspace(units)
    idea = new_idea(units, ws)
    people = [f"U{n:03}" for n in range(100)] * times
    start = threading.Barrier(len(people))

    def vote(user_id: str) -> bool:
        start.wait(timeout=60)
        with units() as uow:
            added = uow.ideas.vote(ws, idea.id, user_id)
            uow.commit()
            return added

    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        added = list(pool.map(vote, people))
    assert sum(added) == 100
    with units(write=False) as uow:
        assert uow.ideas.vote_counts(ws, [idea.id]) == {idea.id: 100}
        assert sorted(uow.ideas.voters(ws, idea.id)) == sorted(set(people))
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from idea_vote")).scalar() == 100


def test_moving_votes_keeps_one_per_person(engine):
    units = SqlUnitOfWorkFactory(engine)
    ws, other = workspace(units), workspace(units, "there")
    dup, kept, bystander = new_idea(units, ws), new_idea(units, ws), new_idea(units, ws)
    foreign = new_idea(units, other)
    with units() as uow:
        for idea, user in [(kept, "A"), (dup, "A"), (dup, "B"), (kept, "C"), (dup, "D"), (bystander, "B")]:
            uow.ideas.vote(ws, idea.id, user)
        uow.commit()
    with units() as uow:
        assert uow.ideas.move_votes(ws, dup.id, kept.id) == 2  # B and D; A had voted for both
        assert uow.ideas.voters(ws, kept.id) == ["A", "C", "B", "D"]
        assert uow.ideas.voters(ws, dup.id) == []
        assert uow.ideas.voters(ws, bystander.id) == ["B"]
        assert uow.ideas.move_votes(ws, dup.id, kept.id) == 0
        assert uow.ideas.move_votes(ws, kept.id, kept.id) == 0
        with pytest.raises(LookupError):
            uow.ideas.move_votes(ws, kept.id, foreign.id)  # not into another workspace's idea
        uow.commit()
    with units(write=False) as uow:
        assert uow.ideas.vote_counts(ws, [dup.id, kept.id]) == {dup.id: 0, kept.id: 4}


# Links, evidence and history ------------------------------------------------------------------


def test_links_are_idempotent_and_stay_in_their_workspace(engine):
    units = SqlUnitOfWorkFactory(engine)
    ws, other = workspace(units), workspace(units, "there")
    idea = new_idea(units, ws)
    with units() as uow:
        p1 = uow.problems.add(Problem(ws, uow.workspaces.next_problem_number(ws), "Letters late")).id
        p2 = uow.problems.add(Problem(ws, uow.workspaces.next_problem_number(ws), "Phones down")).id
        foreign = uow.problems.add(Problem(other, uow.workspaces.next_problem_number(other), "Elsewhere")).id
        uow.ideas.link(ws, idea.id, p2)
        uow.ideas.link(ws, idea.id, p1)
        uow.ideas.link(ws, idea.id, p2)
        with pytest.raises(LookupError):
            uow.ideas.link(ws, idea.id, foreign)
        with pytest.raises(LookupError):
            uow.ideas.link(other, idea.id, foreign)
        uow.commit()
    with units() as uow:
        uow.ideas.link(ws, idea.id, p1)  # in a later unit of work too
        uow.commit()
    with units(write=False) as uow:
        assert uow.ideas.linked_problem_ids(ws, idea.id) == [p2, p1]
        assert uow.ideas.linked_problem_ids(other, idea.id) == []
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from idea_problem")).scalar() == 2


def test_evidence_and_history_come_oldest_first(engine):
    units = SqlUnitOfWorkFactory(engine)
    ws = workspace(units)
    idea, other_idea = new_idea(units, ws), new_idea(units, ws)
    with units() as uow:
        first = uow.ideas.add_evidence(Evidence(ws, idea.id, "17 complaints this week", "U1"))
        assert first.id is not None and first.at is not None
        uow.ideas.add_evidence(Evidence(ws, other_idea.id, "elsewhere"))
        uow.ideas.add_evidence(Evidence(ws, idea.id, "Seen on the phones too", None))
        uow.ideas.add_change(IdeaChange(ws, idea.id, "U1", "information", "insight", "root cause found"))
        uow.ideas.add_change(IdeaChange(ws, idea.id, None, "insight", "improve"))
        uow.ideas.add_change(IdeaChange(ws, idea.id, "U-LEAD", "undecided", "approve", "Go"))
        uow.commit()
    with units(write=False) as uow:
        evidence = uow.ideas.evidence(ws, idea.id)
        changes = uow.ideas.changes(ws, idea.id)
        assert uow.ideas.evidence(ws + 1, idea.id) == [] and uow.ideas.changes(ws + 1, idea.id) == []
    assert [(e.text, e.author_id) for e in evidence] == [
        ("17 complaints this week", "U1"),
        ("Seen on the phones too", None),
    ]
    assert evidence[0] == first
    assert [(c.actor_id, c.before, c.after, c.reason) for c in changes] == [
        ("U1", "information", "insight", "root cause found"),
        (None, "insight", "improve", ""),
        ("U-LEAD", "undecided", "approve", "Go"),
    ]
    assert all(c.at is not None and c.id is not None for c in changes)


# Forums ---------------------------------------------------------------------------------------


def test_the_default_forum_is_made_on_first_use_and_then_found(engine):
    units = SqlUnitOfWorkFactory(engine)
    ws, other = workspace(units), workspace(units, "there")
    with units() as uow:
        forum = uow.forums.default(ws)
        assert (forum.slug, forum.name, forum.area_ids, forum.destination) == (
            "forum",
            "Improvement forum",
            (),
            None,
        )
        assert (forum.meets, forum.digest_day, forum.digest_time) == ("first-tue", 0, "09:00")
        assert uow.forums.default(ws) == forum
        uow.commit()
    with units() as uow:
        assert uow.forums.default(ws) == forum
        assert uow.forums.get(ws, "forum") == forum
        assert uow.forums.get(other, "forum") is None
        assert uow.forums.list(ws) == [forum]
        area = uow.areas.add(ws, "Phones", "phones").id
        phones = uow.forums.add(Forum(ws, "phones", "Phones forum", destination="C123", area_ids=(area,)))
        with pytest.raises(ValueError):
            uow.forums.add(Forum(ws, "phones", "Again"))
        phones.digest_day, phones.digest_time, phones.meets = 3, "14:30", "weekly"
        uow.forums.save(phones)
        with pytest.raises(LookupError):
            uow.forums.save(Forum(other, "phones", "hijack", id=phones.id))
        uow.commit()
    with units(write=False) as uow:
        assert uow.forums.list(ws) == [forum, phones]
        assert uow.forums.get(ws, "phones").area_ids == (area,)
        assert uow.forums.get(ws, "phones").digest_time == "14:30"
        assert uow.forums.default(ws) == forum  # the first, whatever comes after


def test_two_requests_making_the_default_forum_at_once_make_one(engine):
    units = SqlUnitOfWorkFactory(engine)
    ws = workspace(units)

    def second() -> Forum:
        with units() as uow:
            forum = uow.forums.default(ws)
            uow.commit()
            return forum

    with ThreadPoolExecutor(max_workers=1) as pool, units() as first:
        made = first.forums.default(ws)
        racing = pool.submit(second)
        with pytest.raises(FutureTimeout):
            racing.result(timeout=0.5)  # waits for the first, uncommitted, insert
        first.commit()
    assert racing.result(timeout=30) == made

    with ThreadPoolExecutor(max_workers=10) as pool:  # and many at once on a fresh workspace
        fresh = workspace(units, "fresh")
        barrier = threading.Barrier(10)

        def make(_: int) -> Forum:
            barrier.wait(timeout=30)
            with units() as uow:
                forum = uow.forums.default(fresh)
                uow.commit()
                return forum

        assert len({f.id for f in pool.map(make, range(10))}) == 1
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from forum")).scalar() == 2


# Owners ---------------------------------------------------------------------------------------


def test_remove_owner(engine):
    units = SqlUnitOfWorkFactory(engine)
    ws, other = workspace(units), workspace(units, "there")
    with units() as uow:
        uow.workspaces.add_owner(ws, "U1")
        uow.workspaces.add_owner(ws, "U2")
        uow.workspaces.add_owner(other, "U1")
        assert uow.workspaces.remove_owner(ws, "U2") is True  # added in this unit of work
        uow.commit()
    with units() as uow:
        assert uow.workspaces.remove_owner(ws, "U1") is True
        assert uow.workspaces.remove_owner(ws, "U1") is False
        assert uow.workspaces.remove_owner(ws, "U9") is False
        uow.commit()
    with units(write=False) as uow:
        assert uow.workspaces.owners(ws) == set()
        assert uow.workspaces.owners(other) == {"U1"}


# Migration 0005 -------------------------------------------------------------------------------


def test_0005_downgrades_and_upgrades_again(engine):
    assert ScriptDirectory.from_config(alembic_config(engine)).get_heads() == ["0011"]
    units = SqlUnitOfWorkFactory(engine)
    ws = workspace(units)
    idea = new_idea(units, ws, proposer_id="U1")
    with units() as uow:
        uow.ideas.vote(ws, idea.id, "U2")
        uow.forums.default(ws)
        uow.commit()
    assert set(inspect(engine).get_table_names()) >= IDEA_TABLES

    downgrade(engine, "0004")
    assert not IDEA_TABLES & set(inspect(engine).get_table_names())
    assert "idea_seq" not in {c["name"] for c in inspect(engine).get_columns("workspace")}
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from workspace")).scalar() == 1  # the rest is kept

    upgrade(engine)
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("idea_vote")}
    assert indexes.get("ix_idea_vote_workspace_user") == ["workspace_id", "user_id"]
    with units() as uow:
        assert uow.ideas.next_number(ws) == 1  # an existing workspace starts at I1
        uow.commit()
    assert "U2" not in repr(dump_tables(engine))


def test_a_review_reminder_is_found_when_due_and_claimed_once(engine):
    from datetime import date as day

    from storage.model import Decision

    units = SqlUnitOfWorkFactory(engine)
    ws = workspace(units)
    idea = new_idea(units, ws, proposer_id="U1")
    with units() as uow:
        stored = uow.ideas.get_by_id(ws, idea.id)
        stored.decision, stored.review_on = Decision.EXPERIMENT, day(2026, 12, 1)
        uow.ideas.save(stored)
        uow.commit()
    with units() as uow:
        assert uow.reviews.due(day(2026, 11, 30)) == []
        ((found_ws, found),) = uow.reviews.due(day(2026, 12, 1))
        assert found_ws.id == ws and found.number == idea.number
        assert uow.reviews.claim(ws, idea.id, day(2026, 12, 1)) is True
        assert uow.reviews.claim(ws, idea.id, day(2026, 12, 1)) is False
        uow.commit()
    with units(write=False) as uow:
        assert uow.reviews.due(day(2026, 12, 31)) == []

"""The in-memory ideas and forums keep the SQL repositories' contracts (tests/integration/test_storage_ideas.py
asserts the same on SQLite and PostgreSQL), so the core's unit tests mean what they say."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from storage.model import Decision, Evidence, Forum, Idea, IdeaChange, Platform, Problem, Stage, WorkspaceDefaults
from tests.unit.fakes import FakeUnitOfWorkFactory


@pytest.fixture
def units() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


def workspace(units: FakeUnitOfWorkFactory, name: str = "here") -> int:
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.CONSOLE, name, WorkspaceDefaults()).id
        uow.commit()
    return ws


def new_idea(units: FakeUnitOfWorkFactory, ws: int, title: str = "Send letters by text", **fields) -> Idea:  # type: ignore[no-untyped-def]
    with units() as uow:
        idea = uow.ideas.add(Idea(ws, uow.ideas.next_number(ws), title, **fields))
        uow.commit()
    return idea


def numbers(ideas: list[Idea]) -> list[int]:
    return [i.number for i in ideas]


def test_ideas_are_numbered_per_workspace_apart_from_problems(units):
    here, there = workspace(units), workspace(units, "there")
    with units() as uow:
        assert uow.workspaces.next_problem_number(here) == 1
        assert [uow.ideas.next_number(here) for _ in range(3)] == [1, 2, 3]
        assert uow.ideas.next_number(there) == 1
        assert uow.workspaces.next_problem_number(here) == 2
    with units() as uow:  # rolled back: the numbers were never taken
        assert uow.ideas.next_number(here) == 1


def test_an_idea_is_stored_whole_and_saved_back(units):
    ws = workspace(units)
    idea = new_idea(units, ws, description="Text people", proposer_id="U1")
    assert idea.id is not None and idea.created_at is not None
    with units() as uow:
        assert uow.ideas.get(ws, 1) == idea == uow.ideas.get_by_id(ws, idea.id)
        idea.stage, idea.decision, idea.decided_at = Stage.IMPROVE, Decision.EXPERIMENT, datetime.now(UTC)
        idea.review_on, idea.reduction_pct, idea.cost = date(2027, 1, 5), Decimal("40"), Decimal("2000.005")
        idea.number = 99
        uow.ideas.save(idea)
        stored = uow.ideas.get(ws, 1)
        assert stored is not None and stored.number == 1 and stored.decision is Decision.EXPERIMENT
        assert stored.reduction_pct == Decimal("40.00") and stored.cost == Decimal("2000.01")
        stored.title = "changed, not saved"
        assert uow.ideas.get(ws, 1).title == "Send letters by text"  # records are copies
        with pytest.raises(LookupError):
            uow.ideas.save(Idea(ws + 1, 1, "hijack", id=idea.id))


def test_lists_filter_by_stage_and_decision_newest_first_without_merged_ideas(units):
    ws, other = workspace(units), workspace(units, "there")
    rows = [
        (Stage.INFORMATION, None),
        (Stage.INSIGHT, None),
        (Stage.IMPROVE, Decision.APPROVE),
        (Stage.INSIGHT, Decision.PARK),
        (Stage.INFORMATION, Decision.REJECT),
        (Stage.INFORMATION, None),
        (Stage.IMPROVE, Decision.DONE),
    ]
    with units() as uow:
        for stage, decision in rows:
            uow.ideas.add(Idea(ws, uow.ideas.next_number(ws), "idea", stage=stage, decision=decision))
        uow.ideas.add(Idea(other, uow.ideas.next_number(other), "elsewhere"))
        merged = uow.ideas.get(ws, 6)
        merged.merged_into_id = uow.ideas.get(ws, 1).id
        uow.ideas.save(merged)
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
        assert uow.ideas.get(ws, 6) is not None


def test_for_user_lists_what_they_proposed_or_voted_for(units):
    ws, other = workspace(units), workspace(units, "there")
    mine = new_idea(units, ws, proposer_id="U1")
    voted = new_idea(units, ws, proposer_id="U2")
    new_idea(units, ws, proposer_id="U2")
    anonymous = new_idea(units, ws, proposer_id=None)
    both = new_idea(units, ws, proposer_id="U1")
    merged = new_idea(units, ws, proposer_id="U1")
    elsewhere = new_idea(units, other, proposer_id="U1")
    with units() as uow:
        for idea in (voted, both, merged):
            uow.ideas.vote(ws, idea.id, "U1")
        uow.ideas.vote(ws, anonymous.id, "U3")
        uow.ideas.vote(other, elsewhere.id, "U1")
        merged.merged_into_id = mine.id
        uow.ideas.save(merged)
        assert numbers(uow.ideas.for_user(ws, "U1")) == [5, 2, 1]
        assert numbers(uow.ideas.for_user(ws, "U1", limit=1)) == [5]
        assert numbers(uow.ideas.for_user(ws, "U3")) == [4]
        assert numbers(uow.ideas.for_user(other, "U1")) == [1]
        assert uow.ideas.for_user(ws, "U9") == []


def test_vote_unvote_has_voted_counts_and_voters(units):
    ws, other = workspace(units), workspace(units, "there")
    one, two, quiet = new_idea(units, ws), new_idea(units, ws), new_idea(units, ws)
    with units() as uow:
        assert uow.ideas.vote(ws, one.id, "U1") is True
        assert uow.ideas.vote(ws, one.id, "U1") is False
        assert uow.ideas.vote(ws, one.id, "U2") is True
        assert uow.ideas.vote(ws, two.id, "U1") is True
        assert uow.ideas.vote(other, one.id, "U1") is False  # another workspace's idea
        assert uow.ideas.has_voted(ws, one.id, "U1") is True
        assert uow.ideas.has_voted(ws, one.id, "U3") is False
        assert uow.ideas.vote_counts(ws, [one.id, two.id, quiet.id]) == {one.id: 2, two.id: 1, quiet.id: 0}
        assert uow.ideas.vote_counts(ws, []) == {}
        assert uow.ideas.voters(ws, one.id) == ["U1", "U2"]
        assert uow.ideas.unvote(ws, one.id, "U1") is True
        assert uow.ideas.unvote(ws, one.id, "U1") is False
        assert uow.ideas.vote(ws, one.id, "U1") is True
        assert uow.ideas.voters(ws, one.id) == ["U2", "U1"]


def test_moving_votes_keeps_one_per_person(units):
    ws, other = workspace(units), workspace(units, "there")
    dup, kept, bystander = new_idea(units, ws), new_idea(units, ws), new_idea(units, ws)
    foreign = new_idea(units, other)
    with units() as uow:
        for idea, user in [(kept, "A"), (dup, "A"), (dup, "B"), (kept, "C"), (dup, "D"), (bystander, "B")]:
            uow.ideas.vote(ws, idea.id, user)
        assert uow.ideas.move_votes(ws, dup.id, kept.id) == 2
        assert uow.ideas.voters(ws, kept.id) == ["A", "C", "B", "D"]
        assert uow.ideas.voters(ws, dup.id) == []
        assert uow.ideas.voters(ws, bystander.id) == ["B"]
        assert uow.ideas.move_votes(ws, dup.id, kept.id) == 0
        assert uow.ideas.move_votes(ws, kept.id, kept.id) == 0
        with pytest.raises(LookupError):
            uow.ideas.move_votes(ws, kept.id, foreign.id)


def test_links_are_idempotent_and_stay_in_their_workspace(units):
    ws, other = workspace(units), workspace(units, "there")
    idea = new_idea(units, ws)
    with units() as uow:
        p1 = uow.problems.add(Problem(ws, 1, "Letters late")).id
        p2 = uow.problems.add(Problem(ws, 2, "Phones down")).id
        foreign = uow.problems.add(Problem(other, 1, "Elsewhere")).id
        for problem_id in (p2, p1, p2, p1):
            uow.ideas.link(ws, idea.id, problem_id)
        with pytest.raises(LookupError):
            uow.ideas.link(ws, idea.id, foreign)
        with pytest.raises(LookupError):
            uow.ideas.link(other, idea.id, foreign)
        assert uow.ideas.linked_problem_ids(ws, idea.id) == [p2, p1]
        assert uow.ideas.linked_problem_ids(other, idea.id) == []


def test_evidence_and_history_come_oldest_first(units):
    ws = workspace(units)
    idea, other_idea = new_idea(units, ws), new_idea(units, ws)
    with units() as uow:
        first = uow.ideas.add_evidence(Evidence(ws, idea.id, "17 complaints this week", "U1"))
        assert first.id is not None and first.at is not None
        uow.ideas.add_evidence(Evidence(ws, other_idea.id, "elsewhere"))
        uow.ideas.add_evidence(Evidence(ws, idea.id, "Seen on the phones too"))
        uow.ideas.add_change(IdeaChange(ws, idea.id, "U1", "information", "insight", "root cause found"))
        uow.ideas.add_change(IdeaChange(ws, idea.id, None, "insight", "improve"))
        assert [(e.text, e.author_id) for e in uow.ideas.evidence(ws, idea.id)] == [
            ("17 complaints this week", "U1"),
            ("Seen on the phones too", None),
        ]
        assert uow.ideas.evidence(ws, idea.id)[0] == first
        changes = uow.ideas.changes(ws, idea.id)
        assert [(c.actor_id, c.before, c.after, c.reason) for c in changes] == [
            ("U1", "information", "insight", "root cause found"),
            (None, "insight", "improve", ""),
        ]
        assert all(c.at is not None and c.id is not None for c in changes)
        assert uow.ideas.evidence(ws + 1, idea.id) == [] and uow.ideas.changes(ws + 1, idea.id) == []


def test_the_default_forum_is_made_on_first_use_and_then_found(units):
    ws, other = workspace(units), workspace(units, "there")
    with units() as uow:
        forum = uow.forums.default(ws)
        assert (forum.slug, forum.name, forum.area_ids, forum.destination) == ("forum", "Improvement forum", (), None)
        assert (forum.meets, forum.digest_day, forum.digest_time) == ("first-tue", 0, "09:00")
        assert uow.forums.default(ws) == forum
        uow.commit()
    with units() as uow:
        assert uow.forums.default(ws) == forum == uow.forums.get(ws, "forum")
        assert uow.forums.get(other, "forum") is None
        phones = uow.forums.add(Forum(ws, "phones", "Phones forum", destination="C123", area_ids=(7,)))
        with pytest.raises(ValueError):
            uow.forums.add(Forum(ws, "phones", "Again"))
        phones.digest_day, phones.digest_time = 3, "14:30"
        uow.forums.save(phones)
        with pytest.raises(LookupError):
            uow.forums.save(Forum(other, "phones", "hijack", id=phones.id))
        assert uow.forums.list(ws) == [forum, phones]
        assert uow.forums.get(ws, "phones").digest_time == "14:30"
        assert uow.forums.default(ws) == forum
    assert len(units.data.forums) == 1  # not committed


def test_remove_owner(units):
    ws, other = workspace(units), workspace(units, "there")
    with units() as uow:
        uow.workspaces.add_owner(ws, "U1")
        uow.workspaces.add_owner(other, "U1")
        assert uow.workspaces.remove_owner(ws, "U1") is True
        assert uow.workspaces.remove_owner(ws, "U1") is False
        assert uow.workspaces.remove_owner(ws, "U9") is False
        assert uow.workspaces.owners(ws) == set()
        assert uow.workspaces.owners(other) == {"U1"}


def test_ideas_follow_the_transaction(units):
    ws = workspace(units)
    idea = new_idea(units, ws)
    with units() as uow:
        uow.ideas.vote(ws, idea.id, "U1")
        uow.ideas.link(ws, idea.id, uow.problems.add(Problem(ws, 1, "p")).id)
    with units() as uow:  # rolled back
        assert uow.ideas.voters(ws, idea.id) == []
        assert uow.ideas.linked_problem_ids(ws, idea.id) == []

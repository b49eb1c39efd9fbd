"""Repositories in the unit of work on real SQLite and PostgreSQL: duplicate candidates, conversation
references, Slack installations and OAuth states."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from storage.conversations import ConversationStore
from storage.model import Occurrence, Platform, Problem, Status, Totals, WorkspaceDefaults
from storage.secrets import SecretKeyError, TokenCipher
from storage.slack_installations import SlackInstallations
from storage.uow import SqlUnitOfWorkFactory
from tests.databases import migrated_engine

REF = {"conversation": {"id": "19:frontdesk"}, "serviceUrl": "https://smba.example/", "bot": {"id": "28:tally"}}
TOKEN = "xoxb-1234-secret-token"
INSTALL = {
    "enterprise_id": None,
    "team_id": "T1",
    "is_enterprise_install": False,
    "user_id": "U1",
    "bot_user_id": "B-user",
    "bot_id": "B1",
    "bot_scopes": ["commands", "chat:write"],
    "bot_token": TOKEN,
    "installed_at": datetime(2026, 11, 21, tzinfo=UTC),
}


# Duplicate candidates -------------------------------------------------------------------------


def test_open_in_area_filters_area_status_and_workspace_newest_first(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.CONSOLE, "here", WorkspaceDefaults()).id
        other = uow.workspaces.get_or_create(Platform.CONSOLE, "elsewhere", WorkspaceDefaults()).id
        front = uow.areas.add(ws, "Front desk", "front-desk").id
        phones = uow.areas.add(ws, "Phones", "phones").id
        elsewhere = uow.areas.add(other, "Front desk", "front-desk").id
        rows = [
            (ws, front, Status.OPEN),  # 1
            (ws, front, Status.FIXED),  # 2
            (ws, None, Status.OPEN),  # 3
            (ws, front, Status.INVESTIGATING),  # 4
            (ws, phones, Status.OPEN),  # 5
            (ws, None, Status.MERGED),  # 6
            (ws, front, Status.WONT_FIX),  # 7
            (other, elsewhere, Status.OPEN),  # 1 elsewhere
            (other, None, Status.OPEN),  # 2 elsewhere
        ]
        for workspace_id, area_id, status in rows:
            number = uow.workspaces.next_problem_number(workspace_id)
            uow.problems.add(Problem(workspace_id, number, f"p{number}", area_id=area_id, status=status))
        uow.commit()

    with units(write=False) as uow:
        assert [p.number for p in uow.problems.open_in_area(ws, front).problems] == [4, 1]
        assert [p.number for p in uow.problems.open_in_area(ws, None).problems] == [3]
        assert [p.number for p in uow.problems.open_in_area(ws, phones).problems] == [5]
        assert [p.number for p in uow.problems.open_in_area(ws, front, limit=1).problems] == [4]
        assert uow.problems.open_in_area(ws, elsewhere).problems == ()  # another workspace's area
        assert [p.title for p in uow.problems.open_in_area(other, None).problems] == ["p2"]


def test_a_workspace_and_its_area_come_in_one_read(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.SLACK, "T1", WorkspaceDefaults(timezone="Europe/London"))
        other = uow.workspaces.get_or_create(Platform.SLACK, "T2", WorkspaceDefaults())
        housing = uow.areas.add(ws.id, "Housing benefit", "housing-benefit")
        uow.areas.add(other.id, "Parking", "parking")
        uow.commit()
    with units(write=False) as uow:
        assert uow.workspaces.find_with_area(Platform.SLACK, "T1", "housing-benefit") == (ws, housing)
        assert uow.workspaces.find_with_area(Platform.SLACK, "T1", "parking") == (ws, None)  # T2's, not T1's
        assert uow.workspaces.find_with_area(Platform.SLACK, "T3", "parking") is None
        assert uow.workspaces.find_with_area(Platform.TEAMS, "T1", "housing-benefit") is None


def test_a_problem_read_locked_is_the_same_problem(engine):
    """On PostgreSQL it is read FOR UPDATE (a concurrent repeat's wait is in tests/reliability); SQLite has none."""
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.SLACK, "T1", WorkspaceDefaults())
        added = uow.problems.add(Problem(ws.id, uow.workspaces.next_problem_number(ws.id), "Printer", "Printer jams"))
        uow.commit()
    with units() as uow:
        assert uow.problems.get(ws.id, added.number, lock=True) == uow.problems.get(ws.id, added.number)
        assert uow.problems.get(ws.id, added.number + 1, lock=True) is None


@pytest.mark.postgres
def test_a_problem_read_locked_waits_for_the_unit_of_work_holding_it(tmp_path):
    with migrated_engine("postgres", tmp_path) as engine:
        units = SqlUnitOfWorkFactory(engine)
        with units() as uow:
            ws = uow.workspaces.get_or_create(Platform.SLACK, "T1", WorkspaceDefaults())
            number = uow.problems.add(Problem(ws.id, uow.workspaces.next_problem_number(ws.id), "P", "P")).number
            uow.commit()

        def read_locked() -> None:
            with units() as other:
                other.problems.get(ws.id, number, lock=True)

        with ThreadPoolExecutor(1) as pool, units() as holder:
            holder.problems.get(ws.id, number, lock=True)
            waiting = pool.submit(read_locked)
            with pytest.raises(FutureTimeout):
                waiting.result(timeout=0.5)
            holder.commit()  # the holder lets it go
            waiting.result(timeout=5)


def test_totals_since_gives_the_recent_and_the_all_time_tally_in_one_pass(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        ws = uow.workspaces.get_or_create(Platform.CONSOLE, "here", WorkspaceDefaults()).id
        one = uow.problems.add(Problem(ws, 1, "p1")).id
        two = uow.problems.add(Problem(ws, 2, "p2")).id
        quiet = uow.problems.add(Problem(ws, 3, "p3")).id
        for problem_id, day, count, effort, users in (
            (one, date(2026, 11, 16), 17, 30, 1),
            (one, date(2026, 11, 10), 3, 10, 2),
            (two, date(2026, 11, 1), 1_000_000, 1440, 1_000_000),  # sums past 32 bits
        ):
            uow.occurrences.add(Occurrence(ws, problem_id, day, count, effort, users))
        uow.commit()
    with units(write=False) as uow:
        tallies = uow.occurrences.totals_since(ws, [one, two, quiet], date(2026, 11, 16))
    assert tallies[one] == (Totals(17, 510, 17), Totals(20, 540, 23))
    assert tallies[two] == (Totals(), Totals(1_000_000, 1_440_000_000, 1_000_000_000_000))
    assert quiet not in tallies


# Conversation references ----------------------------------------------------------------------


def test_conversations_in_the_unit_of_work_commit_with_it(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        assert uow.conversations.remember("teams", "T1", "19:a", "channel", REF) is True
        assert uow.conversations.find("teams", "T1", "19:a") == REF  # visible before commit, in the same unit
    with units(write=False) as uow:
        assert uow.conversations.find("teams", "T1", "19:a") is None  # rolled back on exit
        assert uow.conversations.any_service_reference("teams", "T1") is None

    personal = {**REF, "conversation": {"id": "a:1chat"}}
    with units() as uow:
        assert uow.conversations.remember("teams", "T1", "19:a", "channel", REF) is True
        assert uow.conversations.remember("teams", "T1", "a:1chat", "personal", personal) is True
        assert uow.conversations.remember("teams", "T1", "19:a", "channel", REF) is False
        assert uow.conversations.remember("teams", "T1", "19:a", "groupChat", REF) is True  # the type changed
        uow.commit()
    with units(write=False) as uow:
        assert uow.conversations.list("teams", "T1") == [("19:a", "groupChat"), ("a:1chat", "personal")]
        assert uow.conversations.list("teams", "T2") == []
        assert uow.conversations.any_service_reference("teams", "T1") == REF
        assert uow.conversations.any_service_reference("slack", "T1") is None
    assert ConversationStore(engine).any_service_reference("teams", "T1") == REF


def test_a_first_reference_racing_another_updates_the_winners_row(engine):
    """The loser of a concurrent first insert updates the row instead of failing."""
    units = SqlUnitOfWorkFactory(engine)
    moved = {**REF, "serviceUrl": "https://smba.example/emea/"}

    def second() -> bool:
        with units() as uow:
            written = uow.conversations.remember("teams", "T1", "19:a", "channel", moved)
            uow.commit()
            return written

    with ThreadPoolExecutor(max_workers=1) as pool, units() as first:
        assert first.conversations.remember("teams", "T1", "19:a", "channel", REF) is True
        racing = pool.submit(second)
        with pytest.raises(FutureTimeout):
            racing.result(timeout=0.5)  # blocked by the first, uncommitted, insert
        first.commit()
    assert racing.result(timeout=30) is True
    assert ConversationStore(engine).find("teams", "T1", "19:a") == moved
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from conversation_ref")).scalar() == 1


# Slack installations --------------------------------------------------------------------------


def test_installations_are_encrypted_at_rest_and_found_again(engine):
    store = SlackInstallations(engine, TokenCipher("k1"))
    store.save(INSTALL)
    with engine.connect() as conn:
        stored = conn.execute(text("select data_encrypted, bot_scopes from slack_installation")).one()
    assert TOKEN not in stored[0] and stored[1] == "commands,chat:write"
    found = store.find(None, "T1", False)
    assert found is not None and found["bot_token"] == TOKEN
    assert found["installed_at"] == INSTALL["installed_at"].timestamp()
    assert store.find(None, "T2", False) is None

    store.save({**INSTALL, "bot_token": "xoxb-new"})  # a reinstall replaces the row
    assert store.find(None, "T1", False)["bot_token"] == "xoxb-new"  # type: ignore[index]
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from slack_installation")).scalar() == 1

    store.delete(None, "T1")
    assert store.find(None, "T1", False) is None


def test_a_grid_workspace_falls_back_to_the_org_wide_install(engine):
    units = SqlUnitOfWorkFactory(engine, TokenCipher("k1"))
    with units() as uow:
        uow.slack_installations.save({**INSTALL, "enterprise_id": "E1", "team_id": None, "is_enterprise_install": True})
        uow.commit()
    with units(write=False) as uow:
        org = uow.slack_installations.find("E1", "T9", False)
        assert org is not None and org["enterprise_id"] == "E1"
        assert uow.slack_installations.find("E1", None, True) == org
        assert uow.slack_installations.find("E2", "T9", False) is None


def test_a_team_inside_a_grid_org_is_found_by_its_team_id_alone(engine):
    """Notifications know only the workspace (the team id), not the org it belongs to."""
    store = SlackInstallations(engine, TokenCipher("k1"))
    store.save({**INSTALL, "enterprise_id": "E1", "team_id": "T7"})
    assert store.find(None, "T7", False)["bot_token"] == TOKEN  # type: ignore[index]
    assert store.find(None, "T8", False) is None


def test_installations_stay_readable_across_a_key_rotation(engine):
    SlackInstallations(engine, TokenCipher("old")).save(INSTALL)
    rotated = SlackInstallations(engine, TokenCipher("new,old"))
    assert rotated.find(None, "T1", False)["bot_token"] == TOKEN  # type: ignore[index]
    with pytest.raises(SecretKeyError):
        SlackInstallations(engine, TokenCipher("other")).find(None, "T1", False)


def test_without_a_cipher_installations_refuse_but_states_work(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        with pytest.raises(RuntimeError, match="TALLY_SECRET_KEY"):
            uow.slack_installations.save(INSTALL)
        uow.slack_installations.issue_state("s1")
        assert uow.slack_installations.consume_state("s1") is True


def test_an_oauth_state_is_good_once_and_only_before_it_expires(engine):
    store = SlackInstallations(engine, TokenCipher("k1"))
    store.issue_state("fresh")
    store.issue_state("stale", ttl=timedelta(seconds=-1))
    assert store.consume_state("fresh") is True
    assert store.consume_state("fresh") is False
    assert store.consume_state("stale") is False
    assert store.consume_state("never-issued") is False
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from slack_oauth_state")).scalar() == 0


def test_two_callbacks_racing_with_one_state_let_only_one_through(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        uow.slack_installations.issue_state("s1")
        uow.commit()

    def consume() -> bool:
        with units() as uow:
            fresh = uow.slack_installations.consume_state("s1")
            uow.commit()
            return fresh

    with ThreadPoolExecutor(max_workers=1) as pool, units() as first:
        assert first.slack_installations.consume_state("s1") is True
        racing = pool.submit(consume)
        time.sleep(0.3)  # let the second reach the row (PostgreSQL) or the write lock (SQLite)
        first.commit()
    assert racing.result(timeout=30) is False

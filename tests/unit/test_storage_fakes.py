"""The in-memory fakes keep the ports' contracts, so the core's unit tests mean what they say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.model import Platform, Problem, Status, WorkspaceDefaults
from tests.unit.fakes import FakeUnitOfWork, FakeUnitOfWorkFactory

REF = {"conversation": {"id": "19:a"}, "serviceUrl": "https://smba.example/"}


def test_the_factory_makes_reading_and_writing_units_on_shared_data():
    units = FakeUnitOfWorkFactory()
    with units() as uow:
        uow.workspaces.get_or_create(Platform.CONSOLE, "w", WorkspaceDefaults())
        uow.commit()
    with units(write=False) as uow:
        assert uow.write is False
        assert len(uow.data.workspaces) == 1
    assert units.writes == [True, False]


def test_events_follow_the_transaction():
    units = FakeUnitOfWorkFactory()
    with units() as uow:
        uow.record("lost")
    assert uow.collect_events() == []  # exited without commit: rolled back

    with units() as uow:
        uow.record("kept")
        uow.commit()
        uow.record("undone")
        uow.rollback()
    assert uow.collect_events() == ["kept"]
    assert uow.collect_events() == []


def test_fake_open_in_area_matches_the_sql_contract():
    units = FakeUnitOfWorkFactory()
    with units() as uow:
        for number, area, status in [
            (1, 7, Status.OPEN),
            (2, 7, Status.FIXED),
            (3, None, Status.OPEN),
            (4, 7, Status.INVESTIGATING),
            (5, 8, Status.OPEN),
            (6, None, Status.MERGED),
        ]:
            uow.problems.add(Problem(1, number, f"p{number}", area_id=area, status=status))
        uow.problems.add(Problem(2, 1, "elsewhere", area_id=7))
        assert [p.number for p in uow.problems.open_in_area(1, 7).problems] == [4, 1]
        assert [p.number for p in uow.problems.open_in_area(1, None).problems] == [3]
        assert [p.number for p in uow.problems.open_in_area(1, 7, limit=1).problems] == [4]


def test_fake_conversations():
    uow = FakeUnitOfWork(FakeUnitOfWorkFactory().data)
    with uow:
        assert uow.conversations.remember("teams", "T1", "19:a", "channel", REF) is True
        assert uow.conversations.remember("teams", "T1", "19:a", "channel", REF) is False
        assert uow.conversations.remember("teams", "T1", "a:1", "personal", {"x": 1}) is True
        assert uow.conversations.find("teams", "T1", "19:a") == REF
        assert uow.conversations.list("teams", "T1") == [("19:a", "channel"), ("a:1", "personal")]
        assert uow.conversations.any_service_reference("teams", "T1") == REF
        assert uow.conversations.any_service_reference("teams", "T2") is None


def test_fake_slack_installations():
    uow = FakeUnitOfWork(FakeUnitOfWorkFactory().data)
    with uow:
        installs = uow.slack_installations
        installs.save(
            {
                "enterprise_id": "E1",
                "team_id": None,
                "is_enterprise_install": True,
                "bot_token": "t",
                "installed_at": datetime(2026, 1, 1, tzinfo=UTC),
            }
        )
        assert installs.find("E1", "T9", False)["bot_token"] == "t"  # type: ignore[index]  # Grid fallback
        assert installs.find(None, "T9", False) is None
        installs.delete("E1", None)
        assert installs.find("E1", None, True) is None
        installs.issue_state("s")
        installs.issue_state("old", ttl=timedelta(seconds=-1))
        assert installs.consume_state("s") is True
        assert installs.consume_state("s") is False
        assert installs.consume_state("old") is False

"""The event loop's units of work keep one connection per kind from one to the next (storage.kept), on SQLite."""

from __future__ import annotations

import sqlite3

import pytest

from storage.model import Platform, WorkspaceDefaults
from storage.ports import Busy, Unavailable
from storage.uow import SqlUnitOfWorkFactory
from tests.databases import migrated_engine


def _driver_connection(uow) -> object:  # type: ignore[no-untyped-def]
    return uow.session.connection.connection.dbapi_connection


@pytest.fixture
def units(tmp_path):
    with migrated_engine("sqlite", tmp_path) as engine:
        units = SqlUnitOfWorkFactory(engine)
        yield units
        units.close()


def test_loop_units_of_work_keep_their_connection_and_hold_nothing_between(units):
    with units(wait=False) as uow:
        first = _driver_connection(uow)
        uow.workspaces.get_or_create(Platform.CONSOLE, "kept", WorkspaceDefaults())
        uow.commit()
    assert not first.in_transaction  # no transaction, so no lock, between units of work
    with units(wait=False) as uow:
        assert _driver_connection(uow) is first
        assert uow.workspaces.find(Platform.CONSOLE, "kept") is not None
    with units(write=False, wait=False) as reader:
        assert _driver_connection(reader) is not first  # a reader keeps its own: it begins deferred
    with units() as waiting:  # a thread's unit of work checks one out of the pool, as before
        assert _driver_connection(waiting) is not first


def test_a_unit_of_work_begun_while_the_kept_connection_is_lent_checks_out_its_own(units):
    with units(write=False, wait=False) as outer, units(write=False, wait=False) as inner:
        assert _driver_connection(inner) is not _driver_connection(outer)
        assert inner.workspaces.find(Platform.CONSOLE, "nobody") is None


def test_a_handlers_error_leaves_the_connection_kept_and_nothing_stored(units):
    with units(wait=False) as uow:
        kept = _driver_connection(uow)
    with pytest.raises(LookupError), units(wait=False) as uow:
        uow.workspaces.get_or_create(Platform.CONSOLE, "half", WorkspaceDefaults())
        raise LookupError("a handler's own error")
    with units(wait=False) as uow:
        assert _driver_connection(uow) is kept
        assert uow.workspaces.find(Platform.CONSOLE, "half") is None


def test_a_failed_database_call_gives_the_kept_connection_back_to_the_pool(units):
    """The pool decides whether it is still good (SQLAlchemy throws a dropped one away); the next unit of work keeps
    whatever it checks out."""
    with units(wait=False):
        pass
    assert units.engine.pool.checkedout() == 1
    with pytest.raises(Unavailable), units(wait=False) as uow:  # what the core answers "try again" to
        uow.session.connection.exec_driver_sql("SELECT * FROM no_such_table")
    assert units.engine.pool.checkedout() == 0
    with units(wait=False) as uow:
        uow.workspaces.get_or_create(Platform.CONSOLE, "after", WorkspaceDefaults())
        uow.commit()
    assert units.engine.pool.checkedout() == 1


def test_busy_lets_the_kept_connection_go_and_the_next_try_works(units):
    writer = sqlite3.connect(units.engine.url.database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process, mid-write
    try:
        with pytest.raises(Busy):
            units(wait=False).__enter__()
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with units(wait=False) as uow:
        uow.workspaces.get_or_create(Platform.CONSOLE, "after", WorkspaceDefaults())
        uow.commit()
    with units(write=False, wait=False) as uow:
        assert uow.workspaces.find(Platform.CONSOLE, "after") is not None


def test_close_gives_the_kept_connections_back_to_the_pool(units):
    with units(wait=False):
        pass
    with units(write=False, wait=False):
        pass
    assert units.engine.pool.checkedout() == 2
    units.close()
    assert units.engine.pool.checkedout() == 0
